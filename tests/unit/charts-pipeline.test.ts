// The dashboard's chart data pipeline: downsampling keeps every extreme (and non-finite values), EMA smoothing matches
// its formula (also when extended point by point), and the health thresholds classify gradient norms.
import { describe, expect, it } from 'vitest';
import { displayPoints, emaSmooth, lttb, MinMaxPyramid, minMaxDownsample, positiveOnly, pyramidPoints, Series, SmoothedSeries, toCsv, type Point } from '../../renderer/charts/series';
import { classifyGradNorm, defaultThresholds, healthByNode, modulePathOf, worst } from '../../renderer/runs/health';
import { RunData } from '../../renderer/runs/runData';
import { checkTraining, parseNumber, parseOptions } from '../../renderer/settings/validate';
import { defaultTraining } from '../../shared/graph';

function noisy(n: number, seed = 1): { xs: Float64Array; ys: Float64Array } {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i += 1) {
    s = (s * 1103515245 + 12345) % 2147483648;
    xs[i] = i + 1;
    ys[i] = 2 / Math.sqrt(i + 1) + (s / 2147483648 - 0.5) * 0.2;
  }
  return { xs, ys };
}

describe('min/max downsampling', () => {
  it('keeps the global min and max, the first and last points, and at most 2·buckets+2 points', () => {
    const { xs, ys } = noisy(100_000);
    ys[31_337] = 50; // a spike
    ys[77_777] = -3; // a dip
    const out = minMaxDownsample(xs, ys, 500);
    expect(out.length).toBeLessThanOrEqual(2 * 500 + 2);
    expect(out[0]).toEqual({ x: 1, y: ys[0] });
    expect(out[out.length - 1]).toEqual({ x: 100_000, y: ys[99_999] });
    expect(out.some((p) => p.x === 31_338 && p.y === 50)).toBe(true);
    expect(out.some((p) => p.x === 77_778 && p.y === -3)).toBe(true);
    // x stays sorted, so the line is drawn left to right
    for (let i = 1; i < out.length; i += 1) expect(out[i]!.x).toBeGreaterThan(out[i - 1]!.x);
  });

  it('keeps each bucket’s extremes: the downsampled min/max over any bucket range equals the raw one', () => {
    const { xs, ys } = noisy(10_000, 7);
    const out = minMaxDownsample(xs, ys, 100);
    const size = (10_000 - 2) / 100;
    for (let b = 0; b < 100; b += 1) {
      const from = 1 + Math.floor(b * size);
      const to = 1 + Math.floor((b + 1) * size);
      const raw = Array.from(ys.subarray(from, to));
      const kept = out.filter((p) => p.x >= from + 1 && p.x <= to).map((p) => p.y);
      expect(Math.min(...kept)).toBe(Math.min(...raw));
      expect(Math.max(...kept)).toBe(Math.max(...raw));
    }
  });

  it('keeps NaN/inf values (a diverging loss must show) and returns short series unchanged', () => {
    const { xs, ys } = noisy(5000);
    ys[4000] = NaN;
    ys[4500] = Infinity;
    const out = minMaxDownsample(xs, ys, 50);
    expect(out.some((p) => Number.isNaN(p.y))).toBe(true);
    expect(out.some((p) => p.y === Infinity)).toBe(true);
    expect(minMaxDownsample([1, 2, 3], [3, 1, 2], 50)).toEqual([{ x: 1, y: 3 }, { x: 2, y: 1 }, { x: 3, y: 2 }]);
    expect(minMaxDownsample([], [], 10)).toEqual([]);
  });

  it('min/max pyramid: any range’s extremes equal a full scan, NaNs and ties included, however the array grew', () => {
    const { ys } = noisy(50_003, 3);
    ys[7_001] = NaN;
    ys[15_000] = -Infinity;
    for (let i = 9_000; i < 9_300; i += 1) ys[i] = 0.5; // a flat run: ties
    ys[20_000] = 9; // two equal maxima: the earlier wins
    ys[40_000] = 9;
    const pyramid = new MinMaxPyramid(16);
    // grown in uneven steps, as metric messages arrive
    for (let n = 0; n < ys.length; n += 1 + ((n * 7919) % 3001)) pyramid.update(ys, n);
    pyramid.update(ys, ys.length);
    expect(pyramid.levels[0]!.count).toBe(Math.floor(50_003 / 16));
    const scan = (from: number, to: number) => {
      let min = -1;
      let max = -1;
      let bad = -1;
      for (let i = from; i < to; i += 1) {
        const v = ys[i]!;
        if (!Number.isFinite(v)) {
          if (bad < 0) bad = i;
        } else {
          if (min < 0 || v < ys[min]!) min = i;
          if (max < 0 || v > ys[max]!) max = i;
        }
      }
      return { min, max, bad };
    };
    let seed = 5;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const ranges: [number, number][] = [[0, ys.length], [0, 1], [8_990, 9_310], [6_999, 7_003], [19_000, 41_000], [0, 16], [16, 4096], [50_000, 50_003]];
    for (let k = 0; k < 300; k += 1) {
      const a = random(ys.length);
      ranges.push([a, a + 1 + random(ys.length - a)]);
    }
    for (const [from, to] of ranges) expect(pyramid.extremes(ys, from, to), `[${from}, ${to})`).toEqual(scan(from, to));
    expect(pyramid.extremes(ys, 0, ys.length).max).toBe(20_000);
  });

  it('pyramid display points: aligned buckets keep each bucket’s extremes, the first and last points, and stay put as points arrive', () => {
    const { xs, ys } = noisy(100_000, 11);
    ys[31_337] = 50;
    ys[77_777] = NaN;
    const pyramid = new MinMaxPyramid();
    const out = pyramidPoints(xs, ys, ys.length, pyramid, 300);
    // 100,000 / 512 → 196 buckets of 512 points (the smallest power of two giving ≤ 300)
    const size = 512;
    const buckets = Math.ceil(100_000 / size);
    expect(out.length).toBeLessThanOrEqual(2 * buckets + 2 + 1);
    expect(out[0]).toEqual({ x: 1, y: ys[0] });
    expect(out[out.length - 1]).toEqual({ x: 100_000, y: ys[99_999] });
    for (let i = 1; i < out.length; i += 1) expect(out[i]!.x).toBeGreaterThan(out[i - 1]!.x);
    expect(out.some((p) => p.x === 31_338 && p.y === 50)).toBe(true);
    expect(out.some((p) => p.x === 77_778 && Number.isNaN(p.y))).toBe(true);
    for (let b = 0; b < buckets; b += 1) {
      const raw = Array.from(ys.subarray(b * size, Math.min((b + 1) * size, ys.length))).filter(Number.isFinite);
      const kept = out.filter((p) => p.x > b * size && p.x <= (b + 1) * size && Number.isFinite(p.y)).map((p) => p.y);
      expect(Math.min(...kept)).toBe(Math.min(...raw));
      expect(Math.max(...kept)).toBe(Math.max(...raw));
    }
    // Appending changes only the last bucket (and the last point): the points before it are the same.
    const longer = noisy(100_400, 11);
    longer.ys[31_337] = 50;
    longer.ys[77_777] = NaN;
    const grown = pyramidPoints(longer.xs, longer.ys, longer.ys.length, pyramid, 300);
    const stable = (points: Point[]): Point[] => points.filter((p) => p.x <= (buckets - 1) * size);
    expect(stable(grown)).toEqual(stable(out));
    // short series are drawn as they are
    expect(pyramidPoints([1, 2, 3], [3, 1, 2], 3, new MinMaxPyramid(), 50)).toEqual([{ x: 1, y: 3 }, { x: 2, y: 1 }, { x: 3, y: 2 }]);
    expect(pyramidPoints([], [], 0, new MinMaxPyramid(), 50)).toEqual([]);
  });

  it('downsamples 1,000,000 points in well under the 50 ms redraw budget', () => {
    const s = new Series();
    const { xs, ys } = noisy(1_000_000);
    for (let i = 0; i < xs.length; i += 1) s.push(xs[i]!, ys[i]!);
    let started = performance.now();
    const out = displayPoints(s, 600);
    const first = performance.now() - started;
    expect(out.length).toBeLessThanOrEqual(1202);
    // the first call summarises all 1,000,000 points once; later ones read the precomputed blocks
    expect(first).toBeLessThan(50);
    for (let i = 0; i < 1000; i += 1) s.push(1_000_001 + i, 0.1);
    started = performance.now();
    for (let k = 0; k < 10; k += 1) displayPoints(s, 600);
    expect((performance.now() - started) / 10).toBeLessThan(2);
  });
});

