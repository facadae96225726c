// Shared building blocks for layer specs: param builders, shape arithmetic, coded errors, init and export helpers.
import type { PlanInit } from '../api/plan';
import type {
  BoolParam,
  Dim,
  EnumParam,
  FloatParam,
  InferResult,
  InputInfos,
  InputPortSpec,
  IntParam,
  IntsParam,
  LayerError,
  LayerFix,
  OutputPortSpec,
  ParamReader,
  ParamSpec,
  ParamValue,
  Shape,
  TensorInfo,
  TorchModule,
  ValueKind,
  WeightSpec,
} from './spec';

type Options<T> = Omit<T, 'kind' | 'name' | 'default' | 'doc'>;

export const intParam = (name: string, value: number | null, doc: string, options: Options<IntParam> = {}): IntParam => ({
  kind: 'int',
  name,
  default: value,
  doc,
  ...options,
});
export const floatParam = (name: string, value: number | null, doc: string, options: Options<FloatParam> = {}): FloatParam => ({
  kind: 'float',
  name,
  default: value,
  doc,
  ...options,
});
export const boolParam = (name: string, value: boolean, doc: string, options: Options<BoolParam> = {}): BoolParam => ({
  kind: 'bool',
  name,
  default: value,
  doc,
  ...options,
});
export const enumParam = (
  name: string,
  options: readonly string[],
  value: string,
  doc: string,
  extra: Omit<Options<EnumParam>, 'options'> = {},
): EnumParam => ({ kind: 'enum', name, options, default: value, doc, ...extra });
export const intsParam = (
  name: string,
  value: readonly number[] | null,
  length: number | readonly [number, number],
  doc: string,
  options: Omit<Options<IntsParam>, 'minLength' | 'maxLength'> = {},
): IntsParam => ({
  kind: 'ints',
  name,
  default: value,
  minLength: typeof length === 'number' ? length : length[0],
  maxLength: typeof length === 'number' ? length : length[1],
  doc,
  ...options,
});

export const port = (name: string, rank: number | readonly [number, number], kind: ValueKind, doc: string, optional = false): InputPortSpec =>
  optional ? { name, rank, kind, doc, optional } : { name, rank, kind, doc };
export const out = (name: string, doc: string): OutputPortSpec => ({ name, doc });

// ---- shapes -------------------------------------------------------------------------------------

export const isStatic = (dim: Dim): dim is number => typeof dim === 'number';

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** A symbolic expression over dims; numbers fold, symbols stay as readable text. */
export function product(dims: readonly Dim[]): Dim {
  let constant = 1;
  const symbols: string[] = [];
  for (const dim of dims) {
    if (isStatic(dim)) constant *= dim;
    else symbols.push(dim.includes('+') || dim.includes('-') ? `(${dim})` : dim);
  }
  if (symbols.length === 0) return constant;
  if (constant !== 1) symbols.push(String(constant));
  return symbols.join('*');
}

/** Applies a size formula to a static dim, or writes it as an expression over a symbolic one. */
export function mapDim(dim: Dim, formula: (size: number) => number, expression: (symbol: string) => string): Dim {
  return isStatic(dim) ? formula(dim) : expression(dim);
}

/** PyTorch's conv/pool output size: floor((L + 2p - d(k-1) - 1) / s) + 1 (ceil with ceil_mode). */
export function convOutput(size: Dim, kernel: number, stride: number, padding: number, dilation: number, ceil = false): Dim {
  return mapDim(
    size,
    (length) => {
      const span = length + 2 * padding - dilation * (kernel - 1) - 1;
      let result = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
      // NOTE: PyTorch drops a last ceil-mode window that would start inside the right padding.
      if (ceil && (result - 1) * stride >= length + padding) result -= 1;
      return result;
    },
    (symbol) => `conv(${symbol},k${kernel},s${stride},p${padding},d${dilation}${ceil ? ',ceil' : ''})`,
  );
}

export function dimsEqual(a: Dim, b: Dim): boolean {
  return a === b;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, index) => dim === b[index]);
}

/** Broadcasts two shapes like PyTorch; null when they do not broadcast. */
export function broadcast(a: Shape, b: Shape): Dim[] | null {
  const rank = Math.max(a.length, b.length);
  const result: Dim[] = [];
  for (let index = 0; index < rank; index += 1) {
    const left = a[a.length - rank + index] ?? 1;
    const right = b[b.length - rank + index] ?? 1;
    if (left === right || right === 1) result.push(left);
    else if (left === 1) result.push(right);
    else return null;
  }
  return result;
}

/** Normalises a possibly negative dim index; null when out of range. */
export function wrapDim(dim: number, rank: number): number | null {
  const wrapped = dim < 0 ? dim + rank : dim;
  return wrapped >= 0 && wrapped < rank ? wrapped : null;
}

