// Browser-mode entry (dist/main/web.mjs): starts the host and the local web server, prints the tokenised URL.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { createHost, forkLauncher, packagePaths, packageVersion } from '../host';
import { startWebServer } from './webServer';

const usage = `Usage: node dist/main/web.mjs [--port N] [--open]
  --port N   listen on 127.0.0.1:N (default: a free port)
  --open     open the page in the default browser`;

function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer.exe' : 'xdg-open';
  const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => console.log(`(could not run ${command}; open the URL above yourself)`));
  child.unref();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, open: { type: 'boolean' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help === true) {
    console.log(usage);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`E_BAD_REQUEST: --port must be an integer 0..65535, got ${values.port ?? ''}.\n${usage}`);
  }

  const paths = packagePaths();
  const host = createHost({
    mode: 'browser',
    version: packageVersion(paths.root),
    launcher: forkLauncher({ entry: paths.trainerEntry }),
    trainerEntry: paths.trainerEntry,
  });
  host.on('engineStatus', (status) => {
    if (status.state === 'error') console.error(`[engine] ${status.error.code}: ${status.error.message}`);
    if (status.state === 'ready') console.log(`[engine] ready: ${status.info.version} (${status.info.simd})`);
  });
  void host.start();

  const server = await startWebServer({ api: host, rendererDir: paths.rendererDir, port });
  console.log(`Netwright (browser mode) is running. Open this URL (it contains your access token):\n  ${server.url}`);
  console.log('Press Ctrl-C to stop.');
  if (values.open === true) openInBrowser(server.url);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    host.dispose();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
