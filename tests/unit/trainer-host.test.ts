// Runs through the host and a real trainer process (child_process.fork of the trainer entry, from source with tsx):
// events and the run log, listRuns/openRun, and a trainer killed mid-run reported as `crashed`, then resumed
// from its last checkpoint to completion.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSteps, type RunInfo, type RunMetric } from '../../shared/api';
import { createHost, forkLauncher, packagePaths } from '../../main/host';

const paths = packagePaths();
const haveEngine = existsSync(paths.nativeAddon);
if (!haveEngine) console.warn(`trainer host tests skipped: the native engine is not built (${paths.nativeAddon}); run npm run build:native`);

function makeHost(): ReturnType<typeof createHost> {
  return createHost({
    mode: 'cli', version: 'test', runsDir: mkdtempSync(join(tmpdir(), 'nw-runs-')), timeoutMs: 60_000,
    launcher: forkLauncher({ entry: paths.trainerSource, execArgv: ['--import', 'tsx'] }),
  });
}

function waitFor(host: ReturnType<typeof createHost>, test: (info: RunInfo) => boolean): Promise<RunInfo> {
  return new Promise((resolve) => {
    const off = host.on('runStatus', (info) => {
      if (test(info)) {
        off();
        resolve(info);
      }
    });
  });
}

const twoMoons = readFileSync(join(paths.root, 'samples', 'two-moons.json'), 'utf8');

describe.skipIf(!haveEngine)('runs through the host and a trainer process', () => {
  it('streams metrics, keeps the run log, and lists and reopens the run', async () => {
    const host = makeHost();
    try {
      const metrics: RunMetric[] = [];
      host.on('runMetrics', (e) => metrics.push(...e.metrics));
      const done = waitFor(host, (i) => i.state === 'completed' || i.state === 'failed');
      const started = await host.startRun({ projectJson: twoMoons, options: { epochs: 3 } });
      expect(started.state).toBe('starting');
      const info = await done;
      expect(info.state, info.message).toBe('completed');
      expect(info.lastEpoch?.epoch).toBe(3);
      expect(metrics.filter((m) => m.kind === 'epoch')).toHaveLength(3);
      const runs = await host.listRuns();
      expect(runs.map((r) => r.id)).toContain(started.id);
      const log = await host.openRun(started.id);
      expect(log.info.state).toBe('completed');
      expect(log.metrics.filter((m) => m.kind === 'epoch')).toHaveLength(3);
      expect(log.metrics.length).toBe(readFileSync(join(info.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').length);
      // every step's loss, not only the ≤ 20 a second that were streamed
      const steps = decodeSteps(log.steps!);
      expect(info.step).toBe(75);
      expect(Array.from(steps.step)).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
      expect(log.steps!.loss.dtype).toBe('float32');
      for (const m of metrics) if (m.kind === 'step') expect(steps.loss[m.step - 1]).toBe(m.loss);
      await expect(host.pauseRun('nope')).rejects.toMatchObject({ code: 'E_RUN_NOT_FOUND' });
    } finally {
      host.dispose();
    }
  }, 120_000);

  it('refuses a run on a device this machine lacks before the run exists, naming the available devices', async () => {
    const host = makeHost();
    try {
      const status = await host.start();
      expect(status.state).toBe('ready');
      await expect(host.startRun({ projectJson: twoMoons, options: { device: 'cuda:63' } })).rejects.toMatchObject({
        code: 'E_RUN', message: expect.stringMatching(/device cuda:63 is not available: .*Available devices: cpu \(/),
      });
      expect(await host.listRuns()).toEqual([]);
    } finally {
      host.dispose();
    }
  }, 120_000);

  it('reports a killed trainer as crashed, with the reason, and resumes from the last checkpoint', async () => {
    const host = makeHost();
    try {
      const checkpointed = new Promise<string>((resolve) => {
        host.on('runMetrics', (e) => {
          for (const m of e.metrics) if (m.kind === 'checkpoint') resolve(m.path);
        });
      });
      const crashed = waitFor(host, (i) => i.state === 'crashed');
      const started = await host.startRun({ projectJson: twoMoons, options: { epochs: 200 } });
      await checkpointed;
      host.runs.killTrainer(started.id);
      const info = await crashed;
      expect(info.message).toMatch(/The trainer process died during the run: .*exited with signal SIGTERM/);
      expect(info.resumable).toBe(true);
      expect(info.lastCheckpoint).toBe(join(info.dir, 'checkpoints', 'last.mdl'));
      expect((await host.listRuns()).find((r) => r.id === started.id)?.state).toBe('crashed');
      // Resume, then stop with a save: the run continues from the checkpoint, not from scratch.
      const resumedRunning = waitFor(host, (i) => i.state === 'running' && i.epoch > 0);
      await host.resumeRun(started.id);
      const running = await resumedRunning;
      expect(running.epoch).toBeGreaterThanOrEqual(1);
      const stopped = waitFor(host, (i) => i.state === 'stopped');
      await host.stopRun(started.id, { save: true });
      const end = await stopped;
      expect(end.resumable).toBe(true);
      const log = await host.openRun(started.id);
      expect(log.metrics.some((m) => m.kind === 'state' && m.state === 'crashed')).toBe(true);
    } finally {
      host.dispose();
    }
  }, 120_000);
});
