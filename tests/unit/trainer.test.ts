// The run loop in-process on the real engine: two moons to ≥ 95 % validation accuracy, Fashion-MNIST MLP to ≥ 83 %
// test accuracy in one epoch, exact resume (2N steps = N steps + stop + resume + N steps, bit for bit), divergence
// stopping as `diverged` with the last good checkpoint untouched, schedules and metrics.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStepLog, stepLogFileName, stepRecordBytes, type RunMetric, type RunOptions, type RunState, type StepColumns } from '../../shared/api';
import type { Project } from '../../shared/graph';
import { readCheckpoint } from '../../main/trainer/checkpoint';
import { TrainingRun, type RunUpdate } from '../../main/trainer/run';
import { initialPlateau, learningRate, updatePlateau } from '../../main/trainer/schedule';

const root = join(__dirname, '..', '..');
const addon = join(root, 'native', 'build', 'Release', 'netwright_native.node');
const fashion = '/usr/share/datasets/fashion-mnist';
const haveEngine = existsSync(addon);
if (!haveEngine) console.warn(`trainer tests skipped: the native engine is not built (${addon}); run npm run build:native`);

function sample(name: string, edit: (p: Project) => void = () => undefined): string {
  const project = JSON.parse(readFileSync(join(root, 'samples', `${name}.json`), 'utf8')) as Project;
  edit(project);
  return JSON.stringify(project);
}

interface Outcome {
  state: RunState;
  updates: RunUpdate[];
  metrics: RunMetric[];
  dir: string;
}

async function train(projectJson: string, options: RunOptions = {}, resumeFrom: string | null = null, dir = mkdtempSync(join(tmpdir(), 'nw-run-'))): Promise<Outcome> {
  const updates: RunUpdate[] = [];
  const metrics: RunMetric[] = [];
  const run = new TrainingRun({ projectJson, dir, options, resumeFrom, baseDir: root }, { metric: (m) => metrics.push(m), update: (u) => updates.push(u) });
  const state = await run.run();
  return { state, updates, metrics, dir };
}

const stepsOf = (dir: string): StepColumns => readStepLog(readFileSync(join(dir, stepLogFileName)));

const epochsOf = (o: Outcome): Extract<RunMetric, { kind: 'epoch' }>[] => o.metrics.filter((m): m is Extract<RunMetric, { kind: 'epoch' }> => m.kind === 'epoch');
const lastUpdate = (o: Outcome): RunUpdate => o.updates[o.updates.length - 1]!;

