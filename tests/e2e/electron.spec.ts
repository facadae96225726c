// The desktop app end to end with Playwright's _electron: the window's security (app:// page, only window.netwright,
// path checks), a sample opened, trained and exported through the real menu and a stubbed native dialog, and a
// renderer crash that does not stop training. Skips, saying why, where the Electron binary is missing.
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiMethodNames } from '../../shared/api/methods';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The Electron executable, or why there is none (same rules as scripts/start.mjs, without triggering a download). */
function findElectron(): { binary: string } | { reason: string } {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return { reason: `the Electron binary is not installed (${pathFile} missing; run \`npm run electron:install\`, which needs network access and Node 22)` };
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return { reason: `the Electron binary ${binary} is missing (run \`npm run electron:install\`)` };
  if (process.platform === 'linux' && process.env.DISPLAY === undefined && process.env.WAYLAND_DISPLAY === undefined) {
    return { reason: 'no display (set DISPLAY, or run under xvfb-run)' };
  }
  return { binary };
}

const found = findElectron();
// The list reporter does not print skip reasons; say it here too.
if ('reason' in found) console.warn(`[e2e] SKIPPING the desktop (Electron) e2e tests: ${found.reason}.`);
test.skip('reason' in found, `SKIPPED desktop e2e: ${'reason' in found ? found.reason : ''}. Browser-mode e2e still ran.`);

let app: ElectronApplication;
let page: Page;
let work: string;

test.beforeAll(async () => {
  if ('reason' in found) return;
  work = mkdtempSync(join(tmpdir(), 'netwright-electron-e2e-'));
  app = await electron.launch({
    executablePath: found.binary,
    args: [root, `--user-data-dir=${join(work, 'user-data')}`],
    env: {
      ...process.env,
      NETWRIGHT_DATA_DIR: join(work, 'data'),
      NETWRIGHT_PROJECTS_DIR: join(work, 'projects'),
      NETWRIGHT_RUNS_DIR: join(work, 'runs'),
    },
  });
  page = await app.firstWindow();
  await page.waitForLoadState('domcontentloaded');
});

test.afterAll(async () => {
  // Quitting with no live run asks nothing; a leftover run is stopped by the quit dialog stub below.
  await app?.close();
});

test('the window shows our app:// page and exposes only the Api', async () => {
  expect(page.url()).toMatch(/^app:\/\/netwright\//);
  const surface = await page.evaluate(() => ({
    keys: Object.keys((window as unknown as { netwright: object }).netwright).sort(),
    require: typeof (window as unknown as { require?: unknown }).require,
    process: typeof (window as unknown as { process?: unknown }).process,
  }));
  expect(surface.keys).toEqual([...apiMethodNames, 'on'].sort());
  expect(surface.require).toBe('undefined');
  expect(surface.process).toBe('undefined');
  const probes = await page.evaluate(async () => {
    const status = async (url: string): Promise<number | string> => {
      try {
        return (await fetch(url)).status;
      } catch (error) {
        return String(error);
      }
    };
    const index = await fetch('app://netwright/index.html');
    return {
      csp: index.headers.get('content-security-policy'),
      traversal: await status('app://netwright/..%2f..%2fpackage.json'),
      encoded: await status('app://netwright/%2e%2e/%2e%2e/package.json'),
      file: await status('file:///etc/hostname'),
    };
  });
  expect(probes.csp).toContain("script-src 'self'");
  expect(probes.traversal).toBe(403);
  expect(probes.encoded).toBe(403);
  expect(probes.file).not.toBe(200);
  // window.open and navigation never leave the page.
  await page.evaluate(() => {
    window.open('https://attacker.example/');
    window.location.href = 'https://attacker.example/';
  });
  await page.waitForTimeout(500);
  expect(app.windows()).toHaveLength(1);
  expect(page.url()).toMatch(/^app:\/\/netwright\//);
});

test('open a sample, train it, export PyTorch code through the menu', async () => {
  await page.getByRole('button', { name: /Open sample Two moons/i }).click();
  await expect(page.getByRole('region', { name: 'Canvas' })).toBeVisible();
  await page.getByRole('button', { name: '▶ Train' }).click();
  await expect(page.getByRole('region', { name: 'Training' })).toContainText(/completed/i, { timeout: 120_000 });
  const target = join(work, 'two_moons.py');
  // The native save dialog is stubbed in main; the menu item itself is the real one.
  await app.evaluate(({ dialog, Menu }, file) => {
    dialog.showSaveDialog = (() => Promise.resolve({ canceled: false, filePath: file })) as typeof dialog.showSaveDialog;
    Menu.getApplicationMenu()?.getMenuItemById('file.exportPyTorch')?.click();
  }, target);
  await expect.poll(() => existsSync(target), { timeout: 20_000 }).toBe(true);
  expect(readFileSync(target, 'utf8')).toContain('import torch');
});

test('a renderer crash does not stop training; the reloaded window re-attaches to the live run', async () => {
  const run = await page.evaluate(async () => {
    const api = (window as unknown as { netwright: { startRun(r: unknown): Promise<{ id: string }>; listSamples(): Promise<{ id: string; text: string }[]> } }).netwright;
    const sample = (await api.listSamples()).find((s) => s.id === 'two-moons');
    if (sample === undefined) throw new Error('two-moons sample missing');
    return api.startRun({ projectJson: sample.text, options: { epochs: 200 } });
  });
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.webContents.forcefullyCrashRenderer());
  await page.waitForEvent('load', { timeout: 30_000 });
  const after = await page.evaluate(
    (id) =>
      new Promise<{ state: string; metrics: number }>((resolve) => {
        const api = (window as unknown as { netwright: { on(e: string, l: (d: { runId: string; metrics: unknown[] }) => void): () => void; listRuns(): Promise<{ id: string; state: string }[]> } }).netwright;
        const stop = api.on('runMetrics', (data) => {
          if (data.runId !== id) return;
          stop();
          void api.listRuns().then((runs) => resolve({ state: runs.find((r) => r.id === id)?.state ?? 'missing', metrics: data.metrics.length }));
        });
      }),
    run.id,
  );
  expect(after.state).toBe('running');
  expect(after.metrics).toBeGreaterThan(0);
  await page.evaluate((id) => (window as unknown as { netwright: { stopRun(id: string, o: { save: boolean }): Promise<unknown> } }).netwright.stopRun(id, { save: false }), run.id);
});
