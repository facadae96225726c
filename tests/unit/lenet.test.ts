// The whole LeNet (samples/lenet.json, compiled in float64) against PyTorch: weights and a
// batch from the formula make_lenet_fixture.py uses, then the logits, the loss and every
// parameter's gradient (taken as w_before - w_after of one SGD step with lr 1).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../shared/compile';
import { parseProject } from '../../shared/graph/project';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';

interface GradSummary {
  shape: number[];
  norm: number;
  data?: number[];
  every37?: number[];
}
interface LenetFixture {
  keys: string[];
  y: number[];
  logits: { shape: number[]; data: number[] };
  loss: number;
  grads: Record<string, GradSummary>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/lenet/lenet.json', import.meta.url), 'utf8')) as LenetFixture;

/** Same as make_lenet_fixture.py's pattern(): exactly representable values. */
function pattern(n: number, salt: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => ((((i * 7919 + salt * 104729) % 1000) / 1000) - 0.5) * scale);
}

function close(actual: number[], expected: number[], tol: number): string | null {
  if (actual.length !== expected.length) return `${actual.length} values, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i += 1) {
    const err = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    if (!(err <= tol)) return `[${i}] ${actual[i]} vs ${expected[i]}`;
  }
  return null;
}

describe('LeNet (samples/lenet.json) against PyTorch, float64', () => {
  const project = parseProject(readFileSync(new URL('../../samples/lenet.json', import.meta.url), 'utf8')).project;
  const compiled = compileGraph(project.graph, { dtype: 'float64' });
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('; '));
  const plan = compiled.plan;

  it("has PyTorch's state_dict keys", () => {
    expect(plan.tensors.map((t) => t.key)).toEqual(fixture.keys);
  });

  it("gives PyTorch's logits, loss and gradients", async () => {
    const model = new Model(plan);
    try {
      const shapes = new Map(plan.tensors.map((t) => [t.key, t.shape as number[]]));
      const weights = new Map<string, nw.Tensor>();
      fixture.keys.forEach((key, salt) => {
        const shape = shapes.get(key)!;
        const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 10;
        const n = shape.reduce((a, b) => a * b, 1);
        weights.set(key, nw.tensor(pattern(n, salt, 2.0 / Math.sqrt(fanIn)), { dtype: 'float64', shape }));
      });
      expect(model.loadStateDict(weights)).toEqual({ missing: [], unexpected: [] });
      const xData = pattern(4 * 784, 99, 2.0).map((v) => v + 0.5);
      const x = nw.tensor(xData, { dtype: 'float64', shape: [4, 1, 28, 28] });
      const y = nw.tensor(BigInt64Array.from(fixture.y, (v) => BigInt(v)), { shape: [4] });

      const [logits] = await model.predict([x]);
      expect(logits!.shape).toEqual(fixture.logits.shape);
      expect(close(logits!.toArray(), fixture.logits.data, 1e-10)).toBeNull();

      const before = new Map([...model.stateDict()].map(([k, t]) => [k, t.toArray()]));
      model.configureOptimizer({ kind: 'sgd', lr: 1 });
      const step = await model.trainStep([x], [y]);
      expect(Math.abs(step.loss - fixture.loss)).toBeLessThan(1e-10);
      const after = model.stateDict();
      for (const [key, expected] of Object.entries(fixture.grads)) {
        const w0 = before.get(key)!;
        const w1 = after.get(key)!.toArray();
        const grad = w0.map((v, i) => v - w1[i]!);
        const norm = Math.sqrt(grad.reduce((a, g) => a + g * g, 0));
        expect(Math.abs(norm - expected.norm), `${key} gradient norm`).toBeLessThan(1e-8 * Math.max(1, expected.norm));
        const got = expected.data ? grad : grad.filter((_, i) => i % 37 === 0);
        // w - (w - g) loses the low bits of g relative to |w|: 1e-9 absolute is ample.
        expect(close(got, expected.data ?? expected.every37!, 1e-9), `${key} gradient`).toBeNull();
      }
    } finally {
      model.dispose();
    }
  });
});
