// MLP 784→256→128→10 (ReLU) on Fashion-MNIST, cross-entropy, Adam lr 1e-3, batch 64,
// one epoch through the Plan executor; prints one JSON line (samples/s, test accuracy).
// Run: npx tsx bench/mlp/netwright.ts <dataset dir> (NETWRIGHT_NUM_THREADS picks threads).
import { join } from 'node:path';
import type { Plan, PlanTensor } from '../../shared/api/plan';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';
import { loadIdxClassification } from '../../main/trainer/datasets/idx';
import { permutation } from '../../main/trainer/random';

function linear(name: string, inF: number, outF: number): PlanTensor[] {
  const bound = 1 / Math.sqrt(inF);
  return [
    { key: `${name}.weight`, shape: [outF, inF], dtype: 'float32', init: { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn: inF }, trainable: true, buffer: false },
    { key: `${name}.bias`, shape: [outF], dtype: 'float32', init: { kind: 'uniform', low: -bound, high: bound }, trainable: true, buffer: false },
  ];
}

const plan: Plan = {
  format: 'netwright-plan',
  version: 1,
  dtype: 'float32',
  inputs: [{ name: 'x', shape: [null, 784], dtype: 'float32' }],
  targets: [{ name: 'y', shape: [null], dtype: 'int64' }],
  tensors: [...linear('fc1', 784, 256), ...linear('fc2', 256, 128), ...linear('fc3', 128, 10)],
  steps: [
    { op: 'linear', module: 'fc1', inputs: ['x'], tensors: ['fc1.weight', 'fc1.bias'], outputs: ['h1'], attrs: {} },
    { op: 'relu', module: 'act1', inputs: ['h1'], tensors: [], outputs: ['a1'], attrs: {} },
    { op: 'linear', module: 'fc2', inputs: ['a1'], tensors: ['fc2.weight', 'fc2.bias'], outputs: ['h2'], attrs: {} },
    { op: 'relu', module: 'act2', inputs: ['h2'], tensors: [], outputs: ['a2'], attrs: {} },
    { op: 'linear', module: 'fc3', inputs: ['a2'], tensors: ['fc3.weight', 'fc3.bias'], outputs: ['logits'], attrs: {} },
    { op: 'cross_entropy', module: 'loss', inputs: ['logits', 'y'], tensors: [''], outputs: ['loss'], attrs: { reduction: 'mean' } },
  ],
  outputs: ['logits'],
  loss: 'loss',
};

async function main(): Promise<void> {
  const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
  const train = loadIdxClassification(join(dir, 'train-images-idx3-ubyte.gz'), join(dir, 'train-labels-idx1-ubyte.gz'));
  const test = loadIdxClassification(join(dir, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
  nw.manualSeed(0);
  const model = new Model(plan);
  model.configureOptimizer({ kind: 'adam', lr: 1e-3 });
  const batch = 64;
  const order = permutation(train.count, 0);
  const xb = new Float32Array(batch * 784);
  const yb = new BigInt64Array(batch);
  const start = process.hrtime.bigint();
  let lastLoss = 0;
  for (let s = 0; s < train.count; s += batch) {
    const n = Math.min(batch, train.count - s);
    for (let k = 0; k < n; k += 1) {
      const idx = order[s + k]!;
      xb.set(train.x.subarray(idx * 784, idx * 784 + 784), k * 784);
      yb[k] = BigInt(train.y[idx]!);
    }
    const x = nw.tensor(n === batch ? xb : xb.subarray(0, n * 784), { shape: [n, 784] });
    const y = nw.tensor(n === batch ? yb : yb.subarray(0, n), { shape: [n] });
    const r = await model.trainStep([x], [y]);
    lastLoss = r.loss;
    x.dispose();
    y.dispose();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  let correct = 0;
  const evalBatch = 1000;
  for (let s = 0; s < test.count; s += evalBatch) {
    const n = Math.min(evalBatch, test.count - s);
    const x = nw.tensor(test.x.subarray(s * 784, (s + n) * 784), { shape: [n, 784] });
    const y = nw.tensor(BigInt64Array.from(test.y.subarray(s, s + n), (v) => BigInt(v)), { shape: [n] });
    correct += (await model.evalStep([x], [y])).correct;
  }
  console.log(
    JSON.stringify({
      samples_per_s: train.count / seconds,
      seconds,
      accuracy: correct / test.count,
      last_loss: lastLoss,
      threads: nw.engineInfo().threads,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
