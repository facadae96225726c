// The LayerSpec interface: everything the app knows about one layer type, declared once (ARCHITECTURE.md §3).
import type { PlanAttr, PlanDType, PlanInit, PlanStep } from '../api/plan';

/** A dimension: a number, or a symbolic name such as "N" (batch) or "T" (sequence length). */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** float: real-valued features; index: int64 token ids or class indices. */
export type ValueKind = 'float' | 'index';

/** What flows along an edge: a shape with a symbolic batch dimension and a kind. */
export interface TensorInfo {
  readonly shape: Shape;
  readonly kind: ValueKind;
}

export type LayerCategory =
  | 'input'
  | 'linear'
  | 'conv'
  | 'pool'
  | 'norm'
  | 'activation'
  | 'dropout'
  | 'recurrent'
  | 'embedding'
  | 'attention'
  | 'shape'
  | 'merge'
  | 'loss';

export type ParamValue = number | boolean | string | readonly number[] | null;
export type Params = Readonly<Record<string, ParamValue>>;

interface ParamBase {
  /** the PyTorch argument name; also the key in a node's params */
  readonly name: string;
  readonly doc: string;
  /** filled from input shapes (in_features, in_channels…) unless the user pins it */
  readonly derived?: boolean;
  /** null is allowed (PyTorch's None) */
  readonly nullable?: boolean;
  /** not a constructor argument of the PyTorch module (e.g. an Input node's size) */
  readonly notTorch?: boolean;
  /** PyTorch's own default where ours differs (batch_first: ours true, PyTorch's false) */
  readonly torchDefault?: ParamValue;
}
export interface IntParam extends ParamBase {
  readonly kind: 'int';
  readonly default: number | null;
  readonly min?: number;
  readonly max?: number;
}
export interface FloatParam extends ParamBase {
  readonly kind: 'float';
  readonly default: number | null;
  readonly min?: number;
  readonly max?: number;
  /** the bound itself is not allowed (p < 1, eps > 0) */
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
}
export interface BoolParam extends ParamBase {
  readonly kind: 'bool';
  readonly default: boolean;
}
export interface EnumParam extends ParamBase {
  readonly kind: 'enum';
  readonly options: readonly string[];
  readonly default: string;
}
export interface IntsParam extends ParamBase {
  readonly kind: 'ints';
  readonly default: readonly number[] | null;
  readonly minLength: number;
  readonly maxLength: number;
  /** bound on each element */
  readonly min?: number;
  readonly max?: number;
}
export type ParamSpec = IntParam | FloatParam | BoolParam | EnumParam | IntsParam;

export interface InputPortSpec {
  readonly name: string;
  /** an exact rank or an inclusive [min, max] range, counting the batch dimension */
  readonly rank: number | readonly [number, number];
  readonly kind: ValueKind;
  readonly optional?: boolean;
  readonly doc: string;
}
export interface OutputPortSpec {
  readonly name: string;
  readonly doc: string;
}

/** A fix a layer can suggest for its own node; the graph layer turns it into a node-addressed Fix. */
export type LayerFix =
  | { readonly kind: 'set-param'; readonly param: string; readonly value: ParamValue }
  | { readonly kind: 'insert-before'; readonly port: string; readonly layer: string; readonly params?: Params };

export type LayerErrorCode =
  | 'E_RANK_MISMATCH'
  | 'E_SHAPE_MISMATCH'
  | 'E_SHAPE_TOO_SMALL'
  | 'E_SHAPE_SYMBOLIC'
  | 'E_KIND_MISMATCH'
  | 'E_PARAM_CONSTRAINT'
  | 'E_PORT_PAIR';

export interface LayerError {
  readonly code: LayerErrorCode;
  /** the input port at fault, when one is */
  readonly port?: string;
  readonly message: string;
  readonly fix?: LayerFix;
}

export type InferResult =
  | { readonly ok: true; readonly outputs: Readonly<Record<string, TensorInfo>> }
  | { readonly ok: false; readonly error: LayerError };

/** Input infos by port name; an optional port that is not connected is absent. */
export type InputInfos = Readonly<Record<string, TensorInfo | undefined>>;

/** A parameter or buffer, with its PyTorch state_dict name local to the module ("weight", "out_proj.bias"). */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: PlanDType | 'model';
  readonly init: PlanInit;
  readonly buffer: boolean;
  /** rows forced to zero after init (Embedding's padding_idx); the Plan cannot carry this yet */
  readonly zeroRows?: readonly number[];
}

