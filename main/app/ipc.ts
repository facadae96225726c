// IPC from the preload: one channel for calls, each validated (sender, method, parameters) before the host runs it.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { apiEventNames, ipcChannels, toErrorInfo, type Api, type ErrorInfo, type Unsubscribe } from '../../shared/api';
import { dispatchCall } from '../host';

/** What the preload gets back: errors travel as data so their codes survive Electron's error serialisation. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };

export function registerIpc(api: Api, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): void {
  ipcMain.handle(ipcChannels.call, async (event, method: unknown, params: unknown): Promise<IpcReply> => {
    if (!isTrustedSender(event)) {
      return { ok: false, error: { code: 'E_BAD_REQUEST', message: 'IPC from an untrusted frame was refused.' } };
    }
    try {
      return { ok: true, result: await dispatchCall(api, method, params) };
    } catch (error: unknown) {
      return { ok: false, error: toErrorInfo(error) };
    }
  });
}

/** Forwards host events to one window; returns the function that stops forwarding. */
export function forwardEvents(api: Api, contents: WebContents): Unsubscribe {
  const unsubscribers = apiEventNames.map((event) =>
    api.on(event, (data) => {
      if (!contents.isDestroyed()) contents.send(ipcChannels.event, event, data);
    }),
  );
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
