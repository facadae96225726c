// MLP 784→256→128→10 on Fashion-MNIST, Adam 1e-3, batch 64, one epoch: training
// samples/s (and test accuracy) of ours vs PyTorch, each at its best thread count.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bestReferenceEnvs, referencePython, repoRoot, runJson } from '../harness.mjs';

const DATA = process.env.NW_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
const THREADS = [1, 2];

function needData() {
  if (!existsSync(join(DATA, 'train-images-idx3-ubyte.gz'))) {
    throw new Error(`Fashion-MNIST not found in ${DATA}: apt-get install dataset-fashion-mnist (or set NW_FASHION_MNIST)`);
  }
}

function describe(runs) {
  return runs.map((r) => `${r.label ?? `${r.threads}t`} ${r.samples_per_s.toFixed(0)}/s acc ${r.accuracy.toFixed(3)}`).join(', ');
}

export default {
  name: 'mlp-fashion-mnist',
  unit: 'samples/s',
  order: 10000,
  netwright() {
    needData();
    const runs = THREADS.map((t) => ({
      ...runJson(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'bench/mlp/netwright.ts'), DATA], {
        env: { ...process.env, NETWRIGHT_NUM_THREADS: String(t) },
      }),
      threads: t,
    }));
    const best = runs.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
    if (best.accuracy < 0.83) throw new Error(`accuracy after one epoch is ${best.accuracy}, below the 0.83 bar`);
    return { value: best.samples_per_s, detail: `ours ${describe(runs)}` };
  },
  reference() {
    needData();
    // Every OpenBLAS configuration bestReferenceEnvs finds (unset, as specified, and the
    // AVX-512 core types this OpenBLAS confirms), each at 1 and 2 threads.
    const runs = [];
    for (const t of THREADS) {
      const extra = { OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) };
      for (const v of bestReferenceEnvs(extra, { module: 'torch' }))
        runs.push({ ...runJson(referencePython, [join(repoRoot, 'bench/reference/mlp.py'), DATA, String(t)], { env: v.env }), label: `${v.label}, ${t}t` });
    }
    const best = runs.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
    return {
      value: best.samples_per_s,
      name: `PyTorch ${best.torch} (${best.label}), acc ${best.accuracy.toFixed(3)}`,
      detail: `ref ${describe(runs)}`,
    };
  },
};
