// Table-driven tests over every layer spec: defaults, inference, PyTorch state_dict parity (fixtures), engine shapes, export.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';
import { layers, layerSpec, ParamReader, type InputInfos, type LayerSpec, type Params, type PlanStepList, type TensorInfo } from '../../shared/layers/index';

interface FixtureCase {
  layer: string;
  module: string;
  params: Record<string, number | boolean | string | number[]>;
  inputs: { shape: number[]; kind: 'float' | 'index' }[];
  state_dict: { name: string; shape: number[]; dtype: string }[];
  outputs: number[][];
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/layers/torch-layers.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] };

const float = (...shape: (number | string)[]): TensorInfo => ({ shape, kind: 'float' });
/** A typical input per layer for the defaults test (ports not listed are left unconnected). */
const exampleInputs: Record<string, InputInfos> = {
  'nn.Conv1d': { input: float('N', 4, 32) },
  'nn.Conv2d': { input: float('N', 3, 28, 28) },
  'nn.ConvTranspose2d': { input: float('N', 3, 7, 7) },
  'nn.MaxPool2d': { input: float('N', 3, 28, 28) },
  'nn.AvgPool2d': { input: float('N', 3, 28, 28) },
  'nn.AdaptiveAvgPool2d': { input: float('N', 3, 7, 7) },
  'nn.Upsample': { input: float('N', 3, 7, 7) },
  'nn.BatchNorm2d': { input: float('N', 3, 7, 7) },
  'nn.GroupNorm': { input: float('N', 4, 7, 7) },
  'nn.Dropout2d': { input: float('N', 3, 7, 7) },
  'nn.Flatten': { input: float('N', 3, 7, 7) },
  'op.Permute': { input: float('N', 'T', 5) },
  'op.Concat': { a: float('N', 4), b: float('N', 6) },
  'op.Add': { a: float('N', 4), b: float('N', 4) },
  'op.Multiply': { a: float('N', 4), b: float(1, 4) },
  'op.Split': { input: float('N', 2) },
  'op.SelectStep': { input: float('N', 'T', 8) },
  'nn.Embedding': { input: { shape: ['N', 'T'], kind: 'index' } },
  'nn.RNN': { input: float('N', 'T', 8) },
  'nn.LSTM': { input: float('N', 'T', 8) },
  'nn.GRU': { input: float('N', 'T', 8) },
  'nn.MultiheadAttention': { query: float('N', 'T', 8), key: float('N', 'T', 8), value: float('N', 'T', 8) },
  'F.scaled_dot_product_attention': { query: float('N', 'T', 8), key: float('N', 'S', 8), value: float('N', 'S', 6) },
  'op.Reshape': { input: float('N', 1) },
  'nn.CrossEntropyLoss': { input: float('N', 10), target: { shape: ['N'], kind: 'index' } },
  'nn.NLLLoss': { input: float('N', 10), target: { shape: ['N'], kind: 'index' } },
};
const defaultInputsFor = (spec: LayerSpec): InputInfos =>
  exampleInputs[spec.id] ??
  Object.fromEntries(spec.inputs.filter((port) => !port.optional).map((port) => [port.name, float('N', 5)]));

function defaults(spec: LayerSpec): Record<string, Params[string]> {
  return Object.fromEntries(spec.params.map((param) => [param.name, param.default]));
}
/** defaults, then given params, then derived values: what the graph does for an unpinned node. */
function resolve(spec: LayerSpec, inputs: InputInfos, given: Params = {}): ParamReader {
  const values = { ...defaults(spec), ...given };
  const derived = spec.derive ? spec.derive(inputs, new ParamReader(values)) : {};
  return new ParamReader({ ...values, ...derived });
}