/** A pair param (kernel_size, stride…) as [height, width]; single values are not used: tuples are stored in full. */
export function pair(values: readonly number[]): [number, number] {
  return [values[0] ?? 1, values[1] ?? values[0] ?? 1];
}

// ---- results and errors -------------------------------------------------------------------------

export const ok = (outputs: Record<string, TensorInfo>): InferResult => ({ ok: true, outputs });
export const fail = (error: LayerError): InferResult => ({ ok: false, error });

export function layerError(code: LayerError['code'], port: string | undefined, message: string, fix?: LayerFix): LayerError {
  const error: { code: LayerError['code']; message: string; port?: string; fix?: LayerFix } = { code, message };
  if (port !== undefined) error.port = port;
  if (fix !== undefined) error.fix = fix;
  return error;
}

/** The connected info for a required port (graph validation reports unconnected ports before inference). */
export function input(inputs: InputInfos, name: string): TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`input port "${name}" is not connected; validate connections before inference`);
  return info;
}

/** Last dim of a shape; the graph checks ranks first, so shapes are never empty here. */
export function lastDim(shape: Shape): Dim {
  return shape[shape.length - 1] ?? 1;
}

/** Checks a derived size against a pinned param value: returns a set-param error when they differ. */
export function checkDerived(port: string, params: ParamReader, name: string, actual: Dim, shape: Shape, layer: string): LayerError | null {
  if (!isStatic(actual)) {
    return layerError('E_SHAPE_SYMBOLIC', port, `${layer} needs a fixed size where ${name} comes from, but the input ${formatShape(shape)} has "${actual}" there; give the input node a fixed size.`);
  }
  const expected = params.int(name);
  if (expected === actual) return null;
  return layerError(
    'E_SHAPE_MISMATCH',
    port,
    `${layer} has ${name}=${expected} but its input ${formatShape(shape)} has ${actual}; set ${name} to ${actual} (or unpin it so it follows the input).`,
    { kind: 'set-param', param: name, value: actual },
  );
}

// ---- weights ------------------------------------------------------------------------------------

/** kaiming_uniform_(w, a=√5): PyTorch's default for Linear and Conv weights. */
export const kaimingWeight = (name: string, shape: readonly number[], fanIn: number): WeightSpec => ({
  name,
  shape,
  dtype: 'model',
  init: { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn },
  buffer: false,
});

/** U(-1/√fan_in, 1/√fan_in): PyTorch's default bias for Linear and Conv, and every RNN weight with fan_in = hidden_size. */
export const uniformFanIn = (name: string, shape: readonly number[], fanIn: number): WeightSpec => {
  const bound = 1 / Math.sqrt(fanIn);
  return { name, shape, dtype: 'model', init: { kind: 'uniform', low: -bound, high: bound }, buffer: false };
};

export const constantWeight = (name: string, shape: readonly number[], init: PlanInit, buffer = false): WeightSpec => ({
  name,
  shape,
  dtype: 'model',
  init,
  buffer,
});

/** BatchNorm-style parameters and buffers in PyTorch's state_dict order. */
export function normWeights(features: number, affine: boolean, trackRunningStats: boolean): WeightSpec[] {
  const weights: WeightSpec[] = [];
  if (affine) {
    weights.push(constantWeight('weight', [features], { kind: 'ones' }));
    weights.push(constantWeight('bias', [features], { kind: 'zeros' }));
  }
  if (trackRunningStats) {
    weights.push(constantWeight('running_mean', [features], { kind: 'zeros' }, true));
    weights.push(constantWeight('running_var', [features], { kind: 'ones' }, true));
    weights.push({ name: 'num_batches_tracked', shape: [], dtype: 'int64', init: { kind: 'zeros' }, buffer: true });
  }
  return weights;
}

// ---- PyTorch export -----------------------------------------------------------------------------

/** A value as Python source. */
export function python(value: ParamValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return String(value);
  return value.length === 1 ? `(${value[0]},)` : `(${value.join(', ')})`;
}

function sameValue(a: ParamValue | undefined, b: ParamValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A module export whose constructor takes `positional` params first, then every other
 * PyTorch param as a keyword when it differs from PyTorch's default.
 */
export function torchModule(module: string, specs: readonly ParamSpec[], positional: readonly string[] = []): TorchModule {
  return {
    kind: 'module',
    module,
    args(params) {
      const parts: string[] = positional.map((name) => python(params.values[name] ?? null));
      for (const spec of specs) {
        if (spec.notTorch || positional.includes(spec.name)) continue;
        const value = params.values[spec.name];
        const torchDefault = 'torchDefault' in spec ? spec.torchDefault : spec.default;
        if (value === undefined || sameValue(value, torchDefault)) continue;
        parts.push(`${spec.name}=${python(value)}`);
      }
      return parts.join(', ');
    },
  };
}

/** Parameterless module export ("nn.ReLU()" style) with keyword params. */
export const simpleModule = (module: string, specs: readonly ParamSpec[]): TorchModule => torchModule(module, specs);
