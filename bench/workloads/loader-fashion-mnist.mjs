// Data loader vs training: Fashion-MNIST batches (64, shuffled, normalised) the loader delivers per second,
// against the MLP's training samples/s measured in the same run (bench/mlp/netwright.ts, best thread count).
// The loader must outpace training ≥ 10× so the engine never waits on data; ratio = loader / training.
import { join } from 'node:path';
import { repoRoot, runJson } from '../harness.mjs';
import { FASHION_MNIST, needFashionMnist } from '../fashion.mjs';

const tsx = join(repoRoot, 'node_modules/.bin/tsx');

export default {
  name: 'loader-fashion-mnist',
  unit: 'samples/s',
  order: 11000,
  netwright() {
    needFashionMnist();
    const r = runJson(tsx, [join(repoRoot, 'bench/loader/netwright.ts'), FASHION_MNIST]);
    return { value: r.samples_per_s, detail: `loader ${r.runs.map((x) => `${x.workers}w ${x.samples_per_s.toFixed(0)}/s`).join(', ')}` };
  },
  reference() {
    needFashionMnist();
    const runs = [1, 2].map((t) => ({
      ...runJson(tsx, [join(repoRoot, 'bench/mlp/netwright.ts'), FASHION_MNIST], { env: { ...process.env, NETWRIGHT_NUM_THREADS: String(t) } }),
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
