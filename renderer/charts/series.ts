// The chart data pipeline: growable columnar series, EMA smoothing (TensorBoard's debiased formula, extended
// incrementally as points arrive) and display downsampling (min/max buckets, LTTB) that keeps every extreme, so a
// 1,000,000-point series draws as a few thousand points while the full data stays in the run log.

export interface Point {
  x: number;
  y: number;
}

/** An append-only (x, y) series in Float64Arrays that double as they fill. x is expected to be non-decreasing. */
export class Series {
  x: Float64Array;
  y: Float64Array;
  length = 0;

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
  }

  get lastX(): number | null {
    return this.length === 0 ? null : this.x[this.length - 1]!;
  }

  get lastY(): number | null {
    return this.length === 0 ? null : this.y[this.length - 1]!;
  }

  private extrema: BlockExtrema | null = null;

  /** Block extremes of y, brought up to date (for downsampling long series). */
  blocks(): BlockExtrema {
    this.extrema ??= new BlockExtrema();
    return this.extrema.update(this.y, this.length);
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
  for (let i = from; i < values.length; i += 1) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count += 1;
    const debias = w === 0 ? 1 : 1 - Math.pow(w, count);
    out[i] = last / debias;
  }
  return { out, state: { last, count } };
}

/** Smooths a growing Series incrementally; a new weight recomputes from the start. */
export class SmoothedSeries {
  readonly extrema = new BlockExtrema();
  private out = new Float64Array(0);
  private done = 0;
  private weight = -1;
  private state = { last: 0, count: 0 };

  values(series: Series, weight: number): Float64Array {
    if (weight !== this.weight || series.length < this.done) {
      this.weight = weight;
      this.done = 0;
      this.state = { last: 0, count: 0 };
      this.extrema.reset();
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
    this.extrema.update(this.out, series.length);
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

/**
 * Per-block extremes of an append-only array (blocks of `size` values): the index of each full block's minimum,
 * maximum and first non-finite value, extended as the array grows. Lets min/max downsampling visit a 1,000,000-point
 * series in ~n/size steps plus two partial blocks per bucket instead of every point on every redraw.
 */
export class BlockExtrema {
  min: Int32Array = new Int32Array(64);
  max: Int32Array = new Int32Array(64);
  bad: Int32Array = new Int32Array(64);
  blocks = 0;

  constructor(readonly size = 64) {}

  /** Summarises every newly completed block of `values[0, length)`. */
  update(values: ArrayLike<number>, length: number): this {
    const full = Math.floor(length / this.size);
    if (full > this.min.length) {
      const grow = (old: Int32Array): Int32Array => {
        const next = new Int32Array(Math.max(full, old.length * 2));
        next.set(old);
        return next;
      };
      this.min = grow(this.min);
      this.max = grow(this.max);
      this.bad = grow(this.bad);
    }
    for (let b = this.blocks; b < full; b += 1) {
      let minI = -1;
      let maxI = -1;
      let badI = -1;
      for (let i = b * this.size; i < (b + 1) * this.size; i += 1) {
        const v = values[i]!;
        if (!Number.isFinite(v)) {
          if (badI < 0) badI = i;
          continue;
        }
        if (minI < 0 || v < values[minI]!) minI = i;
        if (maxI < 0 || v > values[maxI]!) maxI = i;
      }
      this.min[b] = minI;
      this.max[b] = maxI;
      this.bad[b] = badI;
    }
    this.blocks = Math.max(this.blocks, full);
    return this;
  }

  reset(): void {
    this.blocks = 0;
  }
}

/**
 * Min/max bucket downsampling: splits [start, end) into `buckets` equal index ranges and keeps, per bucket, its
 * minimum and maximum (in x order), plus the first and last points. Every local extreme that matters at display
 * resolution survives; non-finite y values are kept (they are what the user must see). Output ≤ 2·buckets + 2 points.
 */
export function minMaxDownsample(xs: ArrayLike<number>, ys: ArrayLike<number>, buckets: number, start = 0, end = Math.min(xs.length, ys.length), blocks: BlockExtrema | null = null): Point[] {
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
    const visit = (i: number): void => {
      const v = ys[i]!;
      if (!Number.isFinite(v)) {
        if (bad < 0 || i < bad) bad = i;
        return;
      }
      // Ties keep the earliest index, as a plain left-to-right scan would.
      if (minI < 0 || v < ys[minI]! || (v === ys[minI]! && i < minI)) minI = i;
      if (maxI < 0 || v > ys[maxI]! || (v === ys[maxI]! && i < maxI)) maxI = i;
    };
    const blockSize = blocks?.size ?? 0;
    const firstBlock = blockSize > 0 ? Math.ceil(from / blockSize) : 0;
    const lastBlock = blocks !== null && blockSize > 0 ? Math.min(Math.floor(to / blockSize), blocks.blocks) : 0;
    if (blocks !== null && lastBlock - firstBlock >= 2) {
      for (let i = from; i < firstBlock * blockSize; i += 1) visit(i);
      for (let b = firstBlock; b < lastBlock; b += 1) {
        const lo = blocks.min[b]!;
        const hi = blocks.max[b]!;
        const nf = blocks.bad[b]!;
        if (lo >= 0) visit(lo);
        if (hi >= 0) visit(hi);
        if (nf >= 0) visit(nf);
      }
      for (let i = lastBlock * blockSize; i < to; i += 1) visit(i);
    } else {
      for (let i = from; i < to; i += 1) visit(i);
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

/** Points of a series for display: at most ~2·buckets, extremes kept. `smoothed` draws its values instead of y. */
export function displayPoints(series: Series, buckets = 600, smoothed?: { values: ArrayLike<number>; extrema: BlockExtrema }): Point[] {
  if (smoothed !== undefined) return minMaxDownsample(series.x, smoothed.values, buckets, 0, series.length, smoothed.extrema);
  return minMaxDownsample(series.x, series.y, buckets, 0, series.length, series.length > buckets * 256 ? series.blocks() : null);
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
