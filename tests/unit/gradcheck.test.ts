// Float64 central-difference gradient checks for every op with a gradient, on the
// float64 fixture cases (inputs kept off kinks by the generator), and the check that
// every op without a gradient says so. Pass: |analytic - numeric| <= 1e-5 + 1e-3 * |numeric|.
import { describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';
import { buildInputs, caseLabel, loadCases, makeTensor, opTableByName, values, type OpCase } from './ops-harness';

const EPS = 1e-6;
const ATOL = 1e-5;
const RTOL = 1e-3;

const table = opTableByName();
// float64 in and out: a float32 output (to_dtype to float32) would swamp the differences in rounding.
const checkable = loadCases().filter(
  (c) => c.dtype === 'float64' && c.grads && c.upstream && c.gradcheck !== false && c.upstream.every((u) => !u || u.dtype === 'float64'),
);
const byOp = new Map<string, OpCase[]>();
for (const c of checkable) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

/** f = sum_i sum(output_i * upstream_i), evaluated without recording autograd. */
function objective(c: OpCase, override?: { index: number; data: number[] }): number {
  return nw.tidy(() =>
    nw.noGrad(() => {
      const outputs = nw.op(c.op, buildInputs(c, false, override).inputs, c.attrs);
      let f = 0;
      c.upstream!.forEach((spec, i) => {
        if (!spec) return;
        const out = outputs[i]!.toArray();
        const up = values(spec);
        for (let j = 0; j < up.length; j += 1) f += out[j]! * up[j]!;
      });
      return f;
    }),
  );
}

/** The engine's gradients of the objective w.r.t. the inputs that require grad. */
function analytic(c: OpCase): Map<number, number[]> {
  return nw.tidy(() => {
    const { leaves, inputs } = buildInputs(c, true);
    const outputs = nw.op(c.op, inputs, c.attrs);
    const terms = c.upstream!.flatMap((spec, i) => (spec ? [outputs[i]!.mul(makeTensor(spec)).sum()] : []));
    terms.reduce((acc, t) => acc.add(t)).backward();
    const out = new Map<number, number[]>();
    leaves.forEach((leaf, i) => {
      if (leaf && c.inputs[i]?.requiresGrad) out.set(i, leaf.grad?.toArray() ?? new Array<number>(leaf.numel).fill(0));
    });
    return out;
  });
}

function gradcheck(c: OpCase): string[] {
  const problems: string[] = [];
  for (const [index, grad] of analytic(c)) {
    const base = values(c.inputs[index]!);
    for (let j = 0; j < base.length; j += 1) {
      const plus = [...base];
      const minus = [...base];
      plus[j] = base[j]! + EPS;
      minus[j] = base[j]! - EPS;
      const numeric = (objective(c, { index, data: plus }) - objective(c, { index, data: minus })) / (2 * EPS);
      const a = grad[j]!;
      if (!(Math.abs(a - numeric) <= ATOL + RTOL * Math.abs(numeric))) {
        problems.push(`input ${index} element ${j}: analytic ${a}, numeric ${numeric}`);
        if (problems.length >= 6) return problems;
      }
    }
  }
  return problems;
}

describe('float64 finite-difference gradient checks', () => {
  it('has a gradcheck case for every op with a gradient', () => {
    const missing = [...table.values()].filter((o) => o.grad !== 'none' && !byOp.has(o.name)).map((o) => o.name);
    expect(missing, 'add float64 cases with float inputs in tests/fixtures/make_op_fixtures.py').toEqual([]);
  });

  it('every differentiable op has a backward; composite and gradient-free ops have none', () => {
    for (const o of table.values()) {
      expect(o.hasBackward, `${o.name} (${o.grad})`).toBe(o.grad === 'differentiable');
    }
  });

  it('ops without a gradient do not record autograd, even on inputs that require grad', () => {
    const noGradCases = loadCases().filter((c) => table.get(c.op)?.grad === 'none' && c.inputs.some((s) => s?.dtype === 'float64'));
    for (const c of noGradCases) {
      nw.tidy(() => {
        const inputs = c.inputs.map((s) => {
          if (!s) return null;
          const leaf = makeTensor(s, values(s), s.dtype === 'float64');
          return s.transpose ? nw.op1('transpose', [leaf], { dim0: s.transpose[0], dim1: s.transpose[1] }) : leaf;
        });
        for (const out of nw.op(c.op, inputs, c.attrs)) expect(out?.requiresGrad, caseLabel(c)).toBe(false);
      });
    }
  });

  for (const [op, opCases] of byOp) {
    describe(op, () => {
      it.each(opCases.map((c) => [caseLabel(c), c] as const))('%s', (_label, c) => {
        expect(gradcheck(c)).toEqual([]);
      });
    });
  }
});
