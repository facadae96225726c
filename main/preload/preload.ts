// Preload (sandboxed, dist/main/preload.cjs): exposes the Api as window.netwright over IPC, and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import type { Api, ApiEventData, ApiResult } from '../../shared/api/api';
import type { ErrorInfo } from '../../shared/api/errors';
import { apiEventNames, apiMethodNames, ipcChannels, type ApiEventName, type ApiMethodName } from '../../shared/api/methods';

type IpcReply = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };

/** Errors cross contextBridge as plain Errors; the code is kept on the object and in the message. */
async function call<M extends ApiMethodName>(method: M, params: unknown[] = []): Promise<ApiResult<M>> {
  const reply = (await ipcRenderer.invoke(ipcChannels.call, method, params)) as IpcReply;
  if (reply.ok) return reply.result as ApiResult<M>;
  throw Object.assign(new Error(`${reply.error.code}: ${reply.error.message}`), { code: reply.error.code });
}

/** One forwarder per name in apiMethodNames; main validates the parameters against the schemas. */
const calls = Object.fromEntries(apiMethodNames.map((method) => [method, (...params: unknown[]) => call(method, params)])) as Omit<Api, 'on'>;

const api: Api = {
  ...calls,
  on<E extends ApiEventName>(event: E, listener: (data: ApiEventData<E>) => void) {
    if (!apiEventNames.includes(event)) throw new Error(`E_BAD_REQUEST: unknown event ${String(event)}`);
    const handler = (_event: Electron.IpcRendererEvent, name: unknown, data: unknown): void => {
      if (name === event) listener(data as ApiEventData<E>);
    };
    ipcRenderer.on(ipcChannels.event, handler);
    return () => {
      ipcRenderer.off(ipcChannels.event, handler);
    };
  },
};

contextBridge.exposeInMainWorld('netwright', api);
