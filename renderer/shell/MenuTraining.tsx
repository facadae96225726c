// The desktop menu's Run > Train / Pause / Stop: the dashboard's own actions (inside its provider), so the menu and
// the run bar behave the same. Pause on a paused run resumes it; Stop writes a checkpoint (the run bar's default).
import { useEffect } from 'react';
import { isFinalRunState, toErrorInfo, type Api } from '../../shared/api';
import { useTraining } from '../runs/Training';

export function MenuTraining({ api }: { api: Api }) {
  const { store, train, notify } = useTraining();
  useEffect(
    () =>
      api.on('menuCommand', ({ command }) => {
        if (command !== 'train' && command !== 'pause' && command !== 'stop') return;
        if (command === 'train') return train();
        const info = store.current?.info ?? null;
        if (info === null || isFinalRunState(info.state)) return notify('No run is active.', 'info');
        const call = command === 'stop' ? store.stop(info.id, true) : info.state === 'paused' ? store.resume(info.id) : store.pause(info.id);
        call.catch((error: unknown) => notify(`${toErrorInfo(error).code}: ${toErrorInfo(error).message}`, 'error'));
      }),
    [api, store, train, notify],
  );
  return null;
}