/** What lower() gets: resolved names for everything the step(s) touch. */
export interface LowerContext {
  /** PyTorch module path ("features.0"), '' for function-style nodes */
  readonly module: string;
  readonly params: ParamReader;
  /** value names by input port; '' where an optional port is unconnected */
  readonly inputs: Readonly<Record<string, string>>;
  readonly inputInfos: InputInfos;
  /** value names by output port (every output port has one) */
  readonly outputs: Readonly<Record<string, string>>;
  /** full state_dict key for a local weight name; '' when the weight does not exist */
  tensor(name: string): string;
  /** a fresh intermediate value name */
  temp(suffix: string): string;
}

export interface TorchModule {
  readonly kind: 'module';
  /** "nn.Linear" */
  readonly module: string;
  /** constructor arguments as Python source: "400, 120, bias=True" */
  args(params: ParamReader): string;
}
export interface TorchFunction {
  readonly kind: 'function';
  /** Python expression over the input variables: `torch.cat([a, b], dim=1)` */
  expression(inputs: Readonly<Record<string, string>>, params: ParamReader): string;
}
export interface TorchInput {
  readonly kind: 'input';
}
export type TorchExport = TorchModule | TorchFunction | TorchInput;

export interface LayerSpec {
  /** stable, never reused ("nn.Linear") */
  readonly id: string;
  readonly version: number;
  readonly category: LayerCategory;
  readonly title: string;
  /** one line for the palette */
  readonly summary: string;
  /** markdown: what it does, the PyTorch equivalent, an example */
  readonly doc: string;
  /** prefix for automatic module names ("fc" → fc1, fc2) */
  readonly defaultName: string;
  readonly params: readonly ParamSpec[];
  readonly inputs: readonly InputPortSpec[];
  readonly outputs: readonly OutputPortSpec[];
  /** derived parameter values from input shapes; only keys of params marked `derived` */
  derive?(inputs: InputInfos, params: ParamReader): Params;
  inferShape(inputs: InputInfos, params: ParamReader): InferResult;
  weights(params: ParamReader): readonly WeightSpec[];
  /** the only place engine op names appear */
  lower(context: LowerContext): readonly PlanStep[];
  readonly torch: TorchExport;
  /** activations: y = f(x), for the inspector's plot */
  formula?(x: number, params: ParamReader): number;
}

/** Typed access to a node's (already validated) params. */
export class ParamReader {
  constructor(readonly values: Params) {}

  private get(name: string): ParamValue {
    const value = this.values[name];
    if (value === undefined) throw new Error(`param "${name}" is missing; validate params before reading them`);
    return value;
  }
  int(name: string): number {
    const value = this.get(name);
    if (typeof value !== 'number') throw new Error(`param "${name}" is not a number`);
    return value;
  }
  float(name: string): number {
    return this.int(name);
  }
  intOrNull(name: string): number | null {
    const value = this.get(name);
    return value === null ? null : this.int(name);
  }
  bool(name: string): boolean {
    const value = this.get(name);
    if (typeof value !== 'boolean') throw new Error(`param "${name}" is not a boolean`);
    return value;
  }
  string(name: string): string {
    const value = this.get(name);
    if (typeof value !== 'string') throw new Error(`param "${name}" is not a string`);
    return value;
  }
  ints(name: string): readonly number[] {
    const value = this.get(name);
    if (!Array.isArray(value)) throw new Error(`param "${name}" is not an int tuple`);
    return value as readonly number[];
  }
  intsOrNull(name: string): readonly number[] | null {
    return this.get(name) === null ? null : this.ints(name);
  }
  has(name: string): boolean {
    return this.values[name] !== undefined;
  }
}

export type PlanStepList = readonly PlanStep[];

/** An attribute as layers write it; null and undefined are left out of the step. */
export type AttrInput = number | boolean | string | readonly number[] | null | undefined;

/** A step with every field spelled out (keeps lowering code short and the JSON key order fixed). */
export function step(
  op: string,
  module: string,
  inputs: readonly string[],
  tensors: readonly string[],
  outputs: readonly string[],
  attrs: Readonly<Record<string, AttrInput>> = {},
): PlanStep {
  const cleanAttrs: Record<string, PlanAttr> = {};
  for (const key of Object.keys(attrs).sort()) {
    const value = attrs[key];
    if (value === null || value === undefined) continue;
    cleanAttrs[key] = typeof value === 'object' ? [...value] : value;
  }
  return { op, module, inputs: [...inputs], tensors: [...tensors], outputs: [...outputs], attrs: cleanAttrs };
}