describe('layer catalog', () => {
  it('has unique ids and the layers the product needs', () => {
    const ids = layers.map((layer) => layer.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ['input.Features', 'input.Image', 'input.Tokens', 'input.SequenceFeatures', 'input.Target', 'nn.Linear', 'nn.Conv2d', 'nn.LSTM', 'nn.Embedding', 'op.SelectStep', 'nn.MultiheadAttention', 'nn.CrossEntropyLoss']) {
      expect(layerSpec(id), id).toBeDefined();
    }
    expect(layers.length).toBeGreaterThanOrEqual(50);
  });

  describe.each(layers.map((spec) => [spec.id, spec] as const))('%s', (_id, spec) => {
    it('declares its params, ports and docs', () => {
      expect(spec.title.length).toBeGreaterThan(0);
      expect(spec.summary).not.toContain('\n');
      expect(spec.doc).toMatch(/```python|PyTorch/);
      expect(spec.outputs.length).toBeGreaterThan(0);
      expect(new Set(spec.params.map((param) => param.name)).size).toBe(spec.params.length);
      for (const param of spec.params) {
        if (param.default === null) expect(param.nullable || param.derived, `${param.name} default null`).toBe(true);
        if (param.kind === 'enum') expect(param.options).toContain(param.default);
        if ((param.kind === 'int' || param.kind === 'float') && typeof param.default === 'number') {
          if (param.min !== undefined) expect(param.default).toBeGreaterThanOrEqual(param.min);
          if (param.max !== undefined) expect(param.default).toBeLessThanOrEqual(param.max);
        }
        if (param.derived) expect(spec.derive, 'a derived param needs derive()').toBeDefined();
      }
    });

    it('infers shapes with default params, and lowers, weights and exports consistently', () => {
      const inputs = defaultInputsFor(spec);
      const params = resolve(spec, inputs);
      const result = spec.inferShape(inputs, params);
      if (!result.ok) throw new Error(result.error.message);
      // inferShape is pure: same answer twice.
      expect(spec.inferShape(inputs, params)).toEqual(result);
      for (const name of Object.keys(result.outputs)) expect(spec.outputs.map((port) => port.name)).toContain(name);
      for (const weight of spec.weights(params)) {
        expect(weight.shape.every((dim) => Number.isInteger(dim) && dim >= 0), weight.name).toBe(true);
      }
      const steps: PlanStepList = spec.lower({
        module: 'm',
        params,
        inputs: Object.fromEntries(spec.inputs.map((port) => [port.name, inputs[port.name] ? port.name : ''])),
        inputInfos: inputs,
        outputs: Object.fromEntries(spec.outputs.map((port) => [port.name, `out.${port.name}`])),
        tensor: (name) => `m.${name}`,
        temp: (suffix) => `m#${suffix}`,
      });
      if (spec.category === 'input') expect(steps).toEqual([]);
      else expect(steps.length).toBeGreaterThan(0);
      if (spec.torch.kind === 'module') expect(spec.torch.args(params)).not.toContain('undefined');
      if (spec.torch.kind === 'function') expect(spec.torch.expression({ input: 'x', a: 'a', b: 'b', query: 'q', key: 'k', value: 'v' }, params)).toMatch(/\S/);
    });
  });
});

describe('PyTorch parity (fixtures from tests/fixtures/make_layer_fixtures.py)', () => {
  it('covers every layer with a PyTorch module and weights', () => {
    const covered = new Set(fixtures.cases.map((testCase) => testCase.layer));
    for (const spec of layers) if (spec.torch.kind === 'module' && spec.weights(resolve(spec, defaultInputsFor(spec))).length > 0) expect(covered, spec.id).toContain(spec.id);
  });

  describe.each(fixtures.cases.map((testCase, index) => [`${index}: ${testCase.module}`, testCase] as const))('%s', (_name, testCase) => {
    const spec = layerSpec(testCase.layer);
    if (spec === undefined) throw new Error(`unknown layer ${testCase.layer}`);
    const inputs: InputInfos = Object.fromEntries(testCase.inputs.map((info, index) => [spec.inputs[index]?.name ?? '', { shape: info.shape, kind: info.kind }]));
    const derivedNames = spec.params.filter((param) => param.derived).map((param) => param.name);
    const given = Object.fromEntries(Object.entries(testCase.params).filter(([name]) => !derivedNames.includes(name)));
    const params = resolve(spec, inputs, given);

    it('derives the same constructor arguments PyTorch was given', () => {
      for (const name of derivedNames) expect(params.values[name], name).toEqual(testCase.params[name]);
    });
    it('infers the output shapes PyTorch produced', () => {
      const result = spec.inferShape(inputs, params);
      if (!result.ok) throw new Error(result.error.message);
      const shapes = spec.outputs.map((port) => result.outputs[port.name]?.shape).filter((shape) => shape !== undefined);
      expect(shapes).toEqual(testCase.outputs);
    });
    it('declares the state_dict names, shapes and dtypes of PyTorch', () => {
      const weights = spec.weights(params).map((weight) => ({ name: weight.name, shape: [...weight.shape], dtype: weight.dtype === 'model' ? 'float32' : weight.dtype }));
      expect(weights).toEqual(testCase.state_dict);
    });
  });
});