describe('LTTB', () => {
  it('keeps the endpoints, returns the threshold count and picks the spike', () => {
    const { xs, ys } = noisy(20_000);
    ys[12_345] = 40;
    const out = lttb(xs, ys, 400);
    expect(out.length).toBe(400);
    expect(out[0]!.x).toBe(1);
    expect(out[399]!.x).toBe(20_000);
    expect(out.some((p) => p.y === 40)).toBe(true);
  });
});

describe('EMA smoothing', () => {
  it('matches the debiased formula last = w·last + (1−w)·v, out = last / (1 − wⁿ)', () => {
    const values = [4, 2, 8, 1, 3, 5, 9, 2];
    const w = 0.6;
    let last = 0;
    const expected = values.map((v, i) => {
      last = last * w + (1 - w) * v;
      return last / (1 - Math.pow(w, i + 1));
    });
    const { out } = emaSmooth(values, w);
    expected.forEach((e, i) => expect(out[i]).toBeCloseTo(e, 12));
    // debiasing: the first smoothed value is the first raw value
    expect(out[0]).toBeCloseTo(4, 12);
    // weight 0 is the identity
    expect(Array.from(emaSmooth(values, 0).out)).toEqual(values);
  });

  it('skips non-finite values without poisoning the average', () => {
    const { out } = emaSmooth([1, NaN, 1, Infinity, 1], 0.9);
    expect(Number.isNaN(out[1]!)).toBe(true);
    expect(out[3]).toBe(Infinity);
    expect(out[4]).toBeCloseTo(1, 12);
  });

  it('extends incrementally to the same values as smoothing the whole series, and recomputes on a new weight', () => {
    const s = new Series(4);
    const smoother = new SmoothedSeries();
    const { ys } = noisy(1000);
    for (let i = 0; i < 1000; i += 1) {
      s.push(i, ys[i]!);
      if (i % 97 === 0) smoother.values(s, 0.8);
    }
    const incremental = Array.from(smoother.values(s, 0.8));
    const whole = Array.from(emaSmooth(ys, 0.8).out);
    incremental.forEach((v, i) => expect(v).toBeCloseTo(whole[i]!, 12));
    const other = Array.from(smoother.values(s, 0.3));
    other.forEach((v, i) => expect(v).toBeCloseTo(emaSmooth(ys, 0.3).out[i]!, 12));
  });
});

