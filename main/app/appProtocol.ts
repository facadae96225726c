// Serves the renderer bundle as app://netwright/... (instead of file://, which would give the page the whole disk):
// every response carries the CSP, and resolveBundleFile keeps each request inside the bundle.
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { appResponseHeaders, contentTypeOf, resolveBundleFile } from './protocol';
import { appScheme } from './security';

/** Must run before app 'ready': app:// is a standard, secure origin (so CSP 'self', fetch and storage work). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/** Installs the handler on the default session (after 'ready'). */
export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(appScheme, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
    const resolved = resolveBundleFile(rendererDir, request.url);
    if (!resolved.ok) {
      if (resolved.status === 403) console.warn(`[app://] refused ${request.url}: ${resolved.reason}`);
      return new Response(resolved.reason, { status: resolved.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    }
    const body = await readFile(resolved.file);
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: appResponseHeaders(contentTypeOf(resolved.file)) });
  });
}
