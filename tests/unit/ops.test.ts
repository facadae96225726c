// Every engine op against PyTorch: forward values, dtypes, shapes and the gradients of
// sum(output * upstream), from the fixtures of tests/fixtures/make_op_fixtures.py.
// Tolerance: |engine - torch| <= tol * max(1, |torch|), tol 1e-5 (float32), 1e-10 (float64),
// exact for integer and bool outputs.
import { describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';
import { buildInputs, caseLabel, loadCases, makeTensor, mismatch, opTableByName, type OpCase } from './ops-harness';

const cases = loadCases();
const table = opTableByName();
const byOp = new Map<string, OpCase[]>();
for (const c of cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

function runCase(c: OpCase): string[] {
  return nw.tidy(() => {
    const problems: string[] = [];
    const { leaves, inputs } = buildInputs(c, c.grads !== undefined);
    const outputs = nw.op(c.op, inputs, c.attrs);
    if (outputs.length !== c.outputs.length) problems.push(`${outputs.length} outputs, expected ${c.outputs.length}`);
    c.outputs.forEach((spec, i) => {
      if (spec) {
        const m = mismatch(outputs[i] ?? null, spec, `output ${i}`);
        if (m) problems.push(m);
      }
    });
    if (!c.grads || !c.upstream || problems.length) return problems;

    const pairs = c.upstream.flatMap((spec, i) => (spec ? [{ out: outputs[i]!, up: makeTensor(spec) }] : []));
    const wanted = leaves.filter((l, i): l is nw.Tensor => l !== null && c.inputs[i]?.requiresGrad === true);
    if (pairs.length === 1) {
      pairs[0]!.out.backward(pairs[0]!.up);
    } else {
      // Several outputs (split): backward from sum_i sum(out_i * up_i), one root.
      const terms = pairs.map((p) => p.out.mul(p.up).sum());
      terms.reduce((acc, t) => acc.add(t)).backward();
    }
    const got = wanted.map((l) => l.grad);
    let k = 0;
    c.grads.forEach((spec, i) => {
      if (!spec) return;
      const g = got[k] ?? null;
      k += 1;
      // An input the outputs do not depend on: torch gives zeros, the engine may give nothing.
      const m = mismatch(g ?? nw.zeros(spec.shape, spec.dtype), spec, `grad of input ${i}`);
      if (m) problems.push(m);
    });
    return problems;
  });
}

describe('engine ops against PyTorch (tests/fixtures/ops)', () => {
  it('has fixture cases for every op in the op table, and no cases for unknown ops', () => {
    const missing = [...table.keys()].filter((name) => !byOp.has(name));
    expect(missing, 'ops without fixture cases: add them to tests/fixtures/make_op_fixtures.py').toEqual([]);
    expect([...byOp.keys()].filter((name) => !table.has(name))).toEqual([]);
  });

  it('checks the gradient of every differentiable op against PyTorch', () => {
    const noGrads = [...table.values()]
      .filter((o) => o.grad !== 'none' && !(byOp.get(o.name) ?? []).some((c) => c.grads))
      .map((o) => o.name);
    expect(noGrads).toEqual([]);
  });

  for (const [op, opCases] of byOp) {
    describe(op, () => {
      it.each(opCases.map((c) => [caseLabel(c), c] as const))('%s', (_label, c) => {
        expect(runCase(c)).toEqual([]);
      });
    });
  }
});
