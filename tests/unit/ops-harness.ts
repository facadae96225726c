// Shared by ops.test.ts and gradcheck.test.ts: loads the PyTorch fixtures that
// tests/fixtures/make_op_fixtures.py writes, builds engine tensors from them and compares.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nw from '../../native/ts/index';

export interface TensorSpec {
  dtype: nw.DType;
  shape: number[];
  data?: (number | string)[];
  /** A large input stored as a formula: element i is ((i * 7919 + offset) % (2r + 1) - r) / scale. */
  pattern?: { offset: number; r: number; scale: number };
  /** The op sees this (contiguous) tensor transposed: a non-contiguous view. */
  transpose?: [number, number];
  requiresGrad?: boolean;
}

export interface OpCase {
  op: string;
  name: string;
  dtype: string;
  inputs: (TensorSpec | null)[];
  attrs: nw.Attrs;
  outputs: (TensorSpec | null)[];
  /** One per output: the random upstream gradient (null for outputs without a gradient). */
  upstream?: (TensorSpec | null)[];
  /** One per input: d sum(output * upstream) / d input, from torch.autograd.grad. */
  grads?: (TensorSpec | null)[];
  /** false where the inputs sit on a kink on purpose (ties), so finite differences do not apply. */
  gradcheck?: boolean;
}

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/ops/', import.meta.url));

export function loadCases(): OpCase[] {
  const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
  return files.flatMap((f) => (JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as { cases: OpCase[] }).cases);
}

export function caseLabel(c: OpCase): string {
  return `${c.op} / ${c.name} [${c.dtype}]`;
}

/** JSON has no NaN or infinities: the generator writes them as strings. */
export function decode(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  throw new Error(`bad fixture number ${v}`);
}

export function values(spec: TensorSpec): number[] {
  const p = spec.pattern;
  if (p) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => (((i * 7919 + p.offset) % (2 * p.r + 1)) - p.r) / p.scale);
  }
  return (spec.data ?? []).map(decode);
}

function typedArray(data: number[], dtype: nw.DType): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(data);
    case 'float64':
      return Float64Array.from(data);
    case 'int64':
      return BigInt64Array.from(data, (v) => BigInt(v));
    case 'int32':
      return Int32Array.from(data);
    default:
      return Uint8Array.from(data);
  }
}

export function makeTensor(spec: TensorSpec, data: number[] = values(spec), requiresGrad = false): nw.Tensor {
  return nw.tensor(typedArray(data, spec.dtype), { dtype: spec.dtype, shape: spec.shape, requiresGrad });
}

export interface BuiltInputs {
  /** The stored tensors (leaves); gradients are taken w.r.t. these. */
  leaves: (nw.Tensor | null)[];
  /** What the op receives (a transposed view of the leaf where the spec says so). */
  inputs: (nw.Tensor | null)[];
}

/** Builds a case's inputs; `override` replaces one leaf's data (finite differences). */
export function buildInputs(c: OpCase, withGrad: boolean, override?: { index: number; data: number[] }): BuiltInputs {
  const leaves: (nw.Tensor | null)[] = [];
  const inputs: (nw.Tensor | null)[] = [];
  c.inputs.forEach((spec, i) => {
    if (!spec) {
      leaves.push(null);
      inputs.push(null);
      return;
    }
    const data = override && override.index === i ? override.data : values(spec);
    const leaf = makeTensor(spec, data, withGrad && spec.requiresGrad === true);
    leaves.push(leaf);
    inputs.push(spec.transpose ? nw.op1('transpose', [leaf], { dim0: spec.transpose[0], dim1: spec.transpose[1] }) : leaf);
  });
  return { leaves, inputs };
}

/** float32: |a - b| <= 1e-5 * max(1, |b|); float64: 1e-10 * max(1, |b|); integers and bool: exact. */
export function tolerance(dtype: nw.DType): number {
  return dtype === 'float32' ? 1e-5 : dtype === 'float64' ? 1e-10 : 0;
}

/** Returns a description of the mismatch, or null when `actual` matches `expected`. */
export function mismatch(actual: nw.Tensor | null, expected: TensorSpec, what: string): string | null {
  if (!actual) return `${what}: missing (expected ${expected.dtype} ${nw.formatShape(expected.shape)})`;
  if (actual.dtype !== expected.dtype) return `${what}: dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (nw.formatShape(actual.shape) !== nw.formatShape(expected.shape)) {
    return `${what}: shape ${nw.formatShape(actual.shape)}, expected ${nw.formatShape(expected.shape)}`;
  }
  return mismatchValues(actual.toArray(), values(expected), tolerance(expected.dtype), what);
}

export function mismatchValues(a: number[], e: number[], tol: number, what: string): string | null {
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < e.length; i += 1) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y) ? Number.isNaN(x) : x === y) continue;
    const err = Math.abs(x - y) / Math.max(1, Math.abs(y));
    if (!(err <= tol)) {
      worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
      if (bad.length < 6) bad.push(`[${i}] ${x} vs ${y}`);
    }
  }
  if (a.length !== e.length) return `${what}: ${a.length} values, expected ${e.length}`;
  return bad.length ? `${what}: relative error ${worst.toExponential(2)} > ${tol} at ${bad.join(', ')}` : null;
}

/** Engine op table rows, by name. */
export function opTableByName(): Map<string, nw.OpInfo> {
  return new Map(nw.opTable().map((o) => [o.name, o]));
}
