// The desktop shell's security pieces as pure functions: window options, navigation allow-list, permissions, IPC
// validation with forged senders and malformed arguments, the app:// path resolver and the CSP.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipcChannels } from '../../shared/api';
import { validateIpcCall } from '../../main/app/ipcValidator';
import { appContentSecurityPolicy, appResponseHeaders, resolveBundleFile } from '../../main/app/protocol';
import {
  appIndexUrl,
  isDocumentationUrl,
  isTrustedSender,
  navigationDecision,
  permissionDecision,
  secureWebPreferences,
  windowOptions,
  type IpcSender,
} from '../../main/app/security';

describe('window factory options', () => {
  it('isolates, sandboxes and disables Node, webviews and insecure content', () => {
    const prefs = secureWebPreferences('/x/preload.cjs');
    expect(prefs).toMatchObject({
      preload: '/x/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
  });

  it('keeps the secure preferences whatever the bounds, and hides the window until it is painted', () => {
    const options = windowOptions('/p.cjs', { x: 10, y: 20, width: 900, height: 700 }, { devTools: false });
    expect(options).toMatchObject({ x: 10, y: 20, width: 900, height: 700, show: false });
    expect(options.webPreferences).toEqual({ ...secureWebPreferences('/p.cjs'), devTools: false });
  });
});

describe('navigation and new windows', () => {
  it.each([
    'https://docs.pytorch.org/docs/stable/nn.html',
    'https://pytorch.org/',
    'https://onnx.ai/onnx/operators/',
    'https://DOCS.PyTorch.org/x',
  ])('opens documentation %s in the system browser', (url) => {
    expect(isDocumentationUrl(url)).toBe(true);
    expect(navigationDecision(url)).toEqual({ action: 'deny', openExternal: new URL(url).href });
  });

  it.each([
    'https://docs.pytorch.org.attacker.com/',
    'https://pytorch.org.evil/',
    'https://evilpytorch.org/',
    'https://pytorch.org./',
    'https://xn--pytorch-7ya.org/',
    'https://рytorch.org/', // Cyrillic р
    'https://attacker.com/#https://pytorch.org/',
    'https://pytorch.org@attacker.com/',
    'https://user:pw@pytorch.org/',
    'https://pytorch.org:8443/',
    'http://pytorch.org/',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'app://netwright/index.html',
    'not a url',
  ])('refuses %s without opening anything', (url) => {
    expect(isDocumentationUrl(url)).toBe(false);
    expect(navigationDecision(url)).toEqual({ action: 'deny' });
  });

  it('denies every permission', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'unknown']) {
      expect(permissionDecision(permission)).toBe(false);
    }
  });
});

describe('IPC validation', () => {
  const trusted: IpcSender = { frameUrl: appIndexUrl, isTopFrame: true, isOurWindow: true };

  it('accepts a well-formed call from the top frame of our page', () => {
    expect(validateIpcCall(ipcChannels.call, trusted, ['getAppInfo', []])).toEqual({ ok: true, method: 'getAppInfo', params: [] });
    expect(validateIpcCall(ipcChannels.call, { ...trusted, frameUrl: `${appIndexUrl}?x=1#y` }, ['openProject', ['/tmp/a.nwproj']])).toEqual({
      ok: true,
      method: 'openProject',
      params: ['/tmp/a.nwproj'],
    });
  });

  it.each<[string, IpcSender]>([
    ['a subframe', { ...trusted, isTopFrame: false }],
    ['a window that is not ours', { ...trusted, isOurWindow: false }],
    ['a destroyed frame', { ...trusted, frameUrl: null }],
    ['a web page', { ...trusted, frameUrl: 'https://attacker.com/' }],
    ['a file: page', { ...trusted, frameUrl: 'file:///tmp/index.html' }],
    ['a look-alike app host', { ...trusted, frameUrl: 'app://netwright.attacker/index.html' }],
    ['another custom scheme', { ...trusted, frameUrl: 'evil://netwright/index.html' }],
    ['credentials in the URL', { ...trusted, frameUrl: 'app://x@netwright/index.html' }],
    ['data: URL', { ...trusted, frameUrl: 'data:text/html,<script>1</script>' }],
  ])('refuses a forged sender: %s', (_name, sender) => {
    expect(isTrustedSender(sender)).toBe(false);
    const result = validateIpcCall(ipcChannels.call, sender, ['getAppInfo', []]);
    expect(result).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
  });

  it('refuses an unknown channel', () => {
    expect(validateIpcCall('netwright:other', trusted, ['getAppInfo', []])).toMatchObject({ ok: false, error: { code: 'E_BAD_REQUEST' } });
  });

  it.each<[string, unknown[], string]>([
    ['no arguments', [], 'E_BAD_REQUEST'],
    ['extra arguments', ['getAppInfo', [], 'x'], 'E_BAD_REQUEST'],
    ['an unknown method', ['readFileSync', ['/etc/passwd']], 'E_UNKNOWN_METHOD'],
    ['a prototype key as method', ['__proto__', []], 'E_UNKNOWN_METHOD'],
    ['a non-string method', [{ toString: 1 }, []], 'E_UNKNOWN_METHOD'],
    ['params not an array', ['getAppInfo', {}], 'E_BAD_REQUEST'],
    ['too many params', ['getAppInfo', [1]], 'E_BAD_REQUEST'],
    ['a wrong param type', ['openProject', [42]], 'E_BAD_REQUEST'],
    ['an empty path', ['openProject', ['']], 'E_BAD_REQUEST'],
    ['an unexpected option', ['stopRun', ['r1', { save: true, force: true }]], 'E_BAD_REQUEST'],
    ['a huge array', ['getAppInfo', new Array(1000).fill(0)], 'E_BAD_REQUEST'],
  ])('refuses malformed arguments: %s', (_name, args, code) => {
    expect(validateIpcCall(ipcChannels.call, trusted, args)).toMatchObject({ ok: false, error: { code } });
  });
});

