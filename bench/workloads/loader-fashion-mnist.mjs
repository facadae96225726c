// Data loader vs training: Fashion-MNIST batches (64, shuffled, normalised) the loader delivers per second,
// against the MLP's training samples/s measured in the same run (bench/mlp/netwright.ts, best thread count).
// The loader must outpace training ≥ 10× so the engine never waits on data; ratio = loader / training.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runJson } from '../harness.mjs';

const DATA = process.env.NW_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
const tsx = join(repoRoot, 'node_modules/.bin/tsx');

function needData() {
  if (!existsSync(join(DATA, 'train-images-idx3-ubyte.gz'))) {
    throw new Error(`Fashion-MNIST not found in ${DATA}: apt-get install dataset-fashion-mnist (or set NW_FASHION_MNIST)`);
  }
}

export default {
  name: 'loader-fashion-mnist',
  unit: 'samples/s',
  order: 11000,
  netwright() {
    needData();
    const r = runJson(tsx, [join(repoRoot, 'bench/loader/netwright.ts'), DATA]);
    return { value: r.samples_per_s, detail: `loader ${r.runs.map((x) => `${x.workers}w ${x.samples_per_s.toFixed(0)}/s`).join(', ')}` };
  },
  reference() {
    needData();
    const runs = [1, 2].map((t) => ({
      ...runJson(tsx, [join(repoRoot, 'bench/mlp/netwright.ts'), DATA], { env: { ...process.env, NETWRIGHT_NUM_THREADS: String(t) } }),
      threads: t,
    }));
    const best = runs.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
    return {
      value: best.samples_per_s,
      name: `MLP training (ours, ${best.threads}t)`,
      detail: `training ${runs.map((r) => `${r.threads}t ${r.samples_per_s.toFixed(0)}/s`).join(', ')}`,
    };
  },
};
