// The chart data pipeline: growable columnar series, EMA smoothing (TensorBoard's debiased formula, extended
// incrementally as points arrive) and display downsampling (an incremental min/max pyramid, min/max buckets, LTTB) that
// keeps every extreme, so a 1,000,000-point series draws as a few hundred points while the full data stays in the run log.

export interface Point {
  x: number;
  y: number;
}

/**
 * An append-only (x, y) series in Float64Arrays that double as they fill, with the min/max pyramid of y kept up to date
 * as points arrive (a block at a time), so a redraw never catches up on a burst of appended points. x is expected to be
 * non-decreasing.
 */
export class Series {
  x: Float64Array;
  y: Float64Array;
  length = 0;
  private readonly summary = new MinMaxPyramid();

  constructor(capacity = 256) {
    this.x = new Float64Array(capacity);
    this.y = new Float64Array(capacity);
  }

  push(x: number, y: number): void {
    if (this.length === this.x.length) {
      const grow = (old: Float64Array): Float64Array => {
        const next = new Float64Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.x = grow(this.x);
      this.y = grow(this.y);
    }
    this.x[this.length] = x;
    this.y[this.length] = y;
    this.length += 1;
    if (this.length % this.summary.base === 0) this.summary.update(this.y, this.length);
  }

  /** Appends points [from, to) of two columns (e.g. a run log's steps) in one go. */
  append(xs: ArrayLike<number>, ys: ArrayLike<number>, from = 0, to = Math.min(xs.length, ys.length)): void {
    const need = this.length + Math.max(0, to - from);
    if (need > this.x.length) {
      let capacity = this.x.length;
      while (capacity < need) capacity *= 2;
      const grow = (old: Float64Array): Float64Array => {
        const next = new Float64Array(capacity);
        next.set(old.subarray(0, this.length));
        return next;
      };
      this.x = grow(this.x);
      this.y = grow(this.y);
    }
    for (let i = from; i < to; i += 1) {
      this.x[this.length] = xs[i]!;
      this.y[this.length] = ys[i]!;
      this.length += 1;
    }
    this.summary.update(this.y, this.length);
  }

  get lastX(): number | null {
    return this.length === 0 ? null : this.x[this.length - 1]!;
  }

  get lastY(): number | null {
    return this.length === 0 ? null : this.y[this.length - 1]!;
  }

  /** The min/max pyramid of y (up to date to the last whole block; display reads the rest directly). */
  pyramid(): MinMaxPyramid {
    return this.summary.update(this.y, this.length);
  }

  toPoints(): Point[] {
    const out: Point[] = new Array<Point>(this.length);
    for (let i = 0; i < this.length; i += 1) out[i] = { x: this.x[i]!, y: this.y[i]! };
    return out;
  }
}

/**
 * Exponential moving average with TensorBoard's debiasing: last = w·last + (1−w)·v; out = last / (1 − w^n) where n
 * counts the finite values so far. Non-finite values pass through unchanged and do not disturb the average.
 * `from`/`state` continue an earlier call, so a growing series is smoothed once per new point.
 */
export function emaSmooth(
  values: ArrayLike<number>,
  weight: number,
  out: Float64Array = new Float64Array(values.length),
  from = 0,
  state: { last: number; count: number } = { last: 0, count: 0 },
): { out: Float64Array; state: { last: number; count: number } } {
  const w = Math.min(Math.max(weight, 0), 0.999999);
  let { last, count } = state;
  // w^count, kept by multiplication (a pow per point was most of smoothing 1,000,000 points); it underflows to 0
  // after a few thousand values, where the debias factor is 1 anyway.
  let power = Math.pow(w, count);
  for (let i = from; i < values.length; i += 1) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count += 1;
    power *= w;
    out[i] = w === 0 ? last : last / (1 - power);
  }
  return { out, state: { last, count } };
}

/** Smooths a growing Series incrementally; a new weight recomputes from the start. */
export class SmoothedSeries {
  readonly pyramid = new MinMaxPyramid();
  private out = new Float64Array(0);
  private done = 0;
  private weight = -1;
  private state = { last: 0, count: 0 };

