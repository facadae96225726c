// ONNX export of the inference graph (opset 17, dynamic batch): the Plan's steps that feed the model outputs, in
// eval mode, each engine op written as ONNX nodes by its one rule in `onnxRules`. The Plan is what the engine runs,
// so every layer is covered through the ops its lower() emits; a test lowers every layer and checks the table.
import type { Plan, PlanAttr, PlanStep } from '../api/plan';
import { compileGraph, valueName } from '../compile/index';
import type { TensorData } from '../formats/tensor';
import type { Project } from '../graph/schema';
import type { Dim, TensorInfo } from '../layers/spec';
import { ProtoWriter } from './protobuf';
import { ExportError } from './pytorch';

export const ONNX_OPSET = 17;
/** IR version 8 is the one opset 17 shipped with (onnx 1.12). */
export const ONNX_IR_VERSION = 8;

type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] };

export const attr = {
  int: (value: number | boolean): AttrValue => ({ kind: 'int', value: Number(value) }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttrValue => ({ kind: 'floats', value }),
  strings: (value: readonly string[]): AttrValue => ({ kind: 'strings', value }),
};

interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly name: string;
}

/** What a rule can do: add nodes and initializers, read attrs, weights and the static shapes it needs. */
export interface OnnxEmitter {
  readonly dtype: 'float32' | 'float64';
  /** adds a node; returns its output names (fresh ones unless given) */
  node(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, AttrValue>>, outputs?: number | readonly string[]): string[];
  /** one-output node */
  one(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, AttrValue>>, output?: string): string;
  /** a state_dict tensor as an initializer (named by its key); '' stays '' (no tensor) */
  weight(key: string): string;
  /** the state_dict tensor's data (for weights rewritten at export, e.g. recurrent gate order) */
  data(key: string): TensorData;
  /** a new initializer with a fresh name */
  constant(data: TensorData, hint: string): string;
  floats(values: readonly number[], shape?: readonly number[]): string;
  int64s(values: readonly (number | bigint)[], shape?: readonly number[]): string;
  /** static shape of a value (symbolic dims as names); throws when unknown */
  shape(value: string): readonly Dim[];
  setShape(value: string, shape: readonly Dim[]): void;
}

export type OnnxRule = (step: PlanStep, e: OnnxEmitter) => void;

const INT64_MAX = 0x7fffffffffffffffn;

function num(step: PlanStep, name: string): number {
  const value = step.attrs[name];
  if (typeof value !== 'number') throw new ExportError(`${step.op} (${step.module || 'function'}): attribute ${name} is missing`);
  return value;
}
function ints(step: PlanStep, name: string): number[] {
  const value = step.attrs[name];
  if (!Array.isArray(value)) throw new ExportError(`${step.op} (${step.module || 'function'}): attribute ${name} is missing`);
  return value;
}
const flag = (step: PlanStep, name: string): boolean => step.attrs[name] === true;
const optional = (step: PlanStep, name: string): PlanAttr | undefined => step.attrs[name];
const wrap = (dim: number, rank: number): number => (dim < 0 ? dim + rank : dim);
const input = (step: PlanStep, index = 0): string => step.inputs[index] ?? '';
const output = (step: PlanStep, index = 0): string => step.outputs[index] ?? '';
/** the step's state_dict tensors, in order ('' for none) */
const tensor = (step: PlanStep, index: number): string => step.tensors[index] ?? '';

const unary = (op: string): OnnxRule => (s, e) => void e.one(op, [input(s)], {}, output(s));
const binary = (op: string): OnnxRule => (s, e) => void e.one(op, [input(s, 0), input(s, 1)], {}, output(s));
const identity: OnnxRule = (s, e) => void e.one('Identity', [input(s)], {}, output(s));

/** A weight of shape [C] made to broadcast over [N, C, *spatial] (rank ≥ 3). */
function channelwise(e: OnnxEmitter, value: string, rank: number): string {
  if (rank <= 2) return value;
  return e.one('Reshape', [value, e.int64s([-1, ...Array<number>(rank - 2).fill(1)])]);
}

