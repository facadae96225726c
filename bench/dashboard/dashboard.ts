// Dashboard load in headless Chromium: the built renderer with a fake Api (window.netwright, set before the app
// loads) that streams a 10-layer model's metrics at 20 Hz (step loss, 20 parameters' norms every message, 40
// histograms every 10th, an epoch every 40th). Measures (1) the renderer main thread's busy fraction over 10 s (CDP
// Performance.getMetrics TaskDuration / wall time) and (2) after 1,000,000 loss points, the time from the charts tab's
// render start to its commit and to the next frame, per redraw. Prints one JSON line.
//
// NOTE: the page is served by the real browser-mode server (token URL) but never opens its WebSocket: connectApi()
// prefers window.netwright, which the init script defines.
/// <reference lib="dom" />
// (the page-side functions below run in Chromium)
import { chromium } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, startServer, webEntry as entry } from '../browser-server';

const chromiumPath = process.env.NETWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
const measureSeconds = Number(process.env.NETWRIGHT_BENCH_SECONDS ?? 10);

/** A 10-layer MLP (16 → 9×[Linear 32 + ReLU] → Linear 2) with cross-entropy, as project text. */
function tenLayerProject(): string {
  const nodes: unknown[] = [{ id: 'x', layer: 'input.Features', params: { features: 16 }, position: { x: 0, y: 0 } }];
  const edges: unknown[] = [];
  let previous = 'x';
  for (let i = 1; i <= 10; i += 1) {
    nodes.push({ id: `fc${i}`, layer: 'nn.Linear', params: { out_features: i === 10 ? 2 : 32 }, position: { x: i * 440, y: 0 } });
    edges.push({ id: `e${i}a`, source: { node: previous, port: 'out' }, target: { node: `fc${i}`, port: 'input' } });
    previous = `fc${i}`;
    if (i < 10) {
      nodes.push({ id: `relu${i}`, layer: 'nn.ReLU', params: {}, position: { x: i * 440 + 220, y: 0 } });
      edges.push({ id: `e${i}b`, source: { node: previous, port: 'out' }, target: { node: `relu${i}`, port: 'input' } });
      previous = `relu${i}`;
    }
  }
  nodes.push({ id: 'target', layer: 'input.Target', params: { dtype: 'class-index', shape: [] }, position: { x: 4400, y: 200 } });
  nodes.push({ id: 'loss', layer: 'nn.CrossEntropyLoss', params: {}, position: { x: 4640, y: 0 } });
  edges.push({ id: 'el', source: { node: previous, port: 'out' }, target: { node: 'loss', port: 'input' } });
  edges.push({ id: 'et', source: { node: 'target', port: 'out' }, target: { node: 'loss', port: 'target' } });
  return JSON.stringify({
    format: 'netwright-project', version: 1, name: 'Dashboard bench (10 layers)', description: 'bench/dashboard',
    graph: { nodes, edges, groups: [] },
    training: {
      dataset: { source: 'synthetic', name: 'two-moons', options: {}, validationSplit: 0.2 }, loss: null,
      optimizer: { kind: 'sgd', lr: 0.01, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false }, schedule: { kind: 'constant' },
      epochs: 1000, batchSize: 32, shuffle: true, workers: 0, seed: 0, gradientClipping: null, device: 'auto', dtype: 'float32',
    },
    ui: { viewport: { x: 0, y: 0, zoom: 1 }, selection: [], collapsedGroups: [] },
  });
}

