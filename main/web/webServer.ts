// Browser-mode server: serves the renderer and the Api (WebSocket) on 127.0.0.1, behind a token.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  apiEventNames,
  rpcPath,
  RpcRequestSchema,
  toErrorInfo,
  type Api,
  type RpcEvent,
  type RpcResponse,
} from '../../shared/api';
import { dispatchCall } from '../host';
import { readStatic } from './static';
import { createToken, hostAllowed, originAllowed, readCookie, tokenCookie, tokenMatches } from './security';

export interface WebServerOptions {
  api: Api;
  /** Directory with the built renderer (index.html). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token (tests); a fresh random one otherwise. */
  token?: string;
}

export interface WebServer {
  port: number;
  token: string;
  /** The page URL including `?token=`: the only way in. */
  url: string;
  close(): Promise<void>;
}

const maxMessageBytes = 1 << 20;

function securityHeaders(port: number): Record<string, string> {
  const wsOrigins = `ws://127.0.0.1:${port} ws://localhost:${port}`;
  return {
    // Inline style attributes are needed by @xyflow/react; scripts are only our own bundle.
    'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ${wsOrigins}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    'X-Content-Type-Options': 'nosniff',
    // The token is in the page URL: never send it anywhere in a Referer.
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  };
}

function reject(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? createToken();
  const { api, rendererDir } = options;
  let port = 0;

  const presentedToken = (req: IncomingMessage, url: URL): string | null =>
    url.searchParams.get('token') ?? readCookie(req.headers.cookie, tokenCookie);

  const server = createServer((req, res) => {
    void (async () => {
      if (!hostAllowed(req.headers.host, port)) {
        reject(res, 403, 'E_HOST: this server only answers to 127.0.0.1 and localhost.');
        return;
      }
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      const fromQuery = url.searchParams.get('token');
      if (!tokenMatches(presentedToken(req, url), token)) {
        reject(res, 401, 'E_TOKEN: open the URL printed by `npm start` (it includes ?token=...).');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        reject(res, 405, 'E_METHOD: only GET and HEAD are served; the Api is on the WebSocket.');
        return;
      }
      const file = await readStatic(rendererDir, url.pathname);
      if (file === null) {
        const hint = url.pathname === '/' ? ' The renderer is not built: run `npm run build:js`.' : '';
        reject(res, 404, `Not found.${hint}`);
        return;
      }
      const headers: Record<string, string> = { ...securityHeaders(port), 'Content-Type': file.contentType };
      // The page's own sub-resources (scripts, styles) carry no token: the cookie authorises them.
      if (fromQuery !== null) {
        headers['Set-Cookie'] = `${tokenCookie}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
      }
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : file.body);
    })().catch((error: unknown) => {
      reject(res, 500, `E_INTERNAL: ${toErrorInfo(error).message}`);
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    if (!hostAllowed(req.headers.host, port)) return rejectUpgrade(socket, 403, 'Forbidden');
    if (!originAllowed(req.headers.origin, port)) return rejectUpgrade(socket, 403, 'Forbidden');
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    if (url.pathname !== rpcPath) return rejectUpgrade(socket, 404, 'Not Found');
    if (!tokenMatches(presentedToken(req, url), token)) return rejectUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        void handleMessage(ws, String(data));
      });
    });
  });

  const send = (ws: WebSocket, message: RpcResponse | RpcEvent): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  const handleMessage = async (ws: WebSocket, text: string): Promise<void> => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      send(ws, { kind: 'response', id: 0, ok: false, error: { code: 'E_BAD_REQUEST', message: 'Message is not JSON.' } });
      return;
    }
    const parsed = RpcRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : 0;
      send(ws, { kind: 'response', id, ok: false, error: { code: 'E_BAD_REQUEST', message: parsed.error.message } });
      return;
    }
    const { id, method, params } = parsed.data;
    try {
      const result = await dispatchCall(api, method, params);
      send(ws, { kind: 'response', id, ok: true, result });
    } catch (error: unknown) {
      send(ws, { kind: 'response', id, ok: false, error: toErrorInfo(error) });
    }
  };

  const unsubscribers = apiEventNames.map((event) =>
    api.on(event, (data) => {
      for (const ws of clients) send(ws, { kind: 'event', event, data });
    }),
  );

  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