describe('init follows PyTorch defaults', () => {
  it('Linear: kaiming_uniform(a=√5) weight, U(±1/√in) bias', () => {
    const spec = layerSpec('nn.Linear');
    const [weight, bias] = spec?.weights(new ParamReader({ in_features: 400, out_features: 120, bias: true })) ?? [];
    expect(weight?.init).toEqual({ kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn: 400 });
    expect(bias?.init).toEqual({ kind: 'uniform', low: -1 / 20, high: 1 / 20 });
  });
  it('Embedding: N(0,1) with the padding row zeroed', () => {
    const [weight] = layerSpec('nn.Embedding')?.weights(new ParamReader({ num_embeddings: 10, embedding_dim: 4, padding_idx: -1, max_norm: null })) ?? [];
    expect(weight?.init).toEqual({ kind: 'normal', mean: 0, std: 1 });
    expect(weight?.zeroRows).toEqual([9]);
  });
  it('GRU: every weight U(±1/√hidden)', () => {
    const spec = layerSpec('nn.GRU');
    const params = new ParamReader({ input_size: 3, hidden_size: 16, num_layers: 1, bias: true, batch_first: true, dropout: 0, bidirectional: false });
    for (const weight of spec?.weights(params) ?? []) expect(weight.init).toEqual({ kind: 'uniform', low: -0.25, high: 0.25 });
  });
  it('BatchNorm: ones/zeros, buffers, int64 num_batches_tracked', () => {
    const weights = layerSpec('nn.BatchNorm2d')?.weights(new ParamReader({ num_features: 4, eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: true })) ?? [];
    expect(weights.map((weight) => [weight.name, weight.init.kind, weight.buffer, weight.dtype])).toEqual([
      ['weight', 'ones', false, 'model'],
      ['bias', 'zeros', false, 'model'],
      ['running_mean', 'zeros', true, 'model'],
      ['running_var', 'ones', true, 'model'],
      ['num_batches_tracked', 'zeros', true, 'int64'],
    ]);
  });
});

describe('activation formulas (for the inspector plot)', () => {
  const at = (id: string, x: number, params: Params = {}): number => {
    const spec = layerSpec(id);
    if (!spec?.formula) throw new Error(`${id} has no formula`);
    return spec.formula(x, new ParamReader({ ...defaults(spec), ...params }));
  };
  it('match the definitions', () => {
    expect(at('nn.ReLU', -2)).toBe(0);
    expect(at('nn.ReLU', 3)).toBe(3);
    expect(at('nn.Sigmoid', 0)).toBe(0.5);
    expect(at('nn.Tanh', 1)).toBeCloseTo(Math.tanh(1));
    expect(at('nn.Softplus', 0)).toBeCloseTo(Math.log(2));
    expect(at('nn.Softplus', 30)).toBe(30);
    expect(at('nn.LeakyReLU', -10)).toBeCloseTo(-0.1);
    expect(at('nn.ELU', -100)).toBeCloseTo(-1);
    expect(at('nn.SiLU', 0)).toBe(0);
    expect(at('nn.GELU', 1)).toBeCloseTo(0.8413447, 5);
    expect(at('nn.GELU', 1, { approximate: 'tanh' })).toBeCloseTo(0.841192, 5);
  });
  it('exist for every element-wise activation', () => {
    for (const spec of layers.filter((layer) => layer.category === 'activation' && !layer.id.includes('Softmax'))) expect(spec.formula, spec.id).toBeDefined();
  });
});

describe('PyTorch export arguments', () => {
  it('write the constructor call PyTorch users expect', () => {
    const args = (id: string, params: Params): string => {
      const spec = layerSpec(id);
      if (spec?.torch.kind !== 'module') throw new Error(id);
      return spec.torch.args(new ParamReader({ ...defaults(spec), ...params }));
    };
    expect(args('nn.Linear', { in_features: 400, out_features: 120 })).toBe('400, 120');
    expect(args('nn.Linear', { in_features: 4, out_features: 3, bias: false })).toBe('4, 3, bias=False');
    expect(args('nn.Conv2d', { in_channels: 1, out_channels: 6, kernel_size: [5, 5], padding: [2, 2] })).toBe('1, 6, (5, 5), padding=(2, 2)');
    expect(args('nn.GRU', { input_size: 8, hidden_size: 32 })).toBe('8, 32, batch_first=True');
    expect(args('nn.Embedding', { num_embeddings: 10, embedding_dim: 20, padding_idx: 3 })).toBe('10, 20, padding_idx=3');
  });
});