/** Runs in the page before the app: the fake Api and the metric stream. */
function installFakeApi(projectText: string): void {
  type Listener = (data: unknown) => void;
  const listeners = new Map<string, Set<Listener>>();
  const emit = (event: string, data: unknown): void => listeners.get(event)?.forEach((l) => l(data));
  const runId = 'bench-run';
  const info = (state: string, step: number) => ({
    id: runId, projectName: 'Dashboard bench (10 layers)', dir: '/bench', state, startedAt: new Date().toISOString(), epochs: 1000, epoch: 0, step,
    lastCheckpoint: null, resumable: false, lastEpoch: null,
  });
  let step = 0;
  let message = 0;
  const keys: string[] = [];
  for (let i = 1; i <= 10; i += 1) keys.push(`fc${i}.weight`, `fc${i}.bias`);
  const stepMetric = (s: number) => ({ kind: 'step', t: Date.now(), step: s, epoch: Math.floor(s / 1000), loss: 2 / Math.sqrt(s) + Math.random() * 0.05, lr: 0.01, samplesPerSec: 30000 + Math.random() * 1000, etaSec: 100, progress: s / 2e6 });
  const tick = (): void => {
    const metrics: unknown[] = [];
    step += 10;
    message += 1;
    metrics.push(stepMetric(step));
    metrics.push({ kind: 'params', t: Date.now(), step, params: keys.map((key, k) => ({ key, gradNorm: 0.01 * (k + 1) * (1 + Math.random()), weightNorm: 3 + k, updateNorm: 0.001 })) });
    if (message % 10 === 0) {
      metrics.push({ kind: 'histograms', t: Date.now(), step, histograms: keys.flatMap((key) => (['weight', 'grad'] as const).map((of) => ({ key, of, min: -1, max: 1, counts: Array.from({ length: 32 }, (_, b) => Math.round(1000 * Math.exp(-((b - 16) ** 2) / 40))) }))) });
    }
    if (message % 40 === 0) {
      const epoch = message / 40;
      metrics.push({ kind: 'epoch', t: Date.now(), epoch, trainLoss: 1 / epoch, trainAccuracy: 1 - 0.5 / epoch, valLoss: 1.1 / epoch, valAccuracy: 1 - 0.6 / epoch, lr: 0.01, seconds: 2 });
      emit('runStatus', info('running', step));
    }
    emit('runMetrics', { runId, metrics });
  };
  const bench = {
    timer: 0 as number,
    start(): void {
      bench.timer = window.setInterval(tick, 50);
    },
    stop(): void {
      window.clearInterval(bench.timer);
    },
    /** Appends `count` loss points at once (in messages of 100,000), continuing the step count. */
    bulk(count: number): void {
      for (let done = 0; done < count; done += 100_000) {
        const metrics = [];
        for (let k = 0; k < Math.min(100_000, count - done); k += 1) {
          step += 1;
          metrics.push(stepMetric(step));
        }
        emit('runMetrics', { runId, metrics });
      }
    },
    measures: [] as { commit: number; frame: number }[],
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.name !== 'charts-commit') continue;
      const start = e.startTime;
      const commit = e.duration;
      requestAnimationFrame(() => bench.measures.push({ commit, frame: performance.now() - start }));
    }
  }).observe({ type: 'measure', buffered: false });
  (window as unknown as { bench: typeof bench }).bench = bench;
  const sample = { id: 'bench', name: 'Dashboard bench', description: '10 layers', text: projectText };
  const results: Record<string, (...args: unknown[]) => unknown> = {
    getAppInfo: () => ({ name: 'Netwright', version: 'bench', mode: 'browser', platform: 'linux' }),
    getEngineStatus: () => ({ state: 'starting' }),
    listSamples: () => [sample],
    recentProjects: () => [],
    readRecovery: () => null,
    writeRecovery: () => null,
    listRuns: () => [],
    startRun: () => {
      setTimeout(() => emit('runStatus', info('running', 0)), 10);
      return info('starting', 0);
    },
    pauseRun: () => info('paused', step),
    resumeRun: () => info('running', step),
    stopRun: () => info('stopped', step),
    openRun: () => ({ info: info('running', step), metrics: [] }),
  };
  const api = new Proxy({} as Record<string, unknown>, {
    get(_target, name: string) {
      if (name === 'on') {
        return (event: string, listener: Listener) => {
          const set = listeners.get(event) ?? new Set();
          set.add(listener);
          listeners.set(event, set);
          return () => set.delete(listener);
        };
      }
      if (name === 'then') return undefined;
      return async (...args: unknown[]) => results[name]?.(...args) ?? null;
    },
  });
  Object.defineProperty(window, 'netwright', { value: api });
}

if (!existsSync(entry)) fail(`E_NOT_BUILT: ${entry} is missing: run \`npm run build:js\`.`);
if (!existsSync(chromiumPath)) fail(`Chromium not found at ${chromiumPath}: install it (apt-get install chromium) or set NETWRIGHT_CHROMIUM.`);

const dataRoot = mkdtempSync(join(tmpdir(), 'netwright-bench-dashboard-'));
const { server, url } = await startServer(dataRoot);
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
  // tsx (esbuild keepNames) wraps nested functions in __name(); the page needs it to run installFakeApi's source.
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.addInitScript(installFakeApi, tenLayerProject());
  await page.goto(url);
  await page.getByRole('button', { name: 'Open sample Dashboard bench' }).click();
  await page.getByRole('region', { name: 'Training' }).getByRole('button', { name: '▶ Train' }).click();
  await page.getByTestId('run-state').filter({ hasText: 'running' }).waitFor({ timeout: 20_000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskSeconds = async (): Promise<number> => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
  };
  await page.evaluate(() => (window as unknown as { bench: { start(): void } }).bench.start());
  await page.waitForTimeout(2000);
  const t0 = await taskSeconds();
  const wall0 = Date.now();
  await page.waitForTimeout(measureSeconds * 1000);
  const busy = (await taskSeconds()) - t0;
  const busyPct = (busy / ((Date.now() - wall0) / 1000)) * 100;
  const dots = await page.locator('[data-testid="gradient-health"]').count();

  // 1,000,000 loss points, then redraws while the 20 Hz stream continues.
  const bulkStarted = Date.now();
  await page.evaluate(() => (window as unknown as { bench: { bulk(n: number): void } }).bench.bulk(1_000_000));
  const bulkMs = Date.now() - bulkStarted;
  await page.waitForTimeout(1000);
  await page.evaluate(() => {
    (window as unknown as { bench: { measures: unknown[] } }).bench.measures = [];
  });
  await page.waitForTimeout(5000);
  const measures = await page.evaluate(() => (window as unknown as { bench: { measures: { commit: number; frame: number }[] } }).bench.measures);
  const points = Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  await page.evaluate(() => (window as unknown as { bench: { stop(): void } }).bench.stop());
  const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const pct = (xs: number[], q: number): number => sorted(xs)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
  const frames = measures.map((m) => m.frame);
  const commits = measures.map((m) => m.commit);
  console.log(JSON.stringify({
    busy_pct: busyPct, seconds: measureSeconds, health_dots: dots, loss_points: points, bulk_append_ms: bulkMs,
    redraws: measures.length, redraw_p50_ms: pct(frames, 0.5), redraw_max_ms: Math.max(...frames), commit_p50_ms: pct(commits, 0.5), commit_max_ms: Math.max(...commits),
  }));
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(dataRoot, { recursive: true, force: true });
}
