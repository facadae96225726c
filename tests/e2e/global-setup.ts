// Starts the built browser-mode server (dist/main/web.mjs), reads its tokenised URL and hands it to the tests.
import type { FullConfig } from '@playwright/test';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = `${root}dist/main/web.mjs`;
const urlPattern = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/;

export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const chromium = config.projects[0]?.use.launchOptions?.executablePath ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    // The tests skip themselves; say it loudly here too, because list reporters do not print skip reasons.
    console.warn(`[e2e] SKIPPING the e2e tests: Chromium not found at ${chromium}. Install it (apt-get install chromium) or set NETWRIGHT_CHROMIUM.`);
  }
  if (!existsSync(entry)) throw new Error(`E_NOT_BUILT: ${entry} is missing: run \`npm run build:js\` (npm run test:e2e does).`);
  // Recent files, the recovery file, the file browser's default folder and training runs live in a fresh folder, not the user's home.
  const dataRoot = mkdtempSync(join(tmpdir(), 'netwright-e2e-'));
  process.env.NETWRIGHT_E2E_DIR = dataRoot;
  const env = { ...process.env, NETWRIGHT_NO_OPEN: '1', NETWRIGHT_DATA_DIR: join(dataRoot, 'data'), NETWRIGHT_PROJECTS_DIR: join(dataRoot, 'projects'), NETWRIGHT_RUNS_DIR: join(dataRoot, 'runs') };
  const server = spawn(process.execPath, [entry], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser-mode server printed no URL within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = urlPattern.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      process.stderr.write(chunk);
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`browser-mode server exited with code ${String(code)}:\n${output}`));
    });
  });
  console.log(`[e2e] browser-mode server: ${url}`);
  // Workers inherit the environment set here.
  process.env.NETWRIGHT_URL = url;
  return async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  };
}
