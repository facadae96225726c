// Real HTTP + WebSocket tests of the browser-mode server's token, Host and Origin checks, and its Api transport.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RpcServerMessageSchema, type RpcServerMessage } from '../../shared/api';
import { startWebServer, type WebServer } from '../../main/web/webServer';
import { createFakeApi, fakeEngineInfo, type FakeApi } from './helpers/fakeApi';

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and resolves with it once open, or rejects with the HTTP status of the refused upgrade. */
function connect(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode ?? 0}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<RpcServerMessage> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(RpcServerMessageSchema.parse(JSON.parse(String(data))))));
}

describe('browser-mode web server', () => {
  let dir: string;
  let server: WebServer;
  let api: FakeApi;
  let origin: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netwright-web-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    api = createFakeApi();
    server = await startWebServer({ api, rendererDir: dir });
    origin = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 with a ≥128-bit token in the printed URL', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(Buffer.from(server.token, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('refuses HTTP requests without the token', async () => {
    const res = await get(server.port, '/');
    expect(res.status).toBe(401);
    expect(res.body).toContain('E_TOKEN');
  });

  it('refuses a wrong token', async () => {
    expect((await get(server.port, '/?token=nope')).status).toBe(401);
    expect((await get(server.port, `/?token=${server.token.slice(0, -1)}x`)).status).toBe(401);
  });

  it('serves the page with the token, sets an HttpOnly SameSite cookie and security headers', async () => {
    const res = await get(server.port, `/?token=${server.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>t</title>');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`netwright_token=${server.token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(String(res.headers['content-security-policy'])).toContain("default-src 'self'");
  });

  it('serves sub-resources with the cookie instead of the token', async () => {
    const res = await get(server.port, '/app.js', { Cookie: `netwright_token=${server.token}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/javascript');
    expect((await get(server.port, '/app.js', { Cookie: 'netwright_token=wrong' })).status).toBe(401);
  });

  it('accepts localhost:port as Host', async () => {
    const res = await get(server.port, `/?token=${server.token}`, { Host: `localhost:${server.port}` });
    expect(res.status).toBe(200);
  });

  it('refuses a foreign Host header even with the token (DNS rebinding)', async () => {
    const res = await get(server.port, `/?token=${server.token}`, { Host: `evil.example:${server.port}` });
    expect(res.status).toBe(403);
    expect(res.body).toContain('E_HOST');
    expect((await get(server.port, `/?token=${server.token}`, { Host: '127.0.0.1:1' })).status).toBe(403);
  });

  it('never serves files outside the renderer directory', async () => {
    const cookie = { Cookie: `netwright_token=${server.token}` };
    expect((await get(server.port, '/../../../etc/passwd', cookie)).status).toBe(404);
    expect((await get(server.port, '/%2e%2e/%2e%2e/etc/passwd', cookie)).status).toBe(404);
  });

  it('refuses a WebSocket upgrade without the token', async () => {
    await expect(connect(`ws://127.0.0.1:${server.port}/api`, { Origin: origin })).rejects.toThrow('HTTP 401');
  });

  it('refuses a WebSocket upgrade from a foreign Origin (CSRF)', async () => {
    const url = `ws://127.0.0.1:${server.port}/api?token=${server.token}`;
    await expect(connect(url, { Origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect(url, {})).rejects.toThrow('HTTP 403');
  });

  it('refuses a WebSocket upgrade with a foreign Host', async () => {
    const url = `ws://127.0.0.1:${server.port}/api?token=${server.token}`;
    await expect(connect(url, { Origin: origin, Host: 'evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('answers Api calls over an authorised WebSocket and pushes events', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { Origin: origin });
    try {
      ws.send(JSON.stringify({ kind: 'request', id: 7, method: 'getEngineStatus', params: [] }));
      expect(await nextMessage(ws)).toEqual({ kind: 'response', id: 7, ok: true, result: { state: 'ready', info: fakeEngineInfo } });

      ws.send(JSON.stringify({ kind: 'request', id: 8, method: 'deleteEverything', params: [] }));
      const refused = await nextMessage(ws);
      expect(refused).toMatchObject({ kind: 'response', id: 8, ok: false, error: { code: 'E_BAD_REQUEST' } });

      ws.send(JSON.stringify({ kind: 'request', id: 9, method: 'getAppInfo', params: ['extra'] }));
      expect(await nextMessage(ws)).toMatchObject({ id: 9, ok: false, error: { code: 'E_BAD_REQUEST' } });

      const event = nextMessage(ws);
      api.emitStatus({ state: 'error', error: { code: 'E_ENGINE_LOAD', message: 'run npm run build:native' } });
      expect(await event).toEqual({
        kind: 'event',
        event: 'engineStatus',
        data: { state: 'error', error: { code: 'E_ENGINE_LOAD', message: 'run npm run build:native' } },
      });
    } finally {
      ws.close();
    }
  });

  it('accepts the cookie on the WebSocket upgrade too', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/api`, { Origin: origin, Cookie: `netwright_token=${server.token}` });
    ws.close();
  });
});
