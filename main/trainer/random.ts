// Seeded, reproducible randomness for data order, splits, synthetic data and augmentation
// (the engine's own RNG, reseeded per step from the run seed, drives init and dropout).

/** A 32-bit mix of several integers (splitmix-style); the same inputs always give the same seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // fold in the high bits of large integers (steps beyond 2^32 stay distinct)
    h = Math.imul(h ^ Math.floor(p / 4294967296), 0x27d4eb2f);
  }
  return h >>> 0;
}

/** mulberry32: uniform floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal from a uniform source (Box–Muller). */
export function gaussian(next: () => number): () => number {
  return () => {
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Fisher–Yates over a copy of `items` (or 0..n-1), seeded. */
export function permutation(n: number, seed: number, items?: Int32Array): Int32Array {
  const out = items ? Int32Array.from(items) : Int32Array.from({ length: n }, (_, i) => i);
  const next = rng(seed);
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
