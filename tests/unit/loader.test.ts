// The data loader: seeded, reproducible order; drop_last; worker_threads give exactly the batches the calling thread
// would (augmentation included); an epoch can start mid-way (resume); checkpoints refuse non-finite weights.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleBatch, type Batch, type BatchSource } from '../../main/trainer/batch';
import { readCheckpoint, writeCheckpoint } from '../../main/trainer/checkpoint';
import { DataLoader, type LoaderOptions } from '../../main/trainer/loader';
import { sharedFloat32, sharedInt32 } from '../../main/trainer/datasets/types';

function source(n: number, shape: number[] = [1, 4, 4], extra: Partial<BatchSource> = {}): BatchSource {
  const size = shape.reduce((a, b) => a * b, 1);
  const x = sharedFloat32(n * size);
  for (let i = 0; i < x.length; i += 1) x[i] = i;
  const y = sharedInt32(n);
  for (let i = 0; i < n; i += 1) y[i] = i % 3;
  return { xData: x, xSize: size, xShape: shape, xOut: 'float32', yData: y, ySize: 1, yOut: 'int64', oneHot: 0, seed: 1, mean: null, std: null, flip: false, cropPadding: 0, ...extra };
}

const all = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

async function collect(loader: DataLoader, epoch: number, start = 0): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch, start)) out.push(b);
  return out;
}

const labels = (batches: Batch[]): number[] => batches.flatMap((b) => Array.from(b.x as Float32Array).filter((_, k) => k % 16 === 0).map((v) => v / 16));

describe('DataLoader', () => {
  const opts: LoaderOptions = { batchSize: 8, shuffle: true, dropLast: false, seed: 42, workers: 0, augment: false };

  it('gives the same order for the same seed and epoch, another for another seed or epoch', async () => {
    const a = labels(await collect(new DataLoader(source(50), all(50), opts), 0));
    const b = labels(await collect(new DataLoader(source(50), all(50), opts), 0));
    const c = labels(await collect(new DataLoader(source(50), all(50), { ...opts, seed: 43 }), 0));
    const d = labels(await collect(new DataLoader(source(50), all(50), opts), 1));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(d);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from(all(50)));
  });

  it('keeps index order without shuffle and drops the last partial batch with dropLast', async () => {
    const plain = await collect(new DataLoader(source(50), all(50), { ...opts, shuffle: false }), 0);
    expect(labels(plain)).toEqual(Array.from(all(50)));
    expect(plain.map((b) => b.n)).toEqual([8, 8, 8, 8, 8, 8, 2]);
    const dropped = new DataLoader(source(50), all(50), { ...opts, dropLast: true });
    expect(dropped.batchesPerEpoch()).toBe(6);
    expect((await collect(dropped, 0)).map((b) => b.n)).toEqual([8, 8, 8, 8, 8, 8]);
  });

  it('starts an epoch at a given batch (resume) with the same remaining batches', async () => {
    const loader = new DataLoader(source(50), all(50), opts);
    const full = await collect(loader, 2);
    const rest = await collect(loader, 2, 3);
    expect(rest.map((b) => Array.from(b.x as Float32Array))).toEqual(full.slice(3).map((b) => Array.from(b.x as Float32Array)));
  });

  it('prefetches in worker threads and yields exactly the single-thread batches, augmentation included', async () => {
    const src = source(64, [1, 4, 4], { flip: true, cropPadding: 1, mean: [3], std: [2] });
    const single = await collect(new DataLoader(src, all(64), { ...opts, augment: true }), 5);
    const pooled = new DataLoader(src, all(64), { ...opts, augment: true, workers: 2 });
    try {
      const threaded = await collect(pooled, 5);
      expect(threaded.map((b) => Array.from(b.x as Float32Array))).toEqual(single.map((b) => Array.from(b.x as Float32Array)));
      expect(threaded.map((b) => Array.from(b.y as BigInt64Array))).toEqual(single.map((b) => Array.from(b.y as BigInt64Array)));
    } finally {
      pooled.close();
    }
  });

  it('flips and crops images, normalises per channel and one-hot encodes', () => {
    const src = source(1, [1, 2, 2], { mean: [1], std: [2] });
    const plain = assembleBatch(src, Int32Array.from([0]), 0, false);
    expect(Array.from(plain.x as Float32Array)).toEqual([-0.5, 0, 0.5, 1]);
    // Over many epochs a flip-only augmentation yields both the image and its mirror, nothing else.
    const flipped = new Set<string>();
    for (let e = 0; e < 20; e += 1) flipped.add(Array.from(assembleBatch({ ...src, flip: true }, Int32Array.from([0]), e, true).x as Float32Array).join(','));
    expect([...flipped].sort()).toEqual(['-0.5,0,0.5,1', '0,-0.5,1,0.5']);
    const hot = assembleBatch({ ...source(3, [2]), oneHot: 3, yOut: 'float32' }, Int32Array.from([2, 1]), 0, false);
    expect(Array.from(hot.y as Float32Array)).toEqual([0, 0, 1, 0, 1, 0]);
  });

  it('assembles Fashion-MNIST-sized batches well above 120,000 samples/s in one thread', () => {
    const src = source(2048, [1, 28, 28]);
    const order = all(2048);
    // Best of several rounds: the first ones include JIT warm-up, and the machine is shared.
    let perSecond = 0;
    for (let round = 0; round < 6; round += 1) {
      const start = performance.now();
      let samples = 0;
      for (let b = 0; b < 32; b += 1) samples += assembleBatch(src, order.subarray(b * 64, b * 64 + 64), round, false).n;
      perSecond = Math.max(perSecond, samples / ((performance.now() - start) / 1000));
    }
    expect(perSecond).toBeGreaterThan(120_000);
  });
});

describe('checkpoints', () => {
  it('round-trips tensors and state bit for bit, and never writes non-finite weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-ck-'));
    const path = join(dir, 'last.mdl');
    const weights = new Map([
      ['fc.weight', { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([0.1, -2, 3e-8, 4, 5, 6]) }],
      ['bn.num_batches_tracked', { dtype: 'int64' as const, shape: [], data: BigInt64Array.from([7n]) }],
    ]);
    const optimizer = [{ step: 3, buffers: { exp_avg: { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) } } }];
    writeCheckpoint(path, { state: { step: 3, epoch: 1 }, weights, optimizer });
    const back = readCheckpoint<{ step: number; epoch: number }>(path);
    expect(back.state).toEqual({ step: 3, epoch: 1 });
    expect(Array.from(back.weights.get('fc.weight')!.data as Float32Array)).toEqual(Array.from(weights.get('fc.weight')!.data as Float32Array));
    expect(back.weights.get('bn.num_batches_tracked')!.data).toEqual(BigInt64Array.from([7n]));
    expect(back.optimizer?.[0]?.step).toBe(3);
    expect([...back.weights.keys()]).toEqual(['fc.weight', 'bn.num_batches_tracked']);
    const before = readFileSync(path);
    const bad = new Map(weights);
    bad.set('fc.weight', { dtype: 'float32', shape: [1], data: Float32Array.from([NaN]) });
    expect(() => writeCheckpoint(path, { state: {}, weights: bad, optimizer: null })).toThrow('weight fc.weight holds NaN or inf');
    expect(readFileSync(path).equals(before)).toBe(true);
    writeFileSync(join(dir, 'junk.mdl'), 'hello');
    expect(() => readCheckpoint(join(dir, 'junk.mdl'))).toThrow('is not a Netwright checkpoint');
  });
});
