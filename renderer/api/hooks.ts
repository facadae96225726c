// React hooks over the Api: the engine status (kept live by events) and the app info.
import { useCallback, useEffect, useState } from 'react';
import { toErrorInfo, type Api, type AppInfo, type EngineStatus, type ErrorInfo } from '../../shared/api';

export type EngineView = EngineStatus | { state: 'disconnected'; error: ErrorInfo };

export function useEngineStatus(api: Api): { status: EngineView; restart: () => void } {
  const [status, setStatus] = useState<EngineView>({ state: 'starting' });
  useEffect(() => {
    let live = true;
    const unsubscribe = api.on('engineStatus', (next) => setStatus(next));
    api.getEngineStatus().then(
      (next) => {
        if (live) setStatus(next);
      },
      (error: unknown) => {
        if (live) setStatus({ state: 'disconnected', error: toErrorInfo(error) });
      },
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  const restart = useCallback(() => {
    setStatus({ state: 'starting' });
    api.restartEngine().then(setStatus, (error: unknown) => setStatus({ state: 'disconnected', error: toErrorInfo(error) }));
  }, [api]);
  return { status, restart };
}

export function useAppInfo(api: Api): AppInfo | null {
  const [info, setInfo] = useState<AppInfo | null>(null);
  useEffect(() => {
    let live = true;
    api.getAppInfo().then(
      (next) => {
        if (live) setInfo(next);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  return info;
}
