// More attacks on the browser-mode server over real HTTP and WebSocket: look-alike and alternative Host headers,
// null/foreign/scheme-swapped Origins, tokens in the wrong place or of the wrong length, methods, encoded traversal,
// and symlinks out of the renderer folder. Complements web-server.test.ts.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createToken, hostAllowed, originAllowed, readCookie, tokenMatches } from '../../main/web/security';
import { startWebServer, type WebServer } from '../../main/web/webServer';
import { createFakeApi } from './helpers/fakeApi';

function send(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('browser-mode security checks (pure)', () => {
  it('makes 256-bit URL-safe tokens, all different', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => createToken()));
    expect(tokens.size).toBe(50);
    for (const token of tokens) {
      expect(token).toMatch(/^[\w-]{43}$/);
      expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    }
  });

  it('compares tokens exactly', () => {
    const token = createToken();
    expect(tokenMatches(token, token)).toBe(true);
    for (const wrong of [token.slice(1), `${token}x`, token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(), '', null, undefined]) {
      expect(tokenMatches(wrong, token)).toBe(false);
    }
  });

  it.each(['127.0.0.1:8080.attacker.com', 'attacker.com', '127.0.0.1', '127.0.0.1:80', '[::1]:8080', '0.0.0.0:8080', 'localhost.attacker.com:8080', '127.0.0.1:8080 ', ''])(
    'refuses Host %j',
    (host) => expect(hostAllowed(host, 8080)).toBe(false),
  );

  it.each(['null', 'https://127.0.0.1:8080', 'http://127.0.0.1:8081', 'http://127.0.0.1:8080.attacker.com', 'http://attacker.com', 'file://', 'http://127.0.0.1:8080/path'])(
    'refuses Origin %j',
    (origin) => expect(originAllowed(origin, 8080)).toBe(false),
  );

  it('reads a cookie only by its exact name', () => {
    expect(readCookie('netwright_token_x=a; netwright_token=b', 'netwright_token')).toBe('b');
    expect(readCookie('xnetwright_token=a', 'netwright_token')).toBeNull();
  });
});

describe('browser-mode server over real HTTP and WebSocket', () => {
  let base: string;
  let dir: string;
  let server: WebServer;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'netwright-web-security-'));
    dir = join(base, 'renderer');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(base, 'secret.txt'), 'secret');
    symlinkSync(join(base, 'secret.txt'), join(dir, 'link.txt'));
    server = await startWebServer({ api: createFakeApi(), rendererDir: dir });
  });

  afterAll(async () => {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });

  it.each(['127.0.0.1:1.attacker.com', 'attacker.com', '[::1]', 'LOCALHOST.attacker.com'])('refuses Host %j even with the token', async (host) => {
    const res = await send(server.port, `/?token=${server.token}`, { headers: { Host: host.includes(':') || host.startsWith('[') ? host : `${host}:${server.port}` } });
    expect(res.status).toBe(403);
  });

  it('refuses a token of the right length but wrong value, and one in a header instead of the URL or cookie', async () => {
    const wrong = createToken();
    expect((await send(server.port, `/?token=${wrong}`)).status).toBe(401);
    expect((await send(server.port, '/', { headers: { Authorization: `Bearer ${server.token}` } })).status).toBe(401);
  });

  it('refuses POST, PUT and DELETE even with the token', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      expect((await send(server.port, `/?token=${server.token}`, { method })).status).toBe(405);
    }
  });

  it.each(['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/..%5csecret.txt', '/link.txt', '/%00index.html'])('never serves %s', async (path) => {
    const res = await send(server.port, `${path}?token=${server.token}`);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('secret');
  });

  it('refuses WebSocket upgrades with a null, https or other-port Origin, and accepts its own', async () => {
    const url = `ws://127.0.0.1:${server.port}/api?token=${server.token}`;
    for (const origin of ['null', `https://127.0.0.1:${server.port}`, `http://127.0.0.1:${server.port + 1}`]) {
      expect(await upgrade(url, { Origin: origin })).toBe(403);
    }
    expect(await upgrade(url, { Origin: `http://localhost:${server.port}` })).toBe(101);
    expect(await upgrade(`ws://127.0.0.1:${server.port}/api?token=${createToken()}`, { Origin: `http://127.0.0.1:${server.port}` })).toBe(401);
  });
});
