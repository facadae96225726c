// Every sample project the engine can run, exported to ONNX (opset 17) and run by onnxruntime-node: outputs equal
// the engine's Model.predict within 1e-5 on fixed inputs, at batch 2 and batch 3 (the batch dimension is dynamic).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';
import { exportPyTorch, exportProjectOnnx } from '../../shared/export/index';
import { typedArray, type TensorData } from '../../shared/formats/index';
import { parseProject } from '../../shared/graph/index';
import { ortMissing, ortSession, toOrt, worstDifference } from './ort';
import { fromEngine } from './torch';

const samples = new URL('../../samples/', import.meta.url);
const files = readdirSync(samples).filter((file) => file.endsWith('.json')).sort();
const engineOps = new Set(nw.opTable().map((op) => op.name));

function fixedInput(shape: number[], dtype: string, salt: number, high: number): nw.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int64') return nw.tensor(BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 31 + salt * 17) % high)), { shape, dtype: 'int64' });
  const values = Float64Array.from({ length: n }, (_, i) => ((((i * 7919 + salt * 104729) % 1000) / 1000) - 0.5) * 2);
  return dtype === 'float64' ? nw.tensor(values, { shape, dtype: 'float64' }) : nw.tensor(Float32Array.from(values), { shape, dtype: 'float32' });
}

describe.skipIf(ortMissing !== null)(`samples exported to ONNX ${ortMissing ?? ''}`, () => {
  it.each(files)('%s: onnxruntime equals Model.predict within 1e-5 at batch 2 and 3', async (file) => {
    const { project } = parseProject(readFileSync(new URL(file, samples), 'utf8'));
    const plan = exportPyTorch(project).plan;
    const missingOp = plan.steps.map((step) => step.op).find((op) => !engineOps.has(op));
    if (missingOp !== undefined) {
      console.warn(`SKIPPED ${file}: the engine has no op ${missingOp} yet (nw.opTable())`);
      return;
    }
    nw.manualSeed(7);
    const model = new Model(plan);
    try {
      const weights = new Map<string, TensorData>([...model.stateDict()].map(([key, t]) => [key, fromEngine(t)]));
      const session = await ortSession(exportProjectOnnx(project, weights));
      const embedding = project.graph.nodes.find((node) => node.layer === 'nn.Embedding');
      const high = embedding ? Number(embedding.params['num_embeddings'] ?? 2) : 2;
      expect(session.inputNames).toEqual(plan.inputs.map((input) => input.name));
      expect(session.outputNames).toEqual(plan.outputs);
      for (const batch of [2, 3]) {
        const inputs = plan.inputs.map((input, k) => fixedInput(input.shape.map((d, i) => d ?? (i === 0 ? batch : 8)), input.dtype, k + 1, high));
        const ours = (await model.predict(inputs)).map(fromEngine);
        const feeds = Object.fromEntries(plan.inputs.map((input, k) => [input.name, toOrt(fromEngine(inputs[k]!))]));
        const result = await session.run(feeds);
        plan.outputs.forEach((name, k) => {
          const theirs = result[name]!;
          const mine = ours[k]!;
          expect([...theirs.dims]).toEqual(mine.shape);
          const worst = worstDifference(typedArray(mine) as Float32Array, theirs.data as Float32Array);
          console.info(`${file} batch ${batch} output ${name} [${mine.shape.join(', ')}]: max |engine - onnxruntime| (relative above 1) = ${worst.toExponential(2)}`);
          expect(worst).toBeLessThanOrEqual(1e-5);
        });
      }
      await session.release();
    } finally {
      model.dispose();
    }
  });
});
