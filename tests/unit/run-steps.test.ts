// Every step in the run log: the steps.f64 reader (resumed segments, torn records), the wire encoding of its columns
// (narrowest exact dtype, base64), and the renderer's store replacing a run's rate-limited live steps with the whole
// log when the run ends or is opened.
import { describe, expect, it } from 'vitest';
import {
  decodeSteps,
  encodeSteps,
  fromBase64,
  readStepLog,
  stepRecordBytes,
  toBase64,
  type Api,
  type RunInfo,
  type RunLog,
  type RunMetric,
} from '../../shared/api';
import { TrainingStore } from '../../renderer/runs/store';
import { createFakeApi } from './helpers/fakeApi';

function records(...rows: [number, number, number][]): Uint8Array {
  return new Uint8Array(new Float64Array(rows.flat()).buffer);
}

describe('step log format', () => {
  it('reads records in order; a resumed segment replaces the steps it repeats; a torn last record is ignored', () => {
    const bytes = records([1, 0.5, 0.1], [2, 0.4, 0.1], [3, 0.3, 0.1], [4, 0.2, 0.1], [3, 0.35, 0.05], [4, 0.25, 0.05], [5, 0.15, 0.05]);
    const torn = new Uint8Array(bytes.length + 10);
    torn.set(bytes);
    const log = readStepLog(torn);
    expect(Array.from(log.step)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(log.loss)).toEqual([0.5, 0.4, 0.35, 0.25, 0.15]);
    expect(Array.from(log.lr)).toEqual([0.1, 0.1, 0.05, 0.05, 0.05]);
    expect(stepRecordBytes).toBe(24);
    expect(readStepLog(new Uint8Array(0)).step.length).toBe(0);
  });

  it('encodes columns in the narrowest exact form (arithmetic runs, int32, float32, float64) and decodes them to the same values', () => {
    const n = 1000;
    const step = Float64Array.from({ length: n }, (_, i) => i + 1);
    const loss32 = Float64Array.from({ length: n }, (_, i) => Math.fround(2 / Math.sqrt(i + 1)));
    const loss64 = Float64Array.from({ length: n }, (_, i) => 2 / Math.sqrt(i + 1));
    const lr = Float64Array.from({ length: n }, (_, i) => 0.01 * 0.5 ** Math.floor(i / 250));
    const a = encodeSteps({ step, loss: loss32, lr });
    expect([a.step.dtype, a.loss.dtype, a.lr.dtype]).toEqual(['runs', 'float32', 'runs']);
    expect(a.step.base64.length).toBe(32); // one run: (1000, 1, 1)
    const squares = Float64Array.from({ length: n }, (_, i) => i * i);
    const b = encodeSteps({ step: squares, loss: loss64, lr: loss32 });
    expect([b.step.dtype, b.loss.dtype, b.lr.dtype]).toEqual(['int32', 'float64', 'float32']);
    for (const [encoded, columns] of [[a, { step, loss: loss32, lr }], [b, { step: squares, loss: loss64, lr: loss32 }]] as const) {
      const back = decodeSteps(JSON.parse(JSON.stringify(encoded)) as typeof encoded);
      expect(Array.from(back.step)).toEqual(Array.from(columns.step));
      expect(Array.from(back.loss)).toEqual(Array.from(columns.loss));
      expect(Array.from(back.lr)).toEqual(Array.from(columns.lr));
    }
    expect(() => decodeSteps({ ...a, count: n + 1 })).toThrow(/E_BAD_REQUEST/);
    expect(() => decodeSteps({ ...b, count: n + 1 })).toThrow(/E_BAD_REQUEST/);
  });

  it('base64 agrees with Node for every length and byte', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 255, 256, 257, 40_000]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 255);
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Buffer.from(fromBase64(text)).equals(Buffer.from(bytes))).toBe(true);
    }
    expect(() => fromBase64('ab$c')).toThrow(/E_BAD_REQUEST/);
  });
});

describe('the store reads every step from the log', () => {
  const info = (state: RunInfo['state'], step: number): RunInfo => ({
    id: 'run-1', projectName: 'p', dir: '/runs/run-1', state, startedAt: '2025-01-01T00:00:00Z', epochs: 1, epoch: 0, step,
    lastCheckpoint: null, resumable: false, lastEpoch: null,
  });
  const stepMetric = (step: number, loss: number): RunMetric => ({ kind: 'step', t: step, step, epoch: 0, loss, lr: 0.1, samplesPerSec: 1000 + step, etaSec: null, progress: step / 1000 });

  function setup(n: number): { api: Api; emit: (event: string, data: unknown) => void; opened: () => number } {
    const listeners = new Map<string, Set<(data: unknown) => void>>();
    const loss = Float64Array.from({ length: n }, (_, i) => Math.fround(1 / (i + 1)));
    let opens = 0;
    const streamed = Array.from({ length: n / 100 }, (_, k) => stepMetric((k + 1) * 100, loss[(k + 1) * 100 - 1]!));
    const log = (): RunLog => ({
      info: info('completed', n),
      metrics: streamed,
      steps: encodeSteps({ step: Float64Array.from({ length: n }, (_, i) => i + 1), loss, lr: new Float64Array(n).fill(0.1) }),
    });
    const api: Api = {
      ...createFakeApi(),
      openRun: () => {
        opens += 1;
        return Promise.resolve(log());
      },
      on: ((event: string, listener: (data: unknown) => void) => {
        const set = listeners.get(event) ?? new Set();
        set.add(listener);
        listeners.set(event, set);
        return () => set.delete(listener);
      }) as Api['on'],
    };
    return { api, emit: (event, data) => listeners.get(event)?.forEach((l) => l(data)), opened: () => opens };
  }

  it('a live run shows the streamed steps; when it ends, its whole log replaces them (throughput kept)', async () => {
    const n = 10_000;
    const { api, emit, opened } = setup(n);
    const store = new TrainingStore(api, 0);
    store.connect();
    emit('runStatus', info('running', 0));
    store.currentId = 'run-1';
    const live = Array.from({ length: n / 100 }, (_, k) => stepMetric((k + 1) * 100, Math.fround(1 / ((k + 1) * 100))));
    emit('runMetrics', { runId: 'run-1', metrics: live });
    expect(store.current?.loss.length).toBe(100);
    expect(store.current?.complete).toBe(false);
    emit('runStatus', info('completed', n));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const run = store.current!;
    expect(opened()).toBe(1);
    expect(run.complete).toBe(true);
    expect(run.loss.length).toBe(n);
    expect(run.lr.length).toBe(n);
    expect(run.loss.y[4999]).toBe(Math.fround(1 / 5000));
    expect(run.samplesPerSec.length).toBe(100);
    // the run bar's step record is the logged one (epoch, progress, throughput), not a replayed copy
    expect(run.lastStep).toMatchObject({ step: n, progress: n / 1000, samplesPerSec: 1000 + n });
    // CSV export asks for the full run: it ended and was read since, so no second read
    expect(await store.full('run-1')).toBe(run);
    expect(opened()).toBe(1);
  });

  it('overlaying a past run reads its log once, with every step', async () => {
    const n = 200_000;
    const { api, opened } = setup(n);
    const store = new TrainingStore(api, 0);
    store.history = [info('completed', n)];
    await store.toggleOverlay('run-1');
    await store.toggleOverlay('run-1');
    await store.toggleOverlay('run-1');
    expect(opened()).toBe(1);
    expect(store.overlay.has('run-1')).toBe(true);
    expect(store.runs.get('run-1')?.loss.length).toBe(n);
  });
});