describe('gradient health thresholds', () => {
  it('classifies norms into bands, non-finite first', () => {
    const t = defaultThresholds;
    expect(classifyGradNorm(NaN)).toBe('nonfinite');
    expect(classifyGradNorm(Infinity)).toBe('nonfinite');
    expect(classifyGradNorm(t.vanishing / 2)).toBe('vanishing');
    // tiny everywhere (converged) is low, tiny next to a large gradient is vanishing
    expect(classifyGradNorm(t.vanishing / 2, t, t.vanishing)).toBe('low');
    expect(classifyGradNorm(t.vanishing / 2, t, 1)).toBe('vanishing');
    expect(classifyGradNorm(t.vanishing)).toBe('low');
    expect(classifyGradNorm(t.low / 2)).toBe('low');
    expect(classifyGradNorm(t.low)).toBe('ok');
    expect(classifyGradNorm(1)).toBe('ok');
    expect(classifyGradNorm(t.high)).toBe('ok');
    expect(classifyGradNorm(t.high * 2)).toBe('high');
    expect(classifyGradNorm(t.exploding * 2)).toBe('exploding');
    expect(classifyGradNorm(5, { vanishing: 1, low: 2, high: 3, exploding: 4, relative: 1e-3 })).toBe('exploding');
    expect(worst('ok', 'low')).toBe('low');
    expect(worst('exploding', 'low')).toBe('exploding');
    expect(worst('vanishing', 'nonfinite')).toBe('nonfinite');
  });

  it('rolls parameters up to their nodes by module path, worst level wins', () => {
    expect(modulePathOf('features.0.weight')).toBe('features.0');
    const paths = new Map([['n1', 'fc1'], ['n2', 'features.0'], ['n3', 'relu']]);
    const health = healthByNode(
      [
        { key: 'fc1.weight', gradNorm: 0.5, weightNorm: 3, updateNorm: 0.01 },
        { key: 'fc1.bias', gradNorm: 1e-9, weightNorm: 1, updateNorm: 0 },
        { key: 'features.0.weight', gradNorm: 2, weightNorm: 3, updateNorm: 0.01 },
      ],
      40,
      paths,
    );
    expect(health.get('n1')?.level).toBe('vanishing');
    expect(health.get('n1')?.params).toHaveLength(2);
    expect(health.get('n2')?.level).toBe('ok');
    expect(health.has('n3')).toBe(false);
  });
});

