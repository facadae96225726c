// MLP 784→256→128→10 on Fashion-MNIST, Adam 1e-3, batch 64, one epoch: training
// samples/s (and test accuracy) of ours vs PyTorch, each at its best thread count.
import { join } from 'node:path';
import { bestReferenceEnvs, referencePython, repoRoot, runJson } from '../harness.mjs';
import { FASHION_MNIST, needFashionMnist, describeImageRuns } from '../fashion.mjs';

const THREADS = [1, 2];

export default {
  name: 'mlp-fashion-mnist',
  unit: 'samples/s',
  order: 10000,
  netwright() {
    needFashionMnist();
    const runs = THREADS.map((t) => ({
      ...runJson(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'bench/mlp/netwright.ts'), FASHION_MNIST], {
        env: { ...process.env, NETWRIGHT_NUM_THREADS: String(t) },
      }),
      threads: t,
    }));
    const best = runs.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
    if (best.accuracy < 0.83) throw new Error(`accuracy after one epoch is ${best.accuracy}, below the 0.83 bar`);
    return { value: best.samples_per_s, detail: `ours ${describeImageRuns(runs)}` };
  },
  reference() {
    needFashionMnist();
    // Every OpenBLAS configuration bestReferenceEnvs finds (unset, as specified, and the
    // AVX-512 core types this OpenBLAS confirms), each at 1 and 2 threads.
    const runs = [];
    for (const t of THREADS) {
      const extra = { OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) };
      for (const v of bestReferenceEnvs(extra, { module: 'torch' }))
        runs.push({ ...runJson(referencePython, [join(repoRoot, 'bench/reference/mlp.py'), FASHION_MNIST, String(t)], { env: v.env }), label: `${v.label}, ${t}t` });
    }
    const best = runs.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
    return {
      value: best.samples_per_s,
      name: `PyTorch ${best.torch} (${best.label}), acc ${best.accuracy.toFixed(3)}`,
      detail: `ref ${describeImageRuns(runs)}`,
    };
  },
};
