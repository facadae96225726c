// Browser-mode Api client: JSON requests over the host's WebSocket, responses and events validated with zod.
import {
  ApiError,
  apiEvents,
  apiMethodNames,
  apiMethods,
  rpcPath,
  RpcServerMessageSchema,
  type Api,
  type ApiCalls,
  type ApiEventData,
  type ApiEventName,
  type ApiMethodName,
  type ApiParams,
  type ApiResult,
  type RpcRequest,
} from '../../shared/api';

interface Pending {
  method: ApiMethodName;
  resolve: (value: unknown) => void;
  reject: (error: ApiError) => void;
}

type AnyListener = (data: unknown) => void;

const reconnectDelayMs = 1000;

/** Connects to `ws://<page host>/api?token=<token>` and reconnects after a drop. */
export function createWebSocketApi(pageUrl: URL): Api {
  const token = pageUrl.searchParams.get('token');
  if (token === null || token === '') {
    throw new ApiError(
      'E_DISCONNECTED',
      'This page was opened without its access token: open the full URL printed by `npm start` (it ends in ?token=...).',
    );
  }
  const scheme = pageUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const socketUrl = `${scheme}//${pageUrl.host}${rpcPath}?token=${encodeURIComponent(token)}`;

  let socket: WebSocket;
  let open: Promise<void>;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<ApiEventName, Set<AnyListener>>();

  const failAll = (message: string): void => {
    for (const [id, request] of pending) {
      request.reject(new ApiError('E_DISCONNECTED', message));
      pending.delete(id);
    }
  };

  const connect = (): void => {
    socket = new WebSocket(socketUrl);
    open = new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener(
        'close',
        () => reject(new ApiError('E_DISCONNECTED', 'Cannot reach the Netwright host: is `npm start` still running?')),
        { once: true },
      );
    });
    // A rejection here is reported through each call; keep it from being "unhandled".
    open.catch(() => undefined);
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data !== 'string') return;
      const parsed = RpcServerMessageSchema.safeParse(JSON.parse(event.data));
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.kind === 'event') {
        const data = apiEvents[message.event].safeParse(message.data);
        if (!data.success) return;
        for (const listener of listeners.get(message.event) ?? []) listener(data.data);
        return;
      }
      const request = pending.get(message.id);
      if (request === undefined) return;
      pending.delete(message.id);
      if (!message.ok) {
        request.reject(ApiError.from(message.error));
        return;
      }
      const result = apiMethods[request.method].result.safeParse(message.result);
      if (result.success) request.resolve(result.data);
      else request.reject(new ApiError('E_BAD_REQUEST', `Host sent a malformed ${request.method} result: ${result.error.message}`));
    });
    socket.addEventListener('close', () => {
      failAll('The connection to the Netwright host was lost; reconnecting.');
      setTimeout(connect, reconnectDelayMs);
    });
  };
  connect();

  const call = async <M extends ApiMethodName>(method: M, ...params: ApiParams<M>): Promise<ApiResult<M>> => {
    await open;
    const id = nextId++;
    const request: RpcRequest = { kind: 'request', id, method, params };
    return new Promise<ApiResult<M>>((resolve, reject) => {
      pending.set(id, { method, resolve: (value) => resolve(value as ApiResult<M>), reject });
      socket.send(JSON.stringify(request));
    });
  };

  // One forwarder per name in apiMethodNames: the host validates parameters, this client validates results.
  const calls = Object.fromEntries(
    apiMethodNames.map((method) => [method, (...params: unknown[]) => call(method, ...(params as ApiParams<typeof method>))]),
  ) as ApiCalls;

  return {
    ...calls,
    on<E extends ApiEventName>(event: E, listener: (data: ApiEventData<E>) => void) {
      const set = listeners.get(event) ?? new Set<AnyListener>();
      listeners.set(event, set);
      const wrapped: AnyListener = (data) => listener(data as ApiEventData<E>);
      set.add(wrapped);
      return () => {
        set.delete(wrapped);
      };
    },
  };
}