  values(series: Series, weight: number): Float64Array {
    if (weight !== this.weight || series.length < this.done) {
      this.weight = weight;
      this.done = 0;
      this.state = { last: 0, count: 0 };
      this.pyramid.reset();
    }
    if (this.out.length < series.x.length) {
      const next = new Float64Array(series.x.length);
      next.set(this.out.subarray(0, this.done));
      this.out = next;
    }
    if (this.done < series.length) {
      const result = emaSmooth(series.y.subarray(0, series.length), weight, this.out, this.done, this.state);
      this.state = result.state;
      this.done = series.length;
    }
    this.pyramid.update(this.out, series.length);
    return this.out.subarray(0, series.length);
  }
}

/** Index of the first x ≥ value (xs sorted ascending). */
export function lowerBound(xs: ArrayLike<number>, length: number, value: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Indices of a range's extremes: minimum and maximum (earliest on ties) and first non-finite value; −1 when none. */
export interface Extremes {
  min: number;
  max: number;
  bad: number;
}

interface PyramidLevel {
  min: Int32Array;
  max: Int32Array;
  bad: Int32Array;
  /** completed blocks at this level */
  count: number;
}

/**
 * An incremental min/max pyramid over an append-only array. Level 0 keeps, per aligned block of `base` values, the
 * index of its minimum, its maximum and its first non-finite value; level k keeps the same for aligned blocks of
 * base·2^k values, each merged from two level k−1 blocks when the second one completes. Appending costs O(1) amortised
 * (each value is scanned once, each block merged once); the extremes of any range come from O(log n) blocks and fewer
 * than 2·base scanned values, and an aligned display bucket is a single block: a 1,000,000-point series draws from
 * a few hundred precomputed blocks, never by rescanning its points.
 */
export class MinMaxPyramid {
  readonly levels: PyramidLevel[] = [];
  /** values of the array summarised so far (level-0 blocks × base) */
  private covered = 0;

  constructor(readonly base = 16) {
    if (!Number.isInteger(Math.log2(base))) throw new Error(`MinMaxPyramid: base ${base} is not a power of two`);
  }

  /** Summarises every newly completed block of `values[0, length)`; `values` may be a reallocated, longer copy. */
  update(values: ArrayLike<number>, length: number): this {
    const base = this.base;
    while (this.covered + base <= length) {
      const from = this.covered;
      let min = -1;
      let max = -1;
      let bad = -1;
      for (let i = from; i < from + base; i += 1) {
        const v = values[i]!;
        if (!Number.isFinite(v)) {
          if (bad < 0) bad = i;
          continue;
        }
        // Strictly smaller/larger: ties keep the earliest index, as a left-to-right scan would.
        if (min < 0 || v < values[min]!) min = i;
        if (max < 0 || v > values[max]!) max = i;
      }
      this.covered += base;
      this.add(0, min, max, bad, values);
    }
    return this;
  }

  /** Drops everything (the array was replaced, e.g. re-smoothed with another weight). */
  reset(): void {
    this.levels.length = 0;
    this.covered = 0;
  }

  private add(k: number, min: number, max: number, bad: number, values: ArrayLike<number>): void {
    let level = this.levels[k];
    if (level === undefined) {
      level = { min: new Int32Array(64), max: new Int32Array(64), bad: new Int32Array(64), count: 0 };
      this.levels[k] = level;
    }
    if (level.count === level.min.length) {
      const grow = (old: Int32Array): Int32Array => {
        const next = new Int32Array(old.length * 2);
        next.set(old);
        return next;
      };
      level.min = grow(level.min);
      level.max = grow(level.max);
      level.bad = grow(level.bad);
    }
    const j = level.count;
    level.min[j] = min;
    level.max[j] = max;
    level.bad[j] = bad;
    level.count += 1;
    if (j % 2 === 1) {
      // The pair (j−1, j) is complete: merge it one level up (the left block wins ties: its indices are earlier).
      const lmin = level.min[j - 1]!;
      const lmax = level.max[j - 1]!;
      const lbad = level.bad[j - 1]!;
      const pmin = lmin < 0 ? min : min < 0 ? lmin : values[min]! < values[lmin]! ? min : lmin;
      const pmax = lmax < 0 ? max : max < 0 ? lmax : values[max]! > values[lmax]! ? max : lmax;
      this.add(k + 1, pmin, pmax, lbad >= 0 ? lbad : bad, values);
    }
  }

  /** The extremes of `values[from, to)`: whole blocks where the pyramid has them, scanned values elsewhere. */
  extremes(values: ArrayLike<number>, from: number, to: number, out: Extremes = { min: -1, max: -1, bad: -1 }): Extremes {
    out.min = -1;
    out.max = -1;
    out.bad = -1;
    const visit = (i: number): void => {
      const v = values[i]!;
      if (!Number.isFinite(v)) {
        if (out.bad < 0) out.bad = i;
        return;
      }
      if (out.min < 0 || v < values[out.min]!) out.min = i;
      if (out.max < 0 || v > values[out.max]!) out.max = i;
    };
    const base = this.base;
    const end = Math.min(to, this.covered);
    let p = from;
    // Values before the first whole block in range are scanned; blocks are visited left to right, so strict
    // comparisons keep the earliest index on ties here too.
    while (p < to && !(p % base === 0 && p + base <= end)) {
      visit(p);
      p += 1;
    }
    while (p + base <= end) {
      let k = 0;
      while (k + 1 < this.levels.length) {
        const size = base * 2 ** (k + 1);
        if (p % size !== 0 || p + size > end) break;
        k += 1;
      }
      const level = this.levels[k]!;
      const j = p / (base * 2 ** k);
      if (level.min[j]! >= 0) visit(level.min[j]!);
      if (level.max[j]! >= 0) visit(level.max[j]!);
      if (level.bad[j]! >= 0 && out.bad < 0) out.bad = level.bad[j]!;
      p += base * 2 ** k;
    }
    for (; p < to; p += 1) visit(p);
    return out;
  }
}

/**
 * Min/max display points of `ys[0, length)` from its pyramid: buckets are aligned blocks of a power-of-two size, the
 * smallest that gives at most `maxBuckets` buckets (so between maxBuckets/2 and maxBuckets of them). Each bucket keeps
 * its minimum, maximum and first non-finite point, in x order, plus the series' first and last points; a full bucket
 * is one precomputed block, and appending points changes only the last bucket (the drawn line does not shimmer as the
 * bucket boundaries would if they moved with the length). At most 2·maxBuckets + 2 points (3 a bucket with NaN/inf).
 */
export function pyramidPoints(xs: ArrayLike<number>, ys: ArrayLike<number>, length: number, pyramid: MinMaxPyramid, maxBuckets: number): Point[] {
  const out: Point[] = [];
  if (length <= 0) return out;
  if (length <= 2 * maxBuckets + 2) {
    for (let i = 0; i < length; i += 1) out.push({ x: xs[i]!, y: ys[i]! });
    return out;
  }
  pyramid.update(ys, length);
  let size = 1;
  while (Math.ceil(length / size) > maxBuckets) size *= 2;
  const level = size >= pyramid.base ? pyramid.levels[Math.log2(size / pyramid.base)] : undefined;
  const found: Extremes = { min: -1, max: -1, bad: -1 };
  const keep = [0, 0, 0];
  let last = 0;
  out.push({ x: xs[0]!, y: ys[0]! });
  for (let from = 0, j = 0; from < length; from += size, j += 1) {
    if (level !== undefined && j < level.count) {
      found.min = level.min[j]!;
      found.max = level.max[j]!;
      found.bad = level.bad[j]!;
    } else {
      pyramid.extremes(ys, from, Math.min(from + size, length), found);
    }
    keep[0] = found.min;
    keep[1] = found.max;
    keep[2] = found.bad;
    keep.sort((a, b) => a - b);
    for (const i of keep) {
      if (i > last) {
        out.push({ x: xs[i]!, y: ys[i]! });
        last = i;
      }
    }
  }
  if (last < length - 1) out.push({ x: xs[length - 1]!, y: ys[length - 1]! });
  return out;
}

/**
 * Min/max bucket downsampling of any index range (no precomputed summary; short series such as epoch summaries):
 * splits [start, end) into `buckets` equal index ranges and keeps, per bucket, its minimum and maximum (in x order),
 * plus the first and last points. Non-finite y values are kept (they are what the user must see). Output ≤ 2·buckets + 2
 * points.
 */
export function minMaxDownsample(xs: ArrayLike<number>, ys: ArrayLike<number>, buckets: number, start = 0, end = Math.min(xs.length, ys.length)): Point[] {
  const n = end - start;
  if (n <= 0) return [];
  if (n <= buckets * 2 + 2) {
    const all: Point[] = [];
    for (let i = start; i < end; i += 1) all.push({ x: xs[i]!, y: ys[i]! });
    return all;
  }
  const out: Point[] = [{ x: xs[start]!, y: ys[start]! }];
  const size = (n - 2) / buckets;
  for (let b = 0; b < buckets; b += 1) {
    const from = start + 1 + Math.floor(b * size);
    const to = start + 1 + Math.floor((b + 1) * size);
    let minI = -1;
    let maxI = -1;
    let bad = -1;
    for (let i = from; i < to; i += 1) {
      const v = ys[i]!;
      if (!Number.isFinite(v)) {
        if (bad < 0) bad = i;
        continue;
      }
      if (minI < 0 || v < ys[minI]!) minI = i;
      if (maxI < 0 || v > ys[maxI]!) maxI = i;
    }
    const keep = [minI, maxI, bad].filter((i) => i >= 0).sort((a, b2) => a - b2);
    let prev = -1;
    for (const i of keep) {
      if (i !== prev) out.push({ x: xs[i]!, y: ys[i]! });
      prev = i;
    }
  }
  out.push({ x: xs[end - 1]!, y: ys[end - 1]! });
  return out;
}

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps the first and last points and, per bucket, the point that
 * makes the largest triangle with the previous kept point and the next bucket's mean. Shape-preserving for smooth
 * curves; min/max buckets are used for noisy loss, where every spike must survive.
 */
export function lttb(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number, start = 0, end = Math.min(xs.length, ys.length)): Point[] {
  const n = end - start;
  if (threshold >= n || threshold < 3) {
    const all: Point[] = [];
    for (let i = start; i < end; i += 1) all.push({ x: xs[i]!, y: ys[i]! });
    return all;
  }
  const out: Point[] = [{ x: xs[start]!, y: ys[start]! }];
  const every = (n - 2) / (threshold - 2);
  let a = start;
  for (let b = 0; b < threshold - 2; b += 1) {
    const nextFrom = start + Math.floor((b + 1) * every) + 1;
    const nextTo = Math.min(start + Math.floor((b + 2) * every) + 1, end);
    let avgX = 0;
    let avgY = 0;
    let count = 0;
    for (let i = nextFrom; i < nextTo; i += 1) {
      avgX += xs[i]!;
      avgY += ys[i]!;
      count += 1;
    }
    if (count > 0) {
      avgX /= count;
      avgY /= count;
    } else {
      avgX = xs[end - 1]!;
      avgY = ys[end - 1]!;
    }
    const from = start + Math.floor(b * every) + 1;
    const to = start + Math.floor((b + 1) * every) + 1;
    let best = from;
    let bestArea = -1;
    const ax = xs[a]!;
    const ay = ys[a]!;
    for (let i = from; i < to; i += 1) {
      const area = Math.abs((ax - avgX) * (ys[i]! - ay) - (ax - xs[i]!) * (avgY - ay));
      if (area > bestArea || !Number.isFinite(area)) {
        bestArea = Number.isFinite(area) ? area : Infinity;
        best = i;
      }
    }
    out.push({ x: xs[best]!, y: ys[best]! });
    a = best;
  }
  out.push({ x: xs[end - 1]!, y: ys[end - 1]! });
  return out;
}

/** Points of a series for display: at most ~2·maxBuckets, extremes kept. `smoothed` draws its values instead of y. */
export function displayPoints(series: Series, maxBuckets = 300, smoothed?: { values: ArrayLike<number>; pyramid: MinMaxPyramid }): Point[] {
  if (smoothed !== undefined) return pyramidPoints(series.x, smoothed.values, series.length, smoothed.pyramid, maxBuckets);
  return pyramidPoints(series.x, series.y, series.length, series.pyramid(), maxBuckets);
}

/** Points for a log-scale axis: drops values ≤ 0 and non-finite ones (a log axis cannot draw them). */
export function positiveOnly(points: readonly Point[]): Point[] {
  return points.filter((p) => p.y > 0 && Number.isFinite(p.y));
}

/** CSV text with a header row; numbers in full precision. */
export function toCsv(header: readonly string[], rows: Iterable<readonly (number | string | null)[]>): string {
  const cell = (v: number | string | null): string => {
    if (v === null) return '';
    if (typeof v === 'number') return String(v);
    return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const lines = [header.map(cell).join(',')];
  for (const row of rows) lines.push(row.map(cell).join(','));
  return `${lines.join('\n')}\n`;
}
