// The desktop shell's security decisions as pure functions (no Electron at run time), so every one is unit-tested:
// window options, our origin, navigation/new-window policy with the documentation allow-list, permissions, IPC senders.
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/** The scheme and host the renderer is served from (main/app/protocol.ts); the page's origin is `app://netwright`. */
export const appScheme = 'app';
export const appHost = 'netwright';
export const appOrigin = `${appScheme}://${appHost}`;
export const appIndexUrl = `${appOrigin}/index.html`;

/**
 * Hosts whose pages may be opened in the system browser (documentation links in layer docs and Help). Exact host
 * names: `docs.pytorch.org.attacker.com`, `pytorch.org.evil` and `evilpytorch.org` are different hosts and refused.
 */
export const documentationHosts: readonly string[] = ['pytorch.org', 'docs.pytorch.org', 'onnx.ai', 'github.com'];

/**
 * The only webPreferences any Netwright window gets. Every flag is spelled out, including defaults, so a change of
 * Electron's defaults or a careless edit shows up in the unit test instead of in production.
 */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: true,
  };
}

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

/** The window factory's options: secure preferences, hidden until the first paint, the remembered bounds. */
export function windowOptions(preload: string, bounds: WindowBounds, options: { devTools: boolean }): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    minWidth: 720,
    minHeight: 480,
    title: 'Netwright',
    show: false,
    backgroundColor: '#1e1e1e',
    webPreferences: { ...secureWebPreferences(preload), devTools: options.devTools },
  };
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True for an `https:` URL on an allow-listed documentation host, without credentials or an unusual port. */
export function isDocumentationUrl(url: string): boolean {
  const parsed = parseUrl(url);
  if (parsed === null) return false;
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '' || parsed.port !== '') return false;
  // URL lower-cases and punycode-encodes the host, so look-alikes in other scripts never equal an entry.
  return documentationHosts.includes(parsed.hostname);
}

/** True for a URL of our own bundle (`app://netwright/...`). */
export function isAppUrl(url: string): boolean {
  const parsed = parseUrl(url);
  return parsed !== null && parsed.protocol === `${appScheme}:` && parsed.host === appHost && parsed.username === '' && parsed.password === '';
}

export type NavigationDecision = { action: 'deny' } | { action: 'deny'; openExternal: string };

/**
 * What to do with a navigation or window.open: the window never leaves our page (a reload of it is allowed by the
 * caller); documentation links are handed to the system browser; everything else is dropped.
 */
export function navigationDecision(url: string): NavigationDecision {
  if (isDocumentationUrl(url)) return { action: 'deny', openExternal: new URL(url).href };
  return { action: 'deny' };
}

/** Every permission request (camera, notifications, clipboard-read, …) and check is refused: the app needs none. */
export function permissionDecision(_permission: string): false {
  return false;
}

/** What main knows of an IPC sender; built from `event.senderFrame` and the sender's WebContents. */
export interface IpcSender {
  /** The frame's URL, or null when the frame is gone (navigated or destroyed). */
  frameUrl: string | null;
  /** True when the frame has no parent (the top frame). */
  isTopFrame: boolean;
  /** True when the sending WebContents belongs to a window this app created. */
  isOurWindow: boolean;
}

/** Only the top frame of one of our windows, showing our bundle, may talk to main. */
export function isTrustedSender(sender: IpcSender): boolean {
  if (!sender.isOurWindow || !sender.isTopFrame || sender.frameUrl === null) return false;
  // NOTE: WHATWG URL gives custom schemes the origin "null" in Node, so compare scheme and host instead.
  return isAppUrl(sender.frameUrl);
}
