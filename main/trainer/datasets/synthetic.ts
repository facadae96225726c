// Synthetic datasets from the PyTorch notes: noisy y = 2x + 3, two moons, spirals, sine sequences, token parity.
import { gaussian, mixSeed, rng } from '../random';
import { DatasetError, sharedFloat32, sharedInt32, type Dataset } from './types';

type Options = Record<string, number | string | boolean>;

function num(options: Options, key: string, fallback: number, min = -Infinity): number {
  const v = options[key];
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < min) throw new DatasetError(`synthetic option ${key} must be a number >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** y = slope·x + intercept + noise·N(0,1), x uniform in [0, xMax): the notes' linear regression. */
function linear(options: Options, seed: number): Dataset {
  const n = Math.floor(num(options, 'samples', 1000, 1));
  const slope = num(options, 'slope', 2);
  const intercept = num(options, 'intercept', 3);
  const noise = num(options, 'noise', 1, 0);
  const xMax = num(options, 'xMax', 20);
  const u = rng(seed);
  const g = gaussian(rng(mixSeed(seed, 1)));
  const x = sharedFloat32(n);
  const y = sharedFloat32(n);
  for (let i = 0; i < n; i += 1) {
    x[i] = u() * xMax;
    y[i] = slope * x[i]! + intercept + noise * g();
  }
  return { name: 'linear', count: n, x: { shape: [1], dtype: 'float32', data: x }, y: { shape: [1], dtype: 'float32', data: y }, task: 'regression' };
}

/** sklearn.datasets.make_moons: two interleaved half circles, Gaussian noise. */
function twoMoons(options: Options, seed: number): Dataset {
  const n = Math.floor(num(options, 'samples', 1000, 2));
  const noise = num(options, 'noise', 0.1, 0);
  const g = gaussian(rng(seed));
  const outer = Math.floor(n / 2);
  const x = sharedFloat32(n * 2);
  const y = sharedInt32(n);
  for (let i = 0; i < n; i += 1) {
    const upper = i < outer;
    const k = upper ? i : i - outer;
    const m = upper ? outer : n - outer;
    const t = (Math.PI * k) / Math.max(m - 1, 1);
    x[2 * i] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + noise * g();
    x[2 * i + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * g();
    y[i] = upper ? 0 : 1;
  }
  return { name: 'two-moons', count: n, x: { shape: [2], dtype: 'float32', data: x }, y: { shape: [], dtype: 'int64', data: y }, task: 'classification', classes: ['0', '1'] };
}

/** `classes` interleaved spiral arms (CS231n's spiral data). */
function spirals(options: Options, seed: number): Dataset {
  const classes = Math.floor(num(options, 'classes', 3, 2));
  const per = Math.floor(num(options, 'samples', 300 * classes, classes) / classes);
  const noise = num(options, 'noise', 0.2, 0);
  const g = gaussian(rng(seed));
  const n = per * classes;
  const x = sharedFloat32(n * 2);
  const y = sharedInt32(n);
  for (let c = 0; c < classes; c += 1) {
    for (let k = 0; k < per; k += 1) {
      const i = c * per + k;
      const r = k / Math.max(per - 1, 1);
      const t = (c * 4 + 4 * r) + noise * g();
      x[2 * i] = r * Math.sin(t);
      x[2 * i + 1] = r * Math.cos(t);
      y[i] = c;
    }
  }
  return {
    name: 'spirals', count: n, x: { shape: [2], dtype: 'float32', data: x }, y: { shape: [], dtype: 'int64', data: y },
    task: 'classification', classes: Array.from({ length: classes }, (_, c) => String(c)),
  };
}

/** Windows of seqLen steps of a noisy sine (random frequency and phase); the target is the next value. */
function sine(options: Options, seed: number, seqLen: number | null): Dataset {
  const n = Math.floor(num(options, 'samples', 1000, 1));
  const T = Math.floor(num(options, 'seqLen', seqLen ?? 20, 1));
  const noise = num(options, 'noise', 0, 0);
  const u = rng(seed);
  const g = gaussian(rng(mixSeed(seed, 1)));
  const x = sharedFloat32(n * T);
  const y = sharedFloat32(n);
  for (let i = 0; i < n; i += 1) {
    const freq = 0.1 + 0.4 * u();
    const phase = 2 * Math.PI * u();
    for (let t = 0; t < T; t += 1) x[i * T + t] = Math.sin(freq * t + phase) + noise * g();
    y[i] = Math.sin(freq * T + phase);
  }
  return { name: 'sine', count: n, x: { shape: [T, 1], dtype: 'float32', data: x }, y: { shape: [1], dtype: 'float32', data: y }, task: 'regression' };
}

/**
 * Sequence classification: each class is a set of sinusoids (one frequency per feature,
 * drawn once per class) with random phase, amplitude jitter and noise; the target is the class.
 */
function sequenceClasses(options: Options, seed: number, seqLen: number | null): Dataset {
  const n = Math.floor(num(options, 'samples', 2000, 1));
  const classes = Math.floor(num(options, 'classes', 4, 2));
  const features = Math.floor(num(options, 'features', 8, 1));
  const T = Math.floor(num(options, 'length', seqLen ?? 20, 2));
  const noise = num(options, 'noise', 0.3, 0);
  const u = rng(seed);
  const g = gaussian(rng(mixSeed(seed, 2)));
  const freqs = Float64Array.from({ length: classes * features }, () => 0.15 + 0.85 * u());
  const x = sharedFloat32(n * T * features);
  const y = sharedInt32(n);
  for (let i = 0; i < n; i += 1) {
    const c = i % classes;
    const phase = 2 * Math.PI * u();
    const amp = 0.75 + 0.5 * u();
    for (let t = 0; t < T; t += 1)
      for (let f = 0; f < features; f += 1)
        x[(i * T + t) * features + f] = amp * Math.sin(freqs[c * features + f]! * t + phase) + noise * g();
    y[i] = c;
  }
  return {
    name: 'sequence-classes', count: n, x: { shape: [T, features], dtype: 'float32', data: x }, y: { shape: [], dtype: 'int64', data: y },
    task: 'classification', classes: Array.from({ length: classes }, (_, c) => `class ${c}`),
  };
}

/** Token sequences labelled by the parity of how many tokens fall in the lower half of the vocabulary. */
function tokenParity(options: Options, seed: number, seqLen: number | null): Dataset {
  const n = Math.floor(num(options, 'samples', 4000, 1));
  const vocab = Math.floor(num(options, 'vocab', 100, 2));
  const T = Math.floor(num(options, 'seqLen', seqLen ?? 16, 1));
  const u = rng(seed);
  const x = sharedInt32(n * T);
  const y = sharedInt32(n);
  for (let i = 0; i < n; i += 1) {
    let low = 0;
    for (let t = 0; t < T; t += 1) {
      const tok = Math.floor(u() * vocab);
      x[i * T + t] = tok;
      if (tok < vocab / 2) low += 1;
    }
    y[i] = low % 2;
  }
  return { name: 'token-parity', count: n, x: { shape: [T], dtype: 'int64', data: x }, y: { shape: [], dtype: 'int64', data: y }, task: 'classification', classes: ['even', 'odd'] };
}

export const syntheticNames = ['linear', 'two-moons', 'spirals', 'sine', 'token-parity', 'sequence-classes'] as const;

/** The synthetic dataset `name`, generated from `options` and the run seed. `seqLen` comes from the model's input when fixed. */
export function synthetic(name: string, options: Options, seed: number, seqLen: number | null = null): Dataset {
  switch (name) {
    case 'linear':
      return linear(options, seed);
    case 'two-moons':
      return twoMoons(options, seed);
    case 'spirals':
      return spirals(options, seed);
    case 'sine':
      return sine(options, seed, seqLen);
    case 'token-parity':
      return tokenParity(options, seed, seqLen);
    case 'sequence-classes':
      return sequenceClasses(options, seed, seqLen);
    default:
      throw new DatasetError(`unknown synthetic dataset ${JSON.stringify(name)}: use one of ${syntheticNames.join(', ')}`);
  }
}