describe('app:// path resolver', () => {
  let root: string;
  let outside: string;

  beforeAll(() => {
    const base = mkdtempSync(join(tmpdir(), 'netwright-app-protocol-'));
    root = join(base, 'renderer');
    outside = join(base, 'secret');
    mkdirSync(join(root, 'assets'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'assets', 'app.js'), 'export {};');
    writeFileSync(join(outside, 'key.txt'), 'secret');
    writeFileSync(join(base, 'renderer-evil.txt'), 'sibling');
    symlinkSync(join(outside, 'key.txt'), join(root, 'assets', 'link.txt'));
    symlinkSync(outside, join(root, 'linkdir'));
    symlinkSync(join(root, 'assets', 'app.js'), join(root, 'inside-link.js'));
  });

  afterAll(() => rmSync(join(root, '..'), { recursive: true, force: true }));

  it('serves index.html for / and files inside the bundle', () => {
    expect(resolveBundleFile(root, 'app://netwright/')).toMatchObject({ ok: true, file: expect.stringMatching(/index\.html$/) as unknown });
    expect(resolveBundleFile(root, 'app://netwright/assets/app.js?v=1#x')).toMatchObject({ ok: true, file: expect.stringMatching(/app\.js$/) as unknown });
    expect(resolveBundleFile(root, 'app://netwright/inside-link.js')).toMatchObject({ ok: true });
  });

  it.each([
    'app://netwright/../secret/key.txt',
    'app://netwright/assets/../../secret/key.txt',
    'app://netwright/..%2fsecret%2fkey.txt',
    'app://netwright/%2e%2e/secret/key.txt',
    'app://netwright/%2e%2e%2fsecret%2fkey.txt',
    'app://netwright/assets%2f..%2f..%2fsecret%2fkey.txt',
    'app://netwright/..%5csecret%5ckey.txt',
    'app://netwright/%252e%252e%252fsecret',
    'app://netwright/assets/link.txt',
    'app://netwright/linkdir/key.txt',
    'app://netwright/..%2frenderer-evil.txt',
    'app://netwright/C:%5cWindows%5cwin.ini',
    'app://netwright/index.html%00.js',
    'app://attacker/index.html',
    'app://u:p@netwright/index.html',
    'https://netwright/index.html',
    'app://netwright/%E0%A4%A',
    'app://netwright/missing.js',
    'app://netwright/assets',
  ])('refuses %s', (url) => {
    const result = resolveBundleFile(root, url);
    expect(result.ok).toBe(false);
  });

  it('tells a missing bundle apart', () => {
    expect(resolveBundleFile(join(root, 'nope'), 'app://netwright/')).toMatchObject({ ok: false, status: 404, reason: expect.stringContaining('build:js') as unknown });
  });
});

describe('Content-Security-Policy', () => {
  const directives = new Map(appContentSecurityPolicy.split(';').map((d) => {
    const [name = '', ...values] = d.trim().split(/\s+/);
    return [name, values] as const;
  }));

  it('allows only our own scripts: no inline script, no eval, nothing remote', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(appContentSecurityPolicy).not.toMatch(/unsafe-eval|wasm-unsafe-eval|strict-dynamic|\*|https?:/);
    expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
    for (const name of ['object-src', 'frame-src', 'base-uri', 'form-action', 'frame-ancestors']) expect(directives.get(name)).toEqual(["'none'"]);
  });

  it('is sent with every app:// response, with nosniff', () => {
    expect(appResponseHeaders('text/html')).toMatchObject({ 'Content-Security-Policy': appContentSecurityPolicy, 'X-Content-Type-Options': 'nosniff' });
  });
});