describe.skipIf(!haveEngine)('training runs', () => {
  it('two moons reaches ≥ 95 % validation accuracy, streaming step, epoch, param and checkpoint metrics', async () => {
    const o = await train(sample('two-moons'), { epochs: 40, paramStatsEvery: 50, histogramEvery: 200 });
    expect(o.state, lastUpdate(o).message).toBe('completed');
    const epochs = epochsOf(o);
    expect(epochs).toHaveLength(40);
    expect(epochs[39]!.valAccuracy!).toBeGreaterThanOrEqual(0.95);
    expect(o.metrics.some((m) => m.kind === 'params' && m.params.length === 6)).toBe(true);
    expect(o.metrics.some((m) => m.kind === 'histograms' && m.histograms.some((h) => h.key === 'fc1.weight'))).toBe(true);
    // Gradient histograms too, showing the gradient's spread (not a constant).
    const hist = o.metrics.find((m) => m.kind === 'histograms');
    const gradKeys = hist && hist.kind === 'histograms' ? hist.histograms.filter((h) => h.of === 'grad').map((h) => h.key) : [];
    expect(gradKeys).toContain('fc1.weight');
    const g = hist && hist.kind === 'histograms' ? hist.histograms.find((h) => h.of === 'grad' && h.key === 'fc1.weight') : undefined;
    expect(g && g.max > g.min).toBe(true);
    expect(o.metrics.filter((m) => m.kind === 'checkpoint')).toHaveLength(40);
    // the run log on disk has every metric, one JSON object a line (written by the trainer entry, not here)
    expect(existsSync(join(o.dir, 'checkpoints', 'last.mdl'))).toBe(true);
  }, 120_000);

  it('resumes exactly: N steps + stop + resume + N steps equals 2N uninterrupted steps, bit for bit', async () => {
    // two moons: 800 training samples, batch 32 → 25 steps an epoch; stop mid-epoch 2 at step 37 of 50.
    const project = sample('two-moons', (p) => {
      p.training.schedule = { kind: 'step', step_size: 1, gamma: 0.5 };
      p.training.gradientClipping = { maxNorm: 1, normType: 2 };
    });
    const whole = await train(project, { epochs: 2 });
    expect(whole.state).toBe('completed');
    const first = await train(project, { epochs: 2, maxSteps: 37 });
    expect(first.state).toBe('stopped');
    const checkpoint = join(first.dir, 'checkpoints', 'last.mdl');
    expect(readCheckpoint<{ step: number; batch: number }>(checkpoint).state).toMatchObject({ step: 37, batch: 12 });
    const resumed = await train(project, { epochs: 2 }, checkpoint, first.dir);
    expect(resumed.state, lastUpdate(resumed).message).toBe('completed');
    const a = readCheckpoint(join(whole.dir, 'checkpoints', 'last.mdl'));
    const b = readCheckpoint(join(first.dir, 'checkpoints', 'last.mdl'));
    expect([...b.weights.keys()]).toEqual([...a.weights.keys()]);
    for (const [key, t] of a.weights) expect(Buffer.from(b.weights.get(key)!.data.buffer).equals(Buffer.from(t.data.buffer)), key).toBe(true);
    for (const [k, p] of (a.optimizer ?? []).entries()) {
      expect(b.optimizer![k]!.step).toBe(p.step);
      for (const [name, t] of Object.entries(p.buffers)) expect(Buffer.from(b.optimizer![k]!.buffers[name]!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    }
    // the epoch summaries agree too (the partial epoch's sums travel in the checkpoint)
    expect(epochsOf(resumed)[0]!.trainLoss).toBe(epochsOf(whole)[1]!.trainLoss);
    // and so do the step logs: 50 records, the resumed run's steps 38..50 after the first run's 1..37
    const a1 = stepsOf(whole.dir);
    const b1 = stepsOf(first.dir);
    expect(b1.step.length).toBe(50);
    expect(Buffer.from(readFileSync(join(first.dir, stepLogFileName))).equals(readFileSync(join(whole.dir, stepLogFileName)))).toBe(true);
    expect(Array.from(b1.loss)).toEqual(Array.from(a1.loss));
  }, 120_000);

  it('keeps every step in the run log (steps.f64): N steps, N records, the values the trainer computed; the live stream is rate-limited', async () => {
    // two moons: 800 training samples, batch 32 → 25 steps an epoch; lr halves every epoch
    const project = sample('two-moons', (p) => {
      p.training.schedule = { kind: 'step', step_size: 1, gamma: 0.5 };
    });
    const o = await train(project, { epochs: 3 });
    expect(o.state, lastUpdate(o).message).toBe('completed');
    const file = join(o.dir, stepLogFileName);
    expect(statSync(file).size).toBe(75 * stepRecordBytes);
    const log = stepsOf(o.dir);
    expect(Array.from(log.step)).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
    // Every streamed step record is the logged one; the stream has fewer of them (≤ 20 a second).
    const streamed = o.metrics.filter((m): m is Extract<RunMetric, { kind: 'step' }> => m.kind === 'step');
    expect(streamed.length).toBeLessThan(75);
    expect(streamed[streamed.length - 1]!.step).toBe(75);
    for (const m of streamed) {
      expect(log.loss[m.step - 1]).toBe(m.loss);
      expect(log.lr[m.step - 1]).toBe(m.lr);
    }
    // Each epoch's train loss is the batch-weighted mean of its 25 logged losses, summed in the loop's order: exact.
    const epochs = epochsOf(o);
    expect(epochs).toHaveLength(3);
    epochs.forEach((e, k) => {
      let sum = 0;
      for (let i = k * 25; i < (k + 1) * 25; i += 1) {
        sum += log.loss[i]! * 32;
        expect(log.lr[i]).toBe(e.lr);
      }
      expect(sum / 800).toBe(e.trainLoss);
    });
    expect(epochs.map((e) => e.lr)).toEqual([0.01, 0.005, 0.0025]);

    // A crash leaves records past the last checkpoint (and maybe a torn one): resuming drops them and logs those
    // steps again, so the log equals an uninterrupted run's.
    const stopped = await train(project, { epochs: 3, maxSteps: 30 });
    expect(stopped.state).toBe('stopped');
    const junk = new Float64Array([31, 99, 99, 32, 99, 99]);
    appendFileSync(join(stopped.dir, stepLogFileName), Buffer.concat([Buffer.from(junk.buffer), Buffer.from([1, 2, 3])]));
    const resumed = await train(project, { epochs: 3 }, join(stopped.dir, 'checkpoints', 'last.mdl'), stopped.dir);
    expect(resumed.state, lastUpdate(resumed).message).toBe('completed');
    expect(readFileSync(join(stopped.dir, stepLogFileName)).equals(readFileSync(file))).toBe(true);
  }, 120_000);

  it('reports the confusion matrix and sample predictions during the run (validation split, after an epoch), not only at the end', async () => {
    const o = await train(sample('two-moons'), { epochs: 3 });
    expect(o.state, lastUpdate(o).message).toBe('completed');
    const reports = o.metrics.filter((m): m is Extract<RunMetric, { kind: 'evaluation' }> => m.kind === 'evaluation');
    // after epoch 1 (the first is always taken; later ones at most every 2 s), then the end-of-run one
    expect(reports.length).toBeGreaterThanOrEqual(2);
    const first = reports[0]!;
    expect(first).toMatchObject({ split: 'validation', step: 25, count: 200, task: 'classification', classes: ['0', '1'] });
    expect(first.confusion!.flat().reduce((a, b) => a + b, 0)).toBe(200);
    expect(first.samples.length).toBeGreaterThan(0);
    // it came after epoch 1's summary and before epoch 2's
    const at = (m: RunMetric): number => o.metrics.indexOf(m);
    const epochs = epochsOf(o);
    expect(at(first)).toBeGreaterThan(at(epochs[0]!));
    expect(at(first)).toBeLessThan(at(epochs[1]!));
    expect(reports[reports.length - 1]!.step).toBe(75);
  }, 120_000);

  it('stops as diverged with lr 1e6, naming the step and module, and keeps the last good checkpoint', async () => {
    const good = await train(sample('linear-regression'), { epochs: 1 });
    expect(good.state).toBe('completed');
    const path = join(good.dir, 'checkpoints', 'last.mdl');
    const before = readFileSync(path);
    const wild = sample('linear-regression', (p) => {
      p.training.optimizer = { kind: 'sgd', lr: 1e6, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false };
    });
    const o = await train(wild, { epochs: 2 }, path, good.dir);
    expect(o.state).toBe('diverged');
    const message = lastUpdate(o).message ?? '';
    expect(message).toMatch(/NaN\/inf at step \d+ \(epoch 2, batch \d+\)/);
    expect(message).toMatch(/ in \S+/);
    expect(readFileSync(path).equals(before)).toBe(true);
    for (const t of readCheckpoint(path).weights.values()) expect(Array.from(t.data as Float32Array).every(Number.isFinite)).toBe(true);
  }, 120_000);

  it('pauses, resumes and stops with a checkpoint between steps', async () => {
    const updates: RunUpdate[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'nw-run-'));
    let run: TrainingRun | null = null;
    let steps = 0;
    run = new TrainingRun({ projectJson: sample('two-moons'), dir, options: { epochs: 50 }, resumeFrom: null, baseDir: root }, {
      metric: (m) => {
        if (m.kind === 'step') {
          steps += 1;
          if (steps === 2) run!.pause();
        }
      },
      update: (u) => {
        updates.push(u);
        if (u.state === 'paused') setTimeout(() => run!.resume(), 50);
        if (u.state === 'running' && updates.some((x) => x.state === 'paused')) setTimeout(() => run!.stop(true), 20);
      },
    });
    expect(await run.run()).toBe('stopped');
    expect(updates.map((u) => u.state)).toEqual(expect.arrayContaining(['starting', 'running', 'paused', 'stopped']));
    expect(updates[updates.length - 1]!.lastCheckpoint).toBe(join(dir, 'checkpoints', 'last.mdl'));
  }, 120_000);

  it('fails with a coded message for an unknown dataset or device, and an early stop ends the run', async () => {
    const o = await train(sample('two-moons', (p) => { p.training.dataset.name = 'spiral-galaxy'; }));
    expect(o.state).toBe('failed');
    expect(lastUpdate(o).error?.code).toBe('E_DATASET');
    // A device this machine lacks fails before training, naming the devices there are.
    const d = await train(sample('two-moons'), { device: 'cuda:63' });
    expect(lastUpdate(d).error?.code).toBe('E_RUN');
    expect(lastUpdate(d).message).toMatch(/device cuda:63 is not available: .*Available devices: cpu \(/);
    expect(d.metrics.some((m) => m.kind === 'step')).toBe(false);
    const early = await train(sample('two-moons', (p) => { p.training.optimizer = { kind: 'sgd', lr: 1e-9, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false }; }), { epochs: 30, earlyStopping: { patience: 2, minDelta: 0.1 } });
    expect(early.state).toBe('completed');
    expect(epochsOf(early).length).toBe(3);
  }, 120_000);

  it.skipIf(!existsSync(join(fashion, 'train-images-idx3-ubyte.gz')))('Fashion-MNIST MLP reaches ≥ 83 % test accuracy in one epoch', async () => {
    const o = await train(sample('mlp-fashion-mnist'), { epochs: 1, histogramEvery: 0 });
    expect(o.state, lastUpdate(o).message).toBe('completed');
    const test = o.metrics.find((m): m is Extract<RunMetric, { kind: 'test' }> => m.kind === 'test');
    expect(test?.count).toBe(10_000);
    expect(test!.accuracy!).toBeGreaterThanOrEqual(0.83);
  }, 300_000);
});

if (!existsSync(join(fashion, 'train-images-idx3-ubyte.gz'))) console.warn(`Fashion-MNIST test skipped: ${fashion} is missing (apt-get install dataset-fashion-mnist; .ci/run installs it)`);

describe('learning-rate schedules', () => {
  it('step, exponential, cosine and reduce-on-plateau follow torch.optim.lr_scheduler', () => {
    const p = initialPlateau();
    expect(learningRate({ kind: 'step', step_size: 2, gamma: 0.1 }, 1, 3, p)).toBeCloseTo(0.1);
    expect(learningRate({ kind: 'exponential', gamma: 0.5 }, 1, 3, p)).toBe(0.125);
    expect(learningRate({ kind: 'cosine', T_max: 10, eta_min: 0 }, 1, 5, p)).toBeCloseTo(0.5);
    const plateau = { kind: 'reduce-on-plateau' as const, factor: 0.5, patience: 1, threshold: 0, min_lr: 0.1 };
    let s = updatePlateau(plateau, p, 1);
    s = updatePlateau(plateau, s, 1);
    expect(learningRate(plateau, 1, 0, s)).toBe(1);
    s = updatePlateau(plateau, s, 1);
    expect(learningRate(plateau, 1, 0, s)).toBe(0.5);
    for (let i = 0; i < 10; i += 1) s = updatePlateau(plateau, s, 2);
    expect(learningRate(plateau, 1, 0, s)).toBe(0.1);
  });
});