describe('run data and settings validation', () => {
  it('ingests metrics into series, ignores replayed steps and finds the diverged step', () => {
    const run = new RunData();
    run.ingest([
      { kind: 'step', t: 1, step: 1, epoch: 0, loss: 2, lr: 0.1, samplesPerSec: 100, etaSec: 3, progress: 0.1 },
      { kind: 'step', t: 2, step: 2, epoch: 0, loss: 1, lr: 0.1, samplesPerSec: 100, etaSec: 2, progress: 0.2 },
      { kind: 'step', t: 3, step: 2, epoch: 0, loss: 1, lr: 0.1, samplesPerSec: 100, etaSec: 2, progress: 0.2 },
      { kind: 'params', t: 3, step: 2, params: [{ key: 'fc1.weight', gradNorm: 1, weightNorm: 4, updateNorm: 0.004 }] },
      { kind: 'epoch', t: 4, epoch: 1, trainLoss: 1.5, trainAccuracy: 0.5, valLoss: 1.4, valAccuracy: 0.6, lr: 0.1, seconds: 1 },
    ]);
    expect(run.loss.length).toBe(2);
    expect(run.params.get('fc1.weight')?.ratio.lastY).toBeCloseTo(0.001);
    expect(run.epochs).toHaveLength(1);
    run.info = { id: 'r', projectName: 'p', dir: '/r', state: 'diverged', message: 'the loss or a gradient became NaN/inf at step 3 (epoch 1, batch 3)', startedAt: '', epochs: 1, epoch: 0, step: 2, lastCheckpoint: null, resumable: false, lastEpoch: null };
    expect(run.failureStep()).toBe(3);
    expect(positiveOnly([{ x: 1, y: 0 }, { x: 2, y: 1 }, { x: 3, y: NaN }])).toEqual([{ x: 2, y: 1 }]);
    expect(toCsv(['a', 'b'], [[1, 'x,y'], [null, 2]])).toBe('a,b\n1,"x,y"\n,2\n');
  });

  it('validates fields and whole settings with errors and warnings', () => {
    expect(parseNumber('0', { label: 'lr', min: 0, exclusiveMin: true })).toEqual({ ok: false, message: 'lr must be > 0' });
    expect(parseNumber('2.5', { label: 'epochs', integer: true, min: 1 })).toEqual({ ok: false, message: 'epochs must be a whole number' });
    expect(parseNumber('abc', { label: 'seed' })).toEqual({ ok: false, message: 'seed must be a number' });
    expect(parseNumber('32', { label: 'batch', integer: true, min: 1 })).toEqual({ ok: true, value: 32 });
    expect(parseOptions('samples=1000, noise=0.1, header=true, path=a.csv')).toEqual({ ok: true, value: { samples: 1000, noise: 0.1, header: true, path: 'a.csv' } });
    expect(parseOptions('samples').ok).toBe(false);
    const t = defaultTraining();
    expect(checkTraining(t)).toEqual([]);
    const wild = { ...t, optimizer: { ...t.optimizer, lr: 1e38 } };
    expect(checkTraining(wild).map((i) => i.severity)).toEqual(['warning']);
    const broken = { ...t, batchSize: 0 };
    expect(checkTraining(broken).some((i) => i.severity === 'error' && i.field === 'batchSize')).toBe(true);
  });
});