/** (x - mean) / sqrt(var + eps) over `axes` with the biased variance, as the normalisation layers do. */
function normalize(e: OnnxEmitter, x: string, axes: readonly number[], eps: number): string {
  const mean = e.one('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(1) });
  const centred = e.one('Sub', [x, mean]);
  const variance = e.one('ReduceMean', [e.one('Mul', [centred, centred])], { axes: attr.ints(axes), keepdims: attr.int(1) });
  return e.one('Div', [centred, e.one('Sqrt', [e.one('Add', [variance, e.floats([eps])])])]);
}

function affine(e: OnnxEmitter, y: string, weight: string, bias: string, rank: number, out: string): void {
  let value = y;
  if (weight !== '') value = e.one('Mul', [value, channelwise(e, e.weight(weight), rank)], {}, bias === '' ? out : undefined);
  if (bias !== '') value = e.one('Add', [value, channelwise(e, e.weight(bias), rank)], {}, out);
  if (value !== out) e.one('Identity', [value], {}, out);
}

/** x · Wᵀ (+ b): Gemm for [N, F], MatMul + Add for sequences. */
function linear(e: OnnxEmitter, x: string, weight: string, bias: string, rank: number, out?: string): string {
  if (rank === 2) return e.one('Gemm', bias === '' ? [x, weight] : [x, weight, bias], { transB: attr.int(1) }, out);
  const product = e.one('MatMul', [x, e.one('Transpose', [weight], { perm: attr.ints([1, 0]) })], {}, bias === '' ? out : undefined);
  return bias === '' ? product : e.one('Add', [product, bias], {}, out);
}

/** Rows of a [G·H, …] tensor regrouped from PyTorch's gate order to ONNX's (blocks of H rows). */
function reorderGates(data: TensorData, order: readonly number[]): Uint8Array {
  const blockBytes = data.bytes.length / order.length;
  const result = new Uint8Array(data.bytes.length);
  order.forEach((from, to) => result.set(data.bytes.subarray(from * blockBytes, (from + 1) * blockBytes), to * blockBytes));
  return result;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const result = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/** PyTorch's gate blocks (LSTM i f g o, GRU r z n) in ONNX's order (LSTM i o f c, GRU z r h). */
const gateOrder: Readonly<Record<string, readonly number[]>> = { rnn: [0], lstm: [0, 3, 1, 2], gru: [1, 0, 2] };

/** nn.RNN/LSTM/GRU: one ONNX recurrent node per layer (both directions in one), time-major in between. */
const recurrent: OnnxRule = (s, e) => {
  const kind = s.op;
  const order = gateOrder[kind] ?? [0];
  const layers = num(s, 'num_layers');
  const hidden = num(s, 'hidden_size');
  const directions = flag(s, 'bidirectional') ? 2 : 1;
  const hasBias = flag(s, 'bias');
  const states = kind === 'lstm' ? 2 : 1;
  const connected = s.inputs.length - 1;
  const h0 = connected > 0 ? input(s, 1) : '';
  const c0 = connected > 1 ? input(s, 2) : '';
  const weights = s.tensors.slice(states - connected);
  const perDirection = hasBias ? 4 : 2;
  let x = flag(s, 'batch_first') ? e.one('Transpose', [input(s)], { perm: attr.ints([1, 0, 2]) }) : input(s);
  const finalH: string[] = [];
  const finalC: string[] = [];
  const stacked = (index: number, layer: number, what: string): string => {
    const parts = Array.from({ length: directions }, (_, direction) => e.data(weights[(layer * directions + direction) * perDirection + index] ?? ''));
    const first = parts[0];
    if (first === undefined) throw new ExportError(`${kind}: weights are missing`);
    return e.constant({ dtype: first.dtype, shape: [directions, ...first.shape], bytes: concatBytes(parts.map((part) => reorderGates(part, order))) }, `${s.module}.onnx_${what}_l${layer}`);
  };
  for (let layer = 0; layer < layers; layer += 1) {
    const inputs = [x, stacked(0, layer, 'W'), stacked(1, layer, 'R')];
    if (hasBias) {
      const biases = Array.from({ length: directions }, (_, direction) => {
        const base = (layer * directions + direction) * perDirection;
        return concatBytes([reorderGates(e.data(weights[base + 2] ?? ''), order), reorderGates(e.data(weights[base + 3] ?? ''), order)]);
      });
      inputs.push(e.constant({ dtype: e.dtype, shape: [directions, 2 * order.length * hidden], bytes: concatBytes(biases) }, `${s.module}.onnx_B_l${layer}`));
    } else inputs.push('');
    inputs.push('');
    const slice = (state: string): string =>
      state === '' ? '' : e.one('Slice', [state, e.int64s([layer * directions]), e.int64s([(layer + 1) * directions]), e.int64s([0])]);
    inputs.push(slice(h0));
    if (kind === 'lstm') inputs.push(slice(c0));
    while (inputs.at(-1) === '') inputs.pop();
    const attrs: Record<string, AttrValue> = { hidden_size: attr.int(hidden), direction: attr.string(directions === 2 ? 'bidirectional' : 'forward') };
    if (kind === 'gru') attrs['linear_before_reset'] = attr.int(1);
    if (kind === 'rnn') attrs['activations'] = attr.strings(Array<string>(directions).fill(optional(s, 'nonlinearity') === 'relu' ? 'Relu' : 'Tanh'));
    const [y, yh, yc] = e.node(kind.toUpperCase(), inputs, attrs, kind === 'lstm' ? 3 : 2);
    finalH.push(yh ?? '');
    if (yc !== undefined) finalC.push(yc);
    // NOTE: Y is [T, D, N, H]; PyTorch's output is [T, N, D·H] with the directions side by side.
    x = e.one('Reshape', [e.one('Transpose', [y ?? ''], { perm: attr.ints([0, 2, 1, 3]) }), e.int64s([0, 0, -1])]);
  }
  if (flag(s, 'batch_first')) e.one('Transpose', [x], { perm: attr.ints([1, 0, 2]) }, output(s, 0));
  else e.one('Identity', [x], {}, output(s, 0));
  e.one(finalH.length === 1 ? 'Identity' : 'Concat', finalH, finalH.length === 1 ? {} : { axis: attr.int(0) }, output(s, 1));
  if (kind === 'lstm') e.one(finalC.length === 1 ? 'Identity' : 'Concat', finalC, finalC.length === 1 ? {} : { axis: attr.int(0) }, output(s, 2));
};

/** softmax(q·kᵀ/√d)·v over the last two dims; returns [output, attention] */
function attention(e: OnnxEmitter, q: string, k: string, v: string, rank: number, depth: number, causal: boolean, out?: string): [string, string] {
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  let scores = e.one('Mul', [e.one('MatMul', [q, e.one('Transpose', [k], { perm: attr.ints(perm) })]), e.floats([1 / Math.sqrt(depth)])]);
  if (causal) {
    const length = (value: string): string => e.one('Slice', [e.one('Shape', [value]), e.int64s([-2]), e.int64s([-1]), e.int64s([0])]);
    const ones = e.one('Expand', [e.floats([1]), e.one('Concat', [length(q), length(k)], { axis: attr.int(0) })]);
    const mask = e.one('Cast', [e.one('Trilu', [ones], { upper: attr.int(0) })], { to: attr.int(9) });
    scores = e.one('Where', [mask, scores, e.floats([-Infinity])]);
  }
  const weights = e.one('Softmax', [scores], { axis: attr.int(-1) });
  return [e.one('MatMul', [weights, v], {}, out), weights];
}

/** nn.MultiheadAttention (inference): input projections, heads, attention, output projection, head-averaged weights. */
const multiHeadAttention: OnnxRule = (s, e) => {
  const embed = num(s, 'embed_dim');
  const heads = num(s, 'num_heads');
  const depth = embed / heads;
  const batchFirst = flag(s, 'batch_first');
  const [inWeight, inBias, outWeight, outBias] = [0, 1, 2, 3].map((index) => tensor(s, index));
  const packed = e.data(inWeight ?? '');
  const rowBytes = packed.bytes.length / 3;
  const biasData = inBias ? e.data(inBias) : undefined;
  const toBatchFirst = (value: string): string => (batchFirst ? value : e.one('Transpose', [value], { perm: attr.ints([1, 0, 2]) }));
  const project = (value: string, index: number, name: string): string => {
    const weight = e.constant({ dtype: packed.dtype, shape: [embed, embed], bytes: packed.bytes.slice(index * rowBytes, (index + 1) * rowBytes) }, `${s.module}.onnx_${name}_proj_weight`);
    const bias = biasData === undefined ? '' : e.constant({ dtype: biasData.dtype, shape: [embed], bytes: biasData.bytes.slice((index * biasData.bytes.length) / 3, ((index + 1) * biasData.bytes.length) / 3) }, `${s.module}.onnx_${name}_proj_bias`);
    const projected = linear(e, toBatchFirst(value), weight, bias, 3);
    // [N, L, E] → [N, heads, L, d]
    return e.one('Transpose', [e.one('Reshape', [projected, e.int64s([0, 0, heads, depth])])], { perm: attr.ints([0, 2, 1, 3]) });
  };
  const [q, k, v] = [project(input(s, 0), 0, 'q'), project(input(s, 1), 1, 'k'), project(input(s, 2), 2, 'v')];
  const [context, weights] = attention(e, q, k, v, 4, depth, false);
  const merged = e.one('Reshape', [e.one('Transpose', [context], { perm: attr.ints([0, 2, 1, 3]) }), e.int64s([0, 0, embed])]);
  if (batchFirst) linear(e, merged, e.weight(outWeight ?? ''), e.weight(outBias ?? ''), 3, output(s, 0));
  else e.one('Transpose', [linear(e, merged, e.weight(outWeight ?? ''), e.weight(outBias ?? ''), 3)], { perm: attr.ints([1, 0, 2]) }, output(s, 0));
  if (s.outputs.length > 1) e.one('ReduceMean', [weights], { axes: attr.ints([1]), keepdims: attr.int(0) }, output(s, 1));
};

const softmax = (op: string): OnnxRule => (s, e) => void e.one(op, [input(s)], { axis: attr.int(num(s, 'dim')) }, output(s));

/**
 * One rule per engine op that a layer's lower() can emit. Loss ops are training-only and are never reached from
 * the model outputs; they are listed in `notExportable` with the reason.
 */
export const onnxRules: Readonly<Record<string, OnnxRule>> = {
  linear: (s, e) => void linear(e, input(s), e.weight(tensor(s, 0)), e.weight(tensor(s, 1)), e.shape(input(s)).length, output(s)),
  conv1d: (s, e) => convolution(s, e, 'Conv'),
  conv2d: (s, e) => convolution(s, e, 'Conv'),
  conv_transpose2d: (s, e) => convolution(s, e, 'ConvTranspose'),
  max_pool2d: (s, e) =>
    void e.one('MaxPool', [input(s)], {
      kernel_shape: attr.ints(ints(s, 'kernel_size')),
      strides: attr.ints(ints(s, 'stride')),
      pads: attr.ints([...ints(s, 'padding'), ...ints(s, 'padding')]),
      dilations: attr.ints(ints(s, 'dilation')),
      ceil_mode: attr.int(flag(s, 'ceil_mode')),
    }, output(s)),
  avg_pool2d: (s, e) =>
    void e.one('AveragePool', [input(s)], {
      kernel_shape: attr.ints(ints(s, 'kernel_size')),
      strides: attr.ints(ints(s, 'stride')),
      pads: attr.ints([...ints(s, 'padding'), ...ints(s, 'padding')]),
      ceil_mode: attr.int(flag(s, 'ceil_mode')),
      count_include_pad: attr.int(flag(s, 'count_include_pad')),
    }, output(s)),
  adaptive_avg_pool2d: (s, e) => {
    const size = ints(s, 'output_size');
    if (size.every((d) => d === 1)) return void e.one('GlobalAveragePool', [input(s)], {}, output(s));
    const spatial = e.shape(input(s)).slice(-2);
    const kernel = spatial.map((d, i) => (typeof d === 'number' && d % (size[i] ?? 1) === 0 ? d / (size[i] ?? 1) : null));
    if (kernel.some((k) => k === null)) {
      throw new ExportError(`AdaptiveAvgPool2d ${s.module}: output_size ${size.join('×')} does not divide the input ${spatial.join('×')}; ONNX has no adaptive pooling (use a size that divides it, or AvgPool2d)`);
    }
    e.one('AveragePool', [input(s)], { kernel_shape: attr.ints(kernel as number[]), strides: attr.ints(kernel as number[]) }, output(s));
  },
  upsample: (s, e) => {
    const linearMode = optional(s, 'mode') === 'bilinear';
    const modeAttrs = linearMode
      ? { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('pytorch_half_pixel') }
      : { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') };
    const size = optional(s, 'size');
    if (Array.isArray(size)) {
      const leading = e.one('Slice', [e.one('Shape', [input(s)]), e.int64s([0]), e.int64s([-2]), e.int64s([0])]);
      const sizes = e.one('Concat', [leading, e.int64s(size)], { axis: attr.int(0) });
      return void e.one('Resize', [input(s), '', '', sizes], modeAttrs, output(s));
    }
    const factor = num(s, 'scale_factor');
    const rank = e.shape(input(s)).length;
    e.one('Resize', [input(s), '', e.constant(floatData('float32', [...Array<number>(rank - 2).fill(1), factor, factor]), 'scales')], modeAttrs, output(s));
  },
  batch_norm: (s, e) => {
    const [weight, bias, mean, variance] = [0, 1, 2, 3].map((index) => tensor(s, index)) as [string, string, string, string];
    const eps = num(s, 'eps');
    const rank = e.shape(input(s)).length;
    if (mean === '') {
      // track_running_stats=False: eval mode still normalises with the batch's own statistics.
      const y = normalize(e, input(s), [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)], eps);
      return affine(e, y, weight, bias, rank, output(s));
    }
    const channels = e.data(mean).shape[0] ?? 1;
    const scale = weight === '' ? e.floats(Array<number>(channels).fill(1)) : e.weight(weight);
    const shift = bias === '' ? e.floats(Array<number>(channels).fill(0)) : e.weight(bias);
    e.one('BatchNormalization', [input(s), scale, shift, e.weight(mean), e.weight(variance)], { epsilon: attr.float(eps) }, output(s));
  },
  layer_norm: (s, e) => {
    const shape = ints(s, 'normalized_shape');
    const weight = tensor(s, 0);
    const bias = tensor(s, 1);
    const scale = weight === '' ? e.floats(Array<number>(shape.reduce((a, b) => a * b, 1)).fill(1), shape) : e.weight(weight);
    e.one('LayerNormalization', bias === '' ? [input(s), scale] : [input(s), scale, e.weight(bias)], { axis: attr.int(-shape.length), epsilon: attr.float(num(s, 'eps')) }, output(s));
  },
  group_norm: (s, e) => {
    const rank = e.shape(input(s)).length;
    const grouped = e.one('Reshape', [input(s), e.int64s([0, num(s, 'num_groups'), -1])]);
    const y = e.one('Reshape', [normalize(e, grouped, [2], num(s, 'eps')), e.one('Shape', [input(s)])]);
    affine(e, y, tensor(s, 0), tensor(s, 1), rank, output(s));
  },
  dropout: identity,
  dropout2d: identity,
  relu: unary('Relu'),
  leaky_relu: (s, e) => void e.one('LeakyRelu', [input(s)], { alpha: attr.float(num(s, 'negative_slope')) }, output(s)),
  elu: (s, e) => void e.one('Elu', [input(s)], { alpha: attr.float(num(s, 'alpha')) }, output(s)),
  gelu: (s, e) => {
    const x = input(s);
    const half = e.one('Mul', [x, e.floats([0.5])]);
    // NOTE: opset 17 has no Gelu (it arrived in 20): x/2 · (1 + erf(x/√2)), or the tanh form.
    const inner =
      optional(s, 'approximate') === 'tanh'
        ? e.one('Tanh', [e.one('Mul', [e.one('Add', [x, e.one('Mul', [e.one('Pow', [x, e.floats([3])]), e.floats([0.044715])])]), e.floats([Math.sqrt(2 / Math.PI)])])])
        : e.one('Erf', [e.one('Mul', [x, e.floats([Math.SQRT1_2])])]);
    e.one('Mul', [half, e.one('Add', [inner, e.floats([1])])], {}, output(s));
  },
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  softplus: (s, e) => {
    const beta = num(s, 'beta');
    const x = input(s);
    const scaled = beta === 1 ? x : e.one('Mul', [x, e.floats([beta])]);
    const soft = beta === 1 ? e.one('Softplus', [scaled]) : e.one('Div', [e.one('Softplus', [scaled]), e.floats([beta])]);
    e.one('Where', [e.one('Greater', [scaled, e.floats([num(s, 'threshold')])]), x, soft], {}, output(s));
  },
  silu: (s, e) => void e.one('Mul', [input(s), e.one('Sigmoid', [input(s)])], {}, output(s)),
  softmax: softmax('Softmax'),
  log_softmax: softmax('LogSoftmax'),
  flatten: (s, e) => {
    const rank = e.shape(input(s)).length;
    const start = wrap(num(s, 'start_dim'), rank);
    const end = wrap(num(s, 'end_dim'), rank);
    if (start === end) return identity(s, e);
    if (start === 1 && end === rank - 1) return void e.one('Flatten', [input(s)], { axis: attr.int(1) }, output(s));
    const dims = e.one('Shape', [input(s)]);
    const parts = [e.one('Slice', [dims, e.int64s([0]), e.int64s([start]), e.int64s([0])]), e.int64s([-1]), e.one('Slice', [dims, e.int64s([end + 1]), e.int64s([INT64_MAX]), e.int64s([0])])];
    e.one('Reshape', [input(s), e.one('Concat', parts, { axis: attr.int(0) })], {}, output(s));
  },
  reshape: (s, e) => void e.one('Reshape', [input(s), e.int64s(ints(s, 'shape'))], {}, output(s)),
  permute: (s, e) => {
    const dims = ints(s, 'dims');
    e.one('Transpose', [input(s)], { perm: attr.ints(dims.map((d) => wrap(d, dims.length))) }, output(s));
  },
  cat: (s, e) => void e.one('Concat', s.inputs, { axis: attr.int(num(s, 'dim')) }, output(s)),
  add: binary('Add'),
  mul: binary('Mul'),
  split: (s, e) => void e.node('Split', [input(s), e.int64s(ints(s, 'sizes'))], { axis: attr.int(num(s, 'dim')) }, s.outputs),
  slice: (s, e) => {
    const end = optional(s, 'end');
    e.one('Slice', [input(s), e.int64s([num(s, 'start')]), e.int64s([typeof end === 'number' ? end : INT64_MAX]), e.int64s([num(s, 'dim')])], {}, output(s));
    e.setShape(output(s), e.shape(input(s)).map((d, i) => (i === wrap(num(s, 'dim'), e.shape(input(s)).length) ? '?' : d)));
  },
  squeeze: (s, e) => {
    e.one('Squeeze', [input(s), e.int64s([num(s, 'dim')])], {}, output(s));
    const shape = e.shape(input(s));
    e.setShape(output(s), shape.filter((_, i) => i !== wrap(num(s, 'dim'), shape.length)));
  },
  embedding: (s, e) => {
    const maxNorm = optional(s, 'max_norm');
    if (typeof maxNorm !== 'number') return void e.one('Gather', [e.weight(tensor(s, 0)), input(s)], { axis: attr.int(0) }, output(s));
    // max_norm: looked-up rows longer than max_norm are scaled to it (PyTorch's embedding_renorm_, 1e-7 slack).
    const rows = e.one('Gather', [e.weight(tensor(s, 0)), input(s)], { axis: attr.int(0) });
    const norm = e.one('ReduceL2', [rows], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const scale = e.one('Where', [e.one('Greater', [norm, e.floats([maxNorm])]), e.one('Div', [e.floats([maxNorm]), e.one('Add', [norm, e.floats([1e-7])])]), e.floats([1])]);
    e.one('Mul', [rows, scale], {}, output(s));
  },
  rnn: recurrent,
  lstm: recurrent,
  gru: recurrent,
  multi_head_attention: multiHeadAttention,
  scaled_dot_product_attention: (s, e) => {
    const shape = e.shape(input(s, 0));
    const depth = shape.at(-1);
    if (typeof depth !== 'number') throw new ExportError('scaled_dot_product_attention: the query\'s last dim must be static for ONNX export');
    attention(e, input(s, 0), input(s, 1), input(s, 2), shape.length, depth, flag(s, 'is_causal'), output(s));
  },
};

/** Engine ops that never appear in an exported (inference) graph, and why. */
export const notExportable: Readonly<Record<string, string>> = Object.fromEntries(
  ['cross_entropy', 'nll_loss', 'mse_loss', 'l1_loss', 'smooth_l1_loss', 'binary_cross_entropy', 'binary_cross_entropy_with_logits'].map((op) => [
    op,
    'a loss: training-only, not part of the inference graph ONNX receives (the model outputs are exported)',
  ]),
);

function convolution(s: PlanStep, e: OnnxEmitter, op: 'Conv' | 'ConvTranspose'): void {
  const weight = e.weight(tensor(s, 0));
  const bias = e.weight(tensor(s, 1));
  const padding = ints(s, 'padding');
  const attrs: Record<string, AttrValue> = {
    kernel_shape: attr.ints(e.data(tensor(s, 0)).shape.slice(2)),
    strides: attr.ints(ints(s, 'stride')),
    pads: attr.ints([...padding, ...padding]),
    dilations: attr.ints(ints(s, 'dilation')),
    group: attr.int(num(s, 'groups')),
  };
  if (op === 'ConvTranspose') attrs['output_padding'] = attr.ints(ints(s, 'output_padding'));
  e.one(op, bias === '' ? [input(s), weight] : [input(s), weight, bias], attrs, output(s));
}

function floatData(dtype: 'float32' | 'float64', values: readonly number[], shape: readonly number[] = [values.length]): TensorData {
  const array = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
  return { dtype, shape: [...shape], bytes: new Uint8Array(array.buffer) };
}

// ---- ONNX protobuf (onnx.proto field numbers) ----

const elemType: Readonly<Record<string, number>> = { float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16 };

function elem(dtype: string): number {
  const code = elemType[dtype];
  if (code === undefined) throw new ExportError(`ONNX export: no ONNX type for ${dtype}`);
  return code;
}

function tensorProto(name: string, data: TensorData): ProtoWriter {
  const w = new ProtoWriter();
  for (const dim of data.shape) w.int(1, dim);
  w.int(2, elem(data.dtype)).string(8, name).bytes(9, data.bytes);
  return w;
}

function attributeProto(name: string, value: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (value.kind) {
    case 'float':
      return w.float(2, value.value).int(20, 1);
    case 'int':
      return w.int(3, value.value).int(20, 2);
    case 'string':
      return w.string(4, value.value).int(20, 3);
    case 'floats':
      for (const f of value.value) w.float(7, f);
      return w.int(20, 6);
    case 'ints':
      for (const i of value.value) w.int(8, i);
      return w.int(20, 7);
    case 'strings':
      for (const text of value.value) w.string(9, text);
      return w.int(20, 8);
  }
}

function valueInfo(name: string, dtype: string, shape: readonly (Dim | null)[]): ProtoWriter {
  const dims = new ProtoWriter();
  for (const dim of shape) {
    const d = new ProtoWriter();
    if (typeof dim === 'number') d.int(1, dim);
    else if (typeof dim === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(dim)) d.string(2, dim);
    dims.message(1, d);
  }
  const tensorType = new ProtoWriter().int(1, elem(dtype)).message(2, dims);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

// ---- the exporter ----

export interface OnnxExportInput {
  /** the compiled graph; only steps that feed `plan.outputs` are exported */
  readonly plan: Plan;
  /** state_dict tensors by key (the plan's tensor keys) */
  readonly weights: ReadonlyMap<string, TensorData>;
  /** shape and kind of every value the plan names (inputs, step outputs); symbolic dims become dim_params */
  readonly values: ReadonlyMap<string, TensorInfo>;
  readonly graphName?: string;
  readonly producerVersion?: string;
}

/** The ONNX model as chunks (concatenate them, or write them in order). */
export function exportOnnx(options: OnnxExportInput): Uint8Array[] {
  const { plan } = options;
  const dtype = plan.dtype;
  const producers = new Map<string, PlanStep>();
  for (const step of plan.steps) for (const name of step.outputs) producers.set(name, step);
  // The steps the outputs need (the loss and its targets drop out), in plan order.
  const needed = new Set<PlanStep>();
  const stack = [...plan.outputs];
  while (stack.length > 0) {
    const step = producers.get(stack.pop() ?? '');
    if (step === undefined || needed.has(step)) continue;
    needed.add(step);
    stack.push(...step.inputs);
  }
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, TensorData>();
  const shapes = new Map<string, readonly Dim[]>([...options.values].map(([name, info]) => [name, info.shape]));
  const used = new Set<string>();
  let counter = 0;
  let current = '';
  const fresh = (hint: string): string => {
    counter += 1;
    return `${current || 'onnx'}/${hint}_${counter}`;
  };
  const emitter: OnnxEmitter = {
    dtype,
    node(op, inputs, attrs = {}, outputs = 1) {
      const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => fresh(op)) : [...outputs];
      for (const name of inputs) used.add(name);
      nodes.push({ op, inputs: [...inputs], outputs: names, attrs, name: fresh(`${op}_node`) });
      return names;
    },
    one(op, inputs, attrs = {}, out) {
      return emitter.node(op, inputs, attrs, out === undefined ? 1 : [out])[0] ?? '';
    },
    weight(key) {
      if (key === '') return '';
      if (!initializers.has(key)) initializers.set(key, emitter.data(key));
      return key;
    },
    data(key) {
      const data = options.weights.get(key);
      if (data === undefined) throw new ExportError(`ONNX export: no weights for ${key}`);
      return data;
    },
    constant(data, hint) {
      const name = initializers.has(hint) ? fresh(hint) : hint;
      initializers.set(name, data);
      return name;
    },
    floats: (values, shape) => emitter.constant(floatData(dtype, values, shape), fresh('const')),
    int64s: (values, shape = [values.length]) =>
      emitter.constant({ dtype: 'int64', shape: [...shape], bytes: new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer) }, fresh('const')),
    shape(value) {
      const shape = shapes.get(value);
      if (shape === undefined) throw new ExportError(`ONNX export: the shape of ${value} is unknown`);
      return shape;
    },
    setShape: (value, shape) => void shapes.set(value, shape),
  };
  for (const step of plan.steps) {
    if (!needed.has(step)) continue;
    const rule = onnxRules[step.op];
    if (rule === undefined) {
      const reason = notExportable[step.op];
      throw new ExportError(`ONNX export: ${step.module || step.op} uses engine op ${step.op}, which has no ONNX mapping${reason === undefined ? '' : ` (${reason})`}`);
    }
    current = step.module || step.outputs[0] || step.op;
    rule(step, emitter);
  }

  const graph = new ProtoWriter();
  for (const node of nodes) {
    const w = new ProtoWriter();
    for (const name of node.inputs) w.string(1, name);
    for (const name of node.outputs) w.string(2, name);
    w.string(3, node.name).string(4, node.op);
    for (const [name, value] of Object.entries(node.attrs)) w.message(5, attributeProto(name, value));
    graph.message(1, w);
  }
  graph.string(2, options.graphName ?? 'netwright');
  for (const [name, data] of initializers) graph.message(5, tensorProto(name, data));
  for (const value of plan.inputs) {
    if (!used.has(value.name)) continue;
    const shape = options.values.get(value.name)?.shape ?? value.shape;
    graph.message(11, valueInfo(value.name, value.dtype, shape));
  }
  for (const name of plan.outputs) {
    const info = options.values.get(name);
    graph.message(12, valueInfo(name, info?.kind === 'index' ? 'int64' : dtype, info?.shape ?? []));
  }
  const model = new ProtoWriter()
    .int(1, ONNX_IR_VERSION)
    .string(2, 'netwright')
    .string(3, options.producerVersion ?? '0')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET));
  return model.finish();
}

/** A project (its compiled graph) and its weights as an ONNX model; inputs and outputs keep the graph's names. */
export function exportProjectOnnx(project: Project, weights: ReadonlyMap<string, TensorData>, producerVersion?: string): Uint8Array[] {
  const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss, requireLoss: false });
  if (!compiled.ok) throw new ExportError(`the graph does not compile: ${compiled.errors[0]?.message ?? ''}`);
  const values = new Map<string, TensorInfo>();
  for (const id of compiled.analysis.order) {
    const node = compiled.analysis.nodes.get(id);
    const path = compiled.analysis.paths.get(id) ?? id;
    if (node === undefined) continue;
    for (const port of node.spec.outputs) {
      const info = node.outputs[port.name];
      if (info !== undefined) values.set(valueName(path, node.spec.outputs.length, port.name), info);
    }
  }
  const name = project.name.replace(/[^A-Za-z0-9_]+/g, '_') || 'netwright';
  return exportOnnx({ plan: compiled.plan, weights, values, graphName: name, ...(producerVersion === undefined ? {} : { producerVersion }) });
}
