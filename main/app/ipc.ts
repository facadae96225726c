// IPC with the preload: one invoke channel for Api calls, each checked by validateIpcCall (channel, sender frame,
// arguments) before the host runs it; host events and menu commands go out to our windows; metrics ports go out too.
import { ipcMain, type IpcMainInvokeEvent, type MessagePortMain, type WebContents } from 'electron';
import { apiEventNames, ipcChannels, toErrorInfo, type Api, type ErrorInfo, type MenuCommand, type Unsubscribe } from '../../shared/api';
import { dispatchCall } from '../host';
import { validateIpcCall } from './ipcValidator';
import type { IpcSender } from './security';

/** What the preload gets back: errors travel as data so their codes survive Electron's error serialisation. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };

/** Describes an invoke's sender for the pure validator; `isOurWindow` says whether its WebContents is one of ours. */
export function describeSender(event: IpcMainInvokeEvent, isOurWindow: (contents: WebContents) => boolean): IpcSender {
  const frame = event.senderFrame;
  return {
    // A frame that navigated away or was destroyed is null (Electron ≥ 30 warns and returns null).
    frameUrl: frame?.url ?? null,
    isTopFrame: frame !== null && frame.parent === null && frame === event.sender.mainFrame,
    isOurWindow: isOurWindow(event.sender),
  };
}

export function registerIpc(api: Api, isOurWindow: (contents: WebContents) => boolean): void {
  ipcMain.handle(ipcChannels.call, async (event, ...args: unknown[]): Promise<IpcReply> => {
    const checked = validateIpcCall(ipcChannels.call, describeSender(event, isOurWindow), args);
    if (!checked.ok) {
      console.warn(`[ipc] refused: ${checked.error.message}`);
      return { ok: false, error: checked.error };
    }
    try {
      return { ok: true, result: await dispatchCall(api, checked.method, checked.params) };
    } catch (error: unknown) {
      return { ok: false, error: toErrorInfo(error) };
    }
  });
}

/**
 * Forwards host events to one window. Run metrics are not forwarded: on the desktop they reach the window over a
 * MessagePort from the trainer (attachMetricsPort); the host only sees checkpoints and states.
 */
export function forwardEvents(api: Api, contents: WebContents): Unsubscribe {
  const unsubscribers = apiEventNames
    .filter((event) => event !== 'runMetrics' && event !== 'menuCommand')
    .map((event) =>
      api.on(event, (data) => {
        if (!contents.isDestroyed()) contents.send(ipcChannels.event, event, data);
      }),
    );
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

export function sendMenuCommand(contents: WebContents, command: MenuCommand): void {
  if (!contents.isDestroyed()) contents.send(ipcChannels.event, 'menuCommand', command);
}

/** Hands a run's metrics port to a window; the preload turns its messages into runMetrics events. */
export function sendMetricsPort(contents: WebContents, runId: string, port: MessagePortMain): void {
  if (contents.isDestroyed()) {
    port.close();
    return;
  }
  contents.postMessage(ipcChannels.metricsPort, { runId }, [port]);
}
