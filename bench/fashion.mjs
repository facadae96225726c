// What the Fashion-MNIST workloads share: where the data is, a clear error when it is
// missing, and the one-line description of a set of runs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const FASHION_MNIST = process.env.NW_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';

export function needFashionMnist() {
  if (!existsSync(join(FASHION_MNIST, 'train-images-idx3-ubyte.gz'))) {
    throw new Error(`Fashion-MNIST not found in ${FASHION_MNIST}: apt-get install dataset-fashion-mnist (or set NW_FASHION_MNIST)`);
  }
}

/** "1t 43971/s acc 0.849, 2t …" for runs with samples_per_s and accuracy. */
export function describeImageRuns(runs) {
  return runs.map((r) => `${r.label ?? `${r.threads}t`} ${r.samples_per_s.toFixed(0)}/s acc ${r.accuracy.toFixed(3)}`).join(', ');
}
