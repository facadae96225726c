// Preload (sandboxed, dist/main/preload.cjs): exposes exactly the Api as window.netwright over IPC, and nothing else.
// Listeners get plain data: never ipcRenderer, an IPC event, a sender or a MessagePort.
import { contextBridge, ipcRenderer } from 'electron';
import type { Api, ApiEventData, ApiResult } from '../../shared/api/api';
import type { ErrorInfo } from '../../shared/api/errors';
import { apiEventNames, apiMethodNames, ipcChannels, isApiEventName, type ApiEventName, type ApiMethodName } from '../../shared/api/methods';

type IpcReply = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };
type AnyListener = (data: unknown) => void;

/** Errors cross contextBridge as plain Errors; the code is kept on the object and in the message. */
async function call<M extends ApiMethodName>(method: M, params: unknown[]): Promise<ApiResult<M>> {
  const reply = (await ipcRenderer.invoke(ipcChannels.call, method, params)) as IpcReply;
  if (reply.ok) return reply.result as ApiResult<M>;
  throw Object.assign(new Error(`${reply.error.code}: ${reply.error.message}`), { code: reply.error.code });
}

const listeners = new Map<ApiEventName, Set<AnyListener>>(apiEventNames.map((name) => [name, new Set<AnyListener>()]));

function emit(event: ApiEventName, data: unknown): void {
  for (const listener of listeners.get(event) ?? []) {
    try {
      listener(data);
    } catch (error: unknown) {
      console.error(error);
    }
  }
}

// Host events and menu commands: one channel from main; only main can send on it (ipcRenderer events come from main).
ipcRenderer.on(ipcChannels.event, (_event, name: unknown, data: unknown) => {
  if (isApiEventName(name)) emit(name, data);
});

// Desktop metrics: main hands over one MessagePort per live run; its other end is in the trainer process.
ipcRenderer.on(ipcChannels.metricsPort, (event) => {
  const port = event.ports[0];
  if (port === undefined) return;
  port.onmessage = (message: { data: unknown }) => {
    const data = message.data as { type?: unknown; runId?: unknown; metrics?: unknown } | null;
    if (data === null || typeof data !== 'object' || data.type !== 'runMetrics' || typeof data.runId !== 'string' || !Array.isArray(data.metrics)) return;
    emit('runMetrics', { runId: data.runId, metrics: data.metrics });
  };
});

/** One forwarder per name in apiMethodNames; main validates the parameters against the schemas. */
const calls = Object.fromEntries(apiMethodNames.map((method) => [method, (...params: unknown[]) => call(method, params)])) as Omit<Api, 'on'>;

const api: Api = {
  ...calls,
  on<E extends ApiEventName>(event: E, listener: (data: ApiEventData<E>) => void) {
    const set = listeners.get(event);
    if (set === undefined) throw new Error(`E_BAD_REQUEST: unknown event ${String(event)}`);
    const typed = listener as AnyListener;
    set.add(typed);
    return () => {
      set.delete(typed);
    };
  },
};

contextBridge.exposeInMainWorld('netwright', api);
