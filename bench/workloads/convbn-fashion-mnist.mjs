// Conv+BatchNorm (two conv/pool/ReLU/BatchNorm blocks, Linear 3136→128, Dropout, Linear
// 128→10) on the first 20,000 Fashion-MNIST training images, Adam 1e-3, batch 64: training
// samples/s of ours vs PyTorch, each at its best thread count and OpenBLAS configuration.
// imageWorkload() is shared with lenet-fashion-mnist.mjs.
import { join } from 'node:path';
import { bestReferenceEnvs, referencePython, repoRoot, runJson } from '../harness.mjs';
import { FASHION_MNIST, needFashionMnist, describeImageRuns } from '../fashion.mjs';

const THREADS = [1, 2];

const best = (runs) => runs.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));

export function imageWorkload({ name, order, ours, reference, minAccuracy }) {
  return {
    name,
    unit: 'samples/s',
    order,
    netwright() {
      needFashionMnist();
      const runs = THREADS.map((t) => ({
        ...runJson(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, ours), FASHION_MNIST], {
          env: { ...process.env, NETWRIGHT_NUM_THREADS: String(t) },
        }),
        threads: t,
      }));
      const top = best(runs);
      if (minAccuracy !== undefined && top.accuracy < minAccuracy) {
        throw new Error(`accuracy after one epoch is ${top.accuracy}, below the ${minAccuracy} bar`);
      }
      return { value: top.samples_per_s, detail: `ours ${describeImageRuns(runs)}` };
    },
    reference() {
      needFashionMnist();
      const runs = [];
      for (const t of THREADS)
        for (const { label, env } of bestReferenceEnvs({ OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) }, { module: 'torch' })) {
          runs.push({ ...runJson(referencePython, [join(repoRoot, reference), FASHION_MNIST, String(t)], { env }), label: `${label}/${t}t` });
        }
      const top = best(runs);
      return {
        value: top.samples_per_s,
        name: `PyTorch ${top.torch} (${top.label}), acc ${top.accuracy.toFixed(3)}`,
        detail: `ref ${describeImageRuns(runs)}`,
      };
    },
  };
}

export default imageWorkload({
  name: 'convbn-fashion-mnist',
  order: 10020,
  ours: 'bench/convbn/netwright.ts',
  reference: 'bench/reference/convbn.py',
});
