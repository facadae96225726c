// Data loader throughput on Fashion-MNIST (batch 64, shuffled, float32 [N, 1, 28, 28] + int64 labels, normalised):
// samples/s over one epoch for 0, 1 and 2 worker threads; prints one JSON line.
// Run: npx tsx bench/loader/netwright.ts <dataset dir>
import { join } from 'node:path';
import type { BatchSource } from '../../main/trainer/batch';
import { idxDataset } from '../../main/trainer/datasets';
import { DataLoader } from '../../main/trainer/loader';

async function main(): Promise<void> {
  const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
  const d = idxDataset(join(dir, 'train-images-idx3-ubyte.gz'), join(dir, 'train-labels-idx1-ubyte.gz'), 'fashion-mnist');
  const src: BatchSource = {
    xData: d.x.data, xSize: 784, xShape: [1, 28, 28], xOut: 'float32', yData: d.y.data, ySize: 1, yOut: 'int64',
    oneHot: 0, seed: 1, mean: [0.286], std: [0.353], flip: false, cropPadding: 0,
  };
  const indices = Int32Array.from({ length: d.count }, (_, i) => i);
  const results: { workers: number; samples_per_s: number }[] = [];
  for (const workers of [0, 1, 2]) {
    const loader = new DataLoader(src, indices, { batchSize: 64, shuffle: true, dropLast: false, seed: 0, workers, augment: true });
    let best = 0;
    for (let epoch = 0; epoch < 3; epoch += 1) {
      const start = performance.now();
      let n = 0;
      for await (const batch of loader.epoch(epoch)) n += batch.n;
      best = Math.max(best, n / ((performance.now() - start) / 1000));
    }
    loader.close();
    results.push({ workers, samples_per_s: best });
  }
  const top = results.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
  console.log(JSON.stringify({ samples_per_s: top.samples_per_s, workers: top.workers, runs: results }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
