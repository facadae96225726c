// Shared by the image benchmarks (LeNet, Conv+BatchNorm): one epoch of Fashion-MNIST
// through the Plan executor with a once-shuffled order, then test accuracy; prints one JSON line.
import { join } from 'node:path';
import type { Plan } from '../../shared/api/plan';
import { compileGraph } from '../../shared/compile';
import type { Graph } from '../../shared/graph/schema';
import * as nw from '../../native/ts/index';
import { Model, type OptimizerConfig } from '../../native/ts/model';
import { loadIdxClassification } from '../../main/trainer/datasets/idx';
import { rng } from '../../main/trainer/random';

/** Compiles a graph with the project compiler; throws with the first error. */
export function compilePlan(graph: Graph): Plan {
  const result = compileGraph(graph);
  if (!result.ok) throw new Error(`the graph does not compile: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.plan;
}


export interface ImageRun {
  plan: Plan;
  optimizer: OptimizerConfig;
  /** Use only the first `limit` training images (all when undefined). */
  limit?: number;
  batch?: number;
}

export async function trainImageEpoch(run: ImageRun): Promise<void> {
  const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
  const train = loadIdxClassification(join(dir, 'train-images-idx3-ubyte.gz'), join(dir, 'train-labels-idx1-ubyte.gz'));
  const test = loadIdxClassification(join(dir, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
  const count = Math.min(run.limit ?? train.count, train.count);
  const batch = run.batch ?? 64;
  const pixels = 784;
  nw.manualSeed(0);
  const model = new Model(run.plan);
  model.configureOptimizer(run.optimizer);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const rnd = rng(0);
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const xb = new Float32Array(batch * pixels);
  const yb = new BigInt64Array(batch);
  const start = process.hrtime.bigint();
  let lastLoss = 0;
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    for (let k = 0; k < n; k += 1) {
      const idx = order[s + k]!;
      xb.set(train.x.subarray(idx * pixels, idx * pixels + pixels), k * pixels);
      yb[k] = BigInt(train.y[idx]!);
    }
    const x = nw.tensor(n === batch ? xb : xb.subarray(0, n * pixels), { shape: [n, 1, 28, 28] });
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
    const x = nw.tensor(test.x.subarray(s * pixels, (s + n) * pixels), { shape: [n, 1, 28, 28] });
    const y = nw.tensor(BigInt64Array.from(test.y.subarray(s, s + n), (v) => BigInt(v)), { shape: [n] });
    correct += (await model.evalStep([x], [y])).correct;
    x.dispose();
    y.dispose();
  }
  console.log(
    JSON.stringify({
      samples_per_s: count / seconds,
      seconds,
      accuracy: correct / test.count,
      last_loss: lastLoss,
      threads: nw.engineInfo().threads,
    }),
  );
}
