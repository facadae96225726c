// Batch assembly: gathers samples by index, normalises, augments (seeded per sample, so the result does not depend
// on which thread built it) and converts to the engine's dtypes. `assembleBatch` is self-contained on purpose:
// loader workers run its source text (Function.prototype.toString), so it must not use imports or outer names.

export interface BatchSource {
  xData: Float32Array | Int32Array;
  /** values per sample in xData, and the [C, H, W] of image samples (for flip/crop) */
  xSize: number;
  xShape: number[];
  xOut: 'float32' | 'float64' | 'int64';
  yData: Float32Array | Int32Array;
  ySize: number;
  yOut: 'float32' | 'float64' | 'int64';
  /** > 0: yData holds class indices, emitted as one-hot rows of this width */
  oneHot: number;
  seed: number;
  mean: number[] | null;
  std: number[] | null;
  flip: boolean;
  cropPadding: number;
}

export interface Batch {
  n: number;
  x: Float32Array | Float64Array | BigInt64Array;
  y: Float32Array | Float64Array | BigInt64Array;
}

/** Number-indexed arrays whose reads are known to be in range (see assembleBatch). */
type Num = { [k: number]: number; length: number };
type Big = { [k: number]: bigint; length: number };

export function assembleBatch(src: BatchSource, indices: Int32Array, epoch: number, augment: boolean): Batch {
  const n = indices.length;
  const xs = src.xSize;
  const ys = src.oneHot > 0 ? src.oneHot : src.ySize;
  // Plain indexable views: indices are in range by construction (the loader's order is a permutation of valid samples).
  const xd = src.xData as unknown as Num;
  const yd = src.yData as unknown as Num;
  const mean = (src.mean ?? []) as unknown as Num;
  const std = (src.std ?? []) as unknown as Num;
  const idx = indices as unknown as Num;
  const xfa = src.xOut === 'int64' ? null : src.xOut === 'float64' ? new Float64Array(n * xs) : new Float32Array(n * xs);
  const xia = src.xOut === 'int64' ? new BigInt64Array(n * xs) : null;
  const yfa = src.yOut === 'int64' ? null : src.yOut === 'float64' ? new Float64Array(n * ys) : new Float32Array(n * ys);
  const yia = src.yOut === 'int64' ? new BigInt64Array(n * ys) : null;
  const xf = xfa as unknown as Num;
  const xi = xia as unknown as Big | null;
  const yf = yfa as unknown as Num;
  const yi = yia as unknown as Big | null;
  const shape = src.xShape as unknown as Num;
  const image = src.xShape.length === 3;
  const C = image ? shape[0]! : src.xShape.length === 1 ? shape[0]! : 1;
  const H = image ? shape[1]! : 1;
  const W = image ? shape[2]! : 1;
  const plane = xs / C;
  const doAugment = augment && image && (src.flip || src.cropPadding > 0);
  for (let k = 0; k < n; k += 1) {
    const i = idx[k]!;
    const base = i * xs;
    if (xi !== null) {
      for (let j = 0; j < xs; j += 1) xi[k * xs + j] = BigInt(xd[base + j]!);
    } else if (!doAugment) {
      if (src.mean === null) {
        // Same element types: a block copy (memcpy speed).
        if (xfa !== null && xfa.constructor === src.xData.constructor) (xfa as Float32Array).set((src.xData as Float32Array).subarray(base, base + xs), k * xs);
        else for (let j = 0; j < xs; j += 1) xf[k * xs + j] = xd[base + j]!;
      } else if (plane === 1) {
        for (let j = 0; j < xs; j += 1) xf[k * xs + j] = (xd[base + j]! - mean[j]!) / std[j]!;
      } else {
        for (let c = 0; c < C; c += 1) {
          const m = mean[c]!;
          const s = 1 / std[c]!;
          const off = c * plane;
          for (let j = 0; j < plane; j += 1) xf[k * xs + off + j] = (xd[base + off + j]! - m) * s;
        }
      }
    } else {
      // Seeded per (seed, epoch, sample): mulberry32 over a hash, inlined.
      let h = (src.seed ^ Math.imul(epoch + 1, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
      h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
      h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
      h = (h ^ (h >>> 16)) >>> 0;
      const draws = [0, 0, 0] as unknown as Num;
      for (let d = 0; d < 3; d += 1) {
        h = (h + 0x6d2b79f5) >>> 0;
        let t = h;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        draws[d] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      }
      const flip = src.flip && draws[0]! < 0.5;
      const p = src.cropPadding;
      // RandomCrop(size, padding=p): pad with zeros, take an H×W window at offset (dy, dx) in [0, 2p].
      const dy = p > 0 ? Math.floor(draws[1]! * (2 * p + 1)) - p : 0;
      const dx = p > 0 ? Math.floor(draws[2]! * (2 * p + 1)) - p : 0;
      for (let c = 0; c < C; c += 1) {
        const m = src.mean === null ? 0 : mean[c]!;
        const s = src.std === null ? 1 : 1 / std[c]!;
        const off = c * plane;
        for (let r = 0; r < H; r += 1) {
          const sr = r + dy;
          for (let q = 0; q < W; q += 1) {
            const sq = (flip ? W - 1 - q : q) + dx;
            const v = sr >= 0 && sr < H && sq >= 0 && sq < W ? xd[base + off + sr * W + sq]! : 0;
            xf[k * xs + off + r * W + q] = (v - m) * s;
          }
        }
      }
    }
    if (src.oneHot > 0) {
      const label = yd[i]!;
      for (let j = 0; j < ys; j += 1) {
        if (yi !== null) yi[k * ys + j] = j === label ? 1n : 0n;
        else yf[k * ys + j] = j === label ? 1 : 0;
      }
    } else if (yi !== null) {
      for (let j = 0; j < ys; j += 1) yi[k * ys + j] = BigInt(yd[i * ys + j]!);
    } else {
      for (let j = 0; j < ys; j += 1) yf[k * ys + j] = yd[i * ys + j]!;
    }
  }
  return { n, x: (xia ?? xfa)!, y: (yia ?? yfa)! };
}
