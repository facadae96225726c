// Every layer, one at a time: its lowered steps exported to ONNX and run by onnxruntime-node equal the engine's ops
// (eval mode) within 1e-5. Cases: tests/fixtures/layers/torch-layers.json (PyTorch's own argument sets) plus the
// variants below (both directions, given states, causal masks, no bias/affine…). A coverage test checks that every
// layer's ops have an ONNX rule or are declared not exportable with a reason.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';
import type { Plan, PlanValue } from '../../shared/api/plan';
import { exportOnnx, notExportable, onnxRules } from '../../shared/export/index';
import { typedArray, type TensorData } from '../../shared/formats/index';
import { layers, layerSpec, ParamReader, type InputInfos, type LayerSpec, type Params, type TensorInfo } from '../../shared/layers/index';
import { ortMissing, ortSession, toOrt, worstDifference } from './ort';
import { fromEngine } from './torch';

interface Case {
  layer: string;
  params: Record<string, number | boolean | string | number[] | null>;
  inputs: { shape: number[]; kind: 'float' | 'index' }[];
}
const fixtures = (JSON.parse(readFileSync(new URL('../fixtures/layers/torch-layers.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;
const f = (...shape: number[]): Case['inputs'][number] => ({ shape, kind: 'float' });
const variants: Case[] = [
  { layer: 'nn.LSTM', params: { hidden_size: 4, num_layers: 2, bidirectional: true, batch_first: true }, inputs: [f(2, 6, 5), f(4, 2, 4), f(4, 2, 4)] },
  { layer: 'nn.LSTM', params: { hidden_size: 3, bias: false, batch_first: false }, inputs: [f(6, 2, 5)] },
  { layer: 'nn.GRU', params: { hidden_size: 4, num_layers: 2, bidirectional: true, batch_first: false }, inputs: [f(6, 2, 5), f(4, 2, 4)] },
  { layer: 'nn.RNN', params: { hidden_size: 4, bidirectional: true }, inputs: [f(2, 6, 5), f(2, 2, 4)] },
  { layer: 'nn.MultiheadAttention', params: { num_heads: 2, batch_first: false, bias: false }, inputs: [f(5, 2, 8), f(7, 2, 8), f(7, 2, 8)] },
  { layer: 'F.scaled_dot_product_attention', params: { is_causal: true }, inputs: [f(2, 2, 5, 4), f(2, 2, 7, 4), f(2, 2, 7, 3)] },
  { layer: 'F.scaled_dot_product_attention', params: {}, inputs: [f(2, 5, 4), f(2, 6, 4), f(2, 6, 3)] },
  { layer: 'nn.Upsample', params: { scale_factor: 2, mode: 'bilinear' }, inputs: [f(1, 2, 5, 4)] },
  { layer: 'nn.Upsample', params: { size: [7, 9], scale_factor: null, mode: 'nearest' }, inputs: [f(2, 2, 5, 4)] },
  { layer: 'nn.Upsample', params: { size: [7, 9], scale_factor: null, mode: 'bilinear' }, inputs: [f(2, 2, 5, 4)] },
  { layer: 'nn.Softplus', params: { beta: 2, threshold: 1 }, inputs: [f(3, 7)] },
  { layer: 'nn.GELU', params: { approximate: 'none' }, inputs: [f(3, 7)] },
  { layer: 'nn.Embedding', params: { num_embeddings: 6, embedding_dim: 4, max_norm: 1 }, inputs: [{ shape: [2, 5], kind: 'index' }] },
  { layer: 'nn.BatchNorm2d', params: { track_running_stats: false }, inputs: [f(3, 4, 5, 5)] },
  { layer: 'nn.BatchNorm1d', params: {}, inputs: [f(3, 4, 6)] },
  { layer: 'nn.GroupNorm', params: { num_groups: 2, affine: false }, inputs: [f(2, 4, 3, 5)] },
  { layer: 'nn.LayerNorm', params: { normalized_shape: [5, 8], elementwise_affine: false }, inputs: [f(2, 3, 5, 8)] },
  { layer: 'nn.Flatten', params: { start_dim: 2, end_dim: 3 }, inputs: [f(2, 3, 4, 5)] },
  { layer: 'nn.Flatten', params: { start_dim: 0, end_dim: -1 }, inputs: [f(2, 3, 4)] },
  { layer: 'nn.AdaptiveAvgPool2d', params: { output_size: [2, 2] }, inputs: [f(2, 3, 8, 8)] },
  { layer: 'nn.AvgPool2d', params: { kernel_size: [3, 3], stride: [2, 2], padding: [1, 1], count_include_pad: false }, inputs: [f(2, 3, 9, 9)] },
  { layer: 'nn.Conv1d', params: { out_channels: 5, kernel_size: [3], padding: [2], dilation: [2] }, inputs: [f(2, 3, 11)] },
  { layer: 'op.Permute', params: { dims: [0, 2, 1] }, inputs: [f(2, 3, 4)] },
  { layer: 'op.Concat', params: { dim: 1 }, inputs: [f(2, 3), f(2, 4)] },
  { layer: 'op.Add', params: {}, inputs: [f(2, 3, 4), f(2, 3, 4)] },
  { layer: 'op.Multiply', params: {}, inputs: [f(2, 3, 4), f(1, 1, 4)] },
  { layer: 'op.Split', params: { sizes: [1, 3, 2], dim: 2 }, inputs: [f(2, 3, 6)] },
  { layer: 'op.SelectStep', params: { index: -1, dim: 1 }, inputs: [f(2, 5, 3)] },
  { layer: 'op.SelectStep', params: { index: 2, dim: 1 }, inputs: [f(2, 5, 3)] },
  { layer: 'op.Reshape', params: { shape: [4, 3] }, inputs: [f(2, 12)] },
];
const cases = [...fixtures.filter((c) => layerSpec(c.layer)?.category !== 'loss'), ...variants];

function resolve(spec: LayerSpec, inputs: InputInfos, given: Params): ParamReader {
  const derivedNames = spec.params.filter((param) => param.derived).map((param) => param.name);
  const values = { ...Object.fromEntries(spec.params.map((param) => [param.name, param.default])), ...Object.fromEntries(Object.entries(given).filter(([name]) => !derivedNames.includes(name))) };
  return new ParamReader({ ...values, ...(spec.derive ? spec.derive(inputs, new ParamReader(values)) : {}) });
}

function lowered(c: Case) {
  const spec = layerSpec(c.layer)!;
  const infos: InputInfos = Object.fromEntries(c.inputs.map((info, k) => [spec.inputs[k]?.name ?? '', info]));
  const params = resolve(spec, infos, c.params);
  const inferred = spec.inferShape(infos, params);
  if (!inferred.ok) throw new Error(inferred.error.message);
  const weightSpecs = spec.weights(params);
  return { spec, params, inferred, weightSpecs, steps: spec.lower({
    module: 'm',
    params,
    inputs: Object.fromEntries(spec.inputs.map((port) => [port.name, infos[port.name] ? port.name : ''])),
    inputInfos: infos,
    outputs: Object.fromEntries(spec.outputs.map((port) => [port.name, `out.${port.name}`])),
    tensor: (name) => (weightSpecs.some((w) => w.name === name) ? `m.${name}` : ''),
    temp: (suffix) => `m#${suffix}`,
  }) };
}

/** The case's layer as a one-layer Plan, its random weights and inputs, and the engine's eval-mode outputs. */
function build(c: Case): { plan: Plan; values: Map<string, TensorInfo>; weights: Map<string, TensorData>; feeds: TensorData[]; expected: TensorData[] } {
  const { spec, params, inferred, weightSpecs, steps } = lowered(c);
  return nw.tidy(() => {
    const values = new Map<string, TensorInfo>();
    const engine = new Map<string, nw.Tensor>();
    const inputs: PlanValue[] = [];
    c.inputs.forEach((info, k) => {
      const name = spec.inputs[k]?.name ?? '';
      values.set(name, info);
      inputs.push({ name, shape: info.shape, dtype: info.kind === 'index' ? 'int64' : 'float32' });
      const high = Number(params.values['num_embeddings'] ?? 4);
      engine.set(name, info.kind === 'index' ? nw.randint(0, high, info.shape) : nw.randn(info.shape));
    });
    const weights = new Map<string, TensorData>();
    for (const w of weightSpecs) {
      const key = `m.${w.name}`;
      // Weights at PyTorch's init scale (randn / √fan_in): unit-variance weights blow attention scores up to
      // hundreds, where float32 rounding alone exceeds 1e-5.
      const scale = w.shape.length >= 2 ? 1 / Math.sqrt(w.shape.at(-1)!) : 1;
      const t = w.dtype === 'int64' ? nw.zeros([...w.shape], 'int64') : w.name === 'running_var' ? nw.rand([...w.shape]).add(0.5) : nw.randn([...w.shape]).mul(scale);
      engine.set(key, t);
      weights.set(key, fromEngine(t));
    }
    for (const step of steps) {
      const operands = [...step.inputs.map((name) => engine.get(name) ?? null), ...step.tensors.map((key) => (key === '' ? null : engine.get(key) ?? null))];
      const attrs = 'training' in step.attrs ? { ...step.attrs, training: false } : step.attrs;
      nw.op(step.op, operands, attrs).forEach((t, k) => {
        if (t !== null) engine.set(step.outputs[k] ?? '', t);
      });
    }
    const outputs = spec.outputs.map((port) => `out.${port.name}`).filter((name) => engine.has(name));
    for (const [port, info] of Object.entries(inferred.outputs)) values.set(`out.${port}`, info);
    const plan: Plan = { format: 'netwright-plan', version: 1, dtype: 'float32', inputs, targets: [], tensors: [], steps: [...steps], outputs, loss: null };
    return { plan, values, weights, feeds: inputs.map((input) => fromEngine(engine.get(input.name)!)), expected: outputs.map((name) => fromEngine(engine.get(name)!)) };
  });
}

describe('every layer has an ONNX mapping or a reason it has none', () => {
  it.each(layers.filter((spec) => spec.category !== 'input').map((spec) => [spec.id, spec] as const))('%s', (_id, spec) => {
    const usedBy = cases.filter((c) => c.layer === spec.id);
    if (spec.category === 'loss') {
      expect(usedBy).toEqual([]);
      const ops = fixtures.filter((c) => c.layer === spec.id).flatMap((c) => lowered(c).steps.map((step) => step.op));
      for (const op of ops) expect(notExportable[op], op).toMatch(/\w/);
      return;
    }
    expect(usedBy.length, `${spec.id} needs an ONNX case`).toBeGreaterThan(0);
    for (const c of usedBy) for (const step of lowered(c).steps) expect(onnxRules[step.op], step.op).toBeDefined();
  });
});

describe.skipIf(ortMissing !== null)(`layers exported to ONNX ${ortMissing ?? ''}`, () => {
  it.each(cases.map((c, k) => [`${k}: ${c.layer} ${JSON.stringify(c.params)}`, c] as const))('%s', async (_name, c) => {
    const { plan, values, weights, feeds, expected } = build(c);
    const session = await ortSession(exportOnnx({ plan, values, weights }));
    const result = await session.run(Object.fromEntries(plan.inputs.map((input, k) => [input.name, toOrt(feeds[k]!)])));
    plan.outputs.forEach((name, k) => {
      const theirs = result[name]!;
      expect([...theirs.dims], name).toEqual(expected[k]!.shape);
      expect(worstDifference(typedArray(expected[k]!) as Float32Array, theirs.data as Float32Array), name).toBeLessThanOrEqual(1e-5);
    });
    await session.release();
  });
});
