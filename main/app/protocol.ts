// The app:// protocol's pure parts: the Content-Security-Policy and the resolver that maps a request URL to a file
// inside the renderer bundle and nowhere else (`..`, encoded `%2e%2e%2f`, backslashes, NUL, symlinks out of it).
import { realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { appHost, appScheme } from './security';

/**
 * The page's policy: only our own scripts (no inline script, no eval, no wasm-eval), no plugins, no frames, no
 * form posts, no base-URI tricks, nothing fetched from the network. Inline style *attributes* are allowed because
 * @xyflow/react positions nodes with them; style cannot run code.
 */
export const appContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "frame-src 'none'",
  "child-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every app:// response. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': appContentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type BundleResolution = { ok: true; file: string } | { ok: false; status: 400 | 403 | 404; reason: string };

/**
 * Maps `app://netwright/<path>` to a regular file under `root`. Checks the decoded path's segments (so `%2e%2e`,
 * `%2f` and `\` cannot smuggle a `..`), then the real path after following symlinks, which must still be inside the
 * real root: a symlink in the bundle that points elsewhere is refused, not followed.
 */
export function resolveBundleFile(root: string, requestUrl: string): BundleResolution {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${appScheme}:` || url.host !== appHost) return { ok: false, status: 403, reason: 'foreign scheme or host' };
  if (url.username !== '' || url.password !== '') return { ok: false, status: 403, reason: 'credentials in URL' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400, reason: 'bad percent-encoding' };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400, reason: 'NUL in path' };
  const segments = decoded.split(/[/\\]+/).filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.' || /^[a-zA-Z]:$/.test(segment) || segment.includes(':'))) {
    return { ok: false, status: 403, reason: 'path escapes the bundle' };
  }
  const relativePath = segments.length === 0 ? 'index.html' : segments.join(sep);
  let realRoot: string;
  try {
    realRoot = realpathSync(resolve(root));
  } catch {
    return { ok: false, status: 404, reason: 'renderer bundle missing (run `npm run build:js`)' };
  }
  const candidate = resolve(realRoot, relativePath);
  if (!isInside(realRoot, candidate)) return { ok: false, status: 403, reason: 'path escapes the bundle' };
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
  if (!isInside(realRoot, real)) return { ok: false, status: 403, reason: 'symlink leads out of the bundle' };
  try {
    if (!statSync(real).isFile()) return { ok: false, status: 404, reason: 'not a file' };
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
  return { ok: true, file: real };
}

function isInside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
