// Shared by the browser benchmarks (canvas frames, dashboard): start the built browser-mode
// server with its data in a temp root and wait for the tokenised URL it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const webEntry = join(root, 'dist/main/web.mjs');

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

export function startServer(dataRoot: string): Promise<{ server: ChildProcess; url: string }> {
  const env = {
    ...process.env,
    NETWRIGHT_NO_OPEN: '1',
    NETWRIGHT_DATA_DIR: join(dataRoot, 'data'),
    NETWRIGHT_PROJECTS_DIR: join(dataRoot, 'projects'),
    NETWRIGHT_RUNS_DIR: join(dataRoot, 'runs'),
  };
  const server = spawn(process.execPath, [webEntry], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser-mode server printed no URL within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ server, url: match[1] });
      }
    };
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.on('exit', (code) => reject(new Error(`browser-mode server exited with code ${String(code)}:\n${output}`)));
  });
}