// ---- the engine is the other oracle: run each lowered fixture case through native ops that exist today ----

let engineOps: Set<string> | null = null;
let engineProblem = '';
try {
  engineOps = new Set(nw.opTable().map((op) => op.name));
} catch (error) {
  engineProblem = error instanceof Error ? error.message : String(error);
}

function runLowered(spec: LayerSpec, testCase: FixtureCase, params: ParamReader, inputs: InputInfos): number[][] {
  const weights = spec.weights(params);
  return nw.tidy(() => {
    const values = new Map<string, nw.Tensor>();
    spec.inputs.forEach((port, index) => {
      const info = testCase.inputs[index];
      if (info === undefined) return;
      const classes = testCase.inputs[0]?.shape[1] ?? 2;
      const tensor = info.kind === 'index' ? nw.randint(0, Math.min(classes, 10), info.shape) : spec.id === 'nn.BCELoss' ? nw.rand(info.shape) : nw.randn(info.shape);
      values.set(port.name, tensor);
    });
    const tensorFor = (key: string): nw.Tensor | null => {
      const weight = weights.find((candidate) => `m.${candidate.name}` === key);
      if (weight === undefined) return null;
      return weight.dtype === 'int64' ? nw.zeros([...weight.shape], 'int64') : nw.randn([...weight.shape]);
    };
    const steps = spec.lower({
      module: 'm',
      params,
      inputs: Object.fromEntries(spec.inputs.map((port) => [port.name, values.has(port.name) ? port.name : ''])),
      inputInfos: inputs,
      outputs: Object.fromEntries(spec.outputs.map((port) => [port.name, `out.${port.name}`])),
      tensor: (name) => (weights.some((weight) => weight.name === name) ? `m.${name}` : ''),
      temp: (suffix) => `m#${suffix}`,
    });
    for (const planStep of steps) {
      const operands = [...planStep.inputs.map((name) => values.get(name) ?? null), ...planStep.tensors.map((key) => (key === '' ? null : tensorFor(key)))];
      const results = nw.op(planStep.op, operands, planStep.attrs);
      planStep.outputs.forEach((name, index) => {
        const result = results[index];
        if (result) values.set(name, result);
      });
    }
    return spec.outputs.map((port) => values.get(`out.${port.name}`)?.shape).filter((shape): shape is number[] => shape !== undefined);
  });
}

describe('inferShape equals the engine’s real output shape', () => {
  for (const [index, testCase] of fixtures.cases.entries()) {
    const spec = layerSpec(testCase.layer);
    if (spec === undefined) continue;
    const inputs: InputInfos = Object.fromEntries(testCase.inputs.map((info, position) => [spec.inputs[position]?.name ?? '', { shape: info.shape, kind: info.kind }]));
    const derivedNames = spec.params.filter((param) => param.derived).map((param) => param.name);
    const params = resolve(spec, inputs, Object.fromEntries(Object.entries(testCase.params).filter(([name]) => !derivedNames.includes(name))));
    const name = `${index}: ${testCase.module}`;
    if (engineOps === null) {
      it.skip(`${name} — the native engine did not load (${engineProblem}); build it with npm run build:native`, () => {});
      continue;
    }
    const opsNeeded = spec.lower({ module: 'm', params, inputs: {}, inputInfos: inputs, outputs: {}, tensor: () => '', temp: (suffix) => suffix }).map((planStep) => planStep.op);
    const missing = opsNeeded.filter((op) => !engineOps?.has(op));
    if (missing.length > 0) {
      it.skip(`${name} — engine op ${missing.join(', ')} is not in nw.opTable() yet`, () => {});
      continue;
    }
    it(name, () => {
      const result = spec.inferShape(inputs, params);
      if (!result.ok) throw new Error(result.error.message);
      const expected = spec.outputs.map((port) => result.outputs[port.name]?.shape).filter((shape) => shape !== undefined);
      expect(runLowered(spec, testCase, params, inputs)).toEqual(expected);
    });
  }
});
