// Typed wrapper over the native engine: loading, engine info, a small PyTorch-like
// tensor API (for tests and scripting) and op calls by name. Arguments are checked
// here, with errors that name the problem, before anything reaches C++.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceUnavailable, parseDeviceName } from '../../shared/api/devices';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int64', 'int32', 'uint8', 'bool'];

export interface DeviceInfo {
  id: string;
  kind: 'cpu' | 'cuda';
  name: string;
  memoryBytes: number;
  computeCapability?: string;
}

export interface EngineInfo {
  version: string;
  simd: string;
  threads: number;
  physicalCores: number;
  cudaCompiled: boolean;
  cudaStatus: string;
  /** CUDA builds only: the GEMM backend on cuda ('cublas 12.4.5 (libcublas.so.12)' or 'built-in kernel (…)') */
  cudaGemm?: string;
  devices: DeviceInfo[];
}

/** The caching allocator of a CUDA device (bytes). */
export interface CudaMemoryStats {
  /** held by live tensors */
  inUse: number;
  /** freed blocks kept for reuse */
  cached: number;
  /** high-water mark of inUse */
  peak: number;
  deviceFree: number;
  deviceTotal: number;
}

export interface OpInfo {
  name: string;
  numInputs: number;
  grad: 'differentiable' | 'composite' | 'none';
  hasBackward: boolean;
  doc: string;
}

export type AttrValue = number | boolean | string | number[];
export type Attrs = Record<string, AttrValue | undefined>;

/** The addon's tensor handle (native/src/binding/tensor.cpp). */
export interface TensorHandle {
  readonly shape: number[];
  readonly dtype: DType;
  readonly device: string;
  requiresGrad: boolean;
  readonly isLeaf: boolean;
  readonly gradFn: string | null;
  readonly disposed: boolean;
  data(): ArrayBuffer;
  item(): number;
  grad(): TensorHandle | null;
  setGrad(grad: TensorHandle | null): void;
  backward(grad: TensorHandle | null, retainGraph: boolean): void;
  detach(): TensorHandle;
  clone(): TensorHandle;
  dispose(): void;
  copyFrom(source: TensorHandle): void;
}

export interface NativeAddon {
  engineInfo(): EngineInfo;
  fromBuffer(data: ArrayBufferView | ArrayBuffer, shape: number[], dtype: DType, requiresGrad: boolean, device?: string): TensorHandle;
  create(kind: string, shape: number[], dtype: DType, attrs: Attrs, device?: string): TensorHandle;
  callOp(name: string, inputs: (TensorHandle | null)[], attrs: Attrs): (TensorHandle | null)[];
  opTable(): OpInfo[];
  autogradGrad(
    outputs: TensorHandle[],
    inputs: TensorHandle[],
    gradOutputs: (TensorHandle | null)[],
    retainGraph: boolean,
    allowUnused: boolean,
  ): (TensorHandle | null)[];
  setGradEnabled(enabled: boolean): boolean;
  manualSeed(seed: number): void;
  setNumThreads(threads: number): number;
  supports(op: string, device: string): boolean;
  cudaMemoryStats(device: string): CudaMemoryStats;
  emptyCache(device: string): void;
  synchronize(device: string): void;
}

/** An engine error, with the engine's code (E_SHAPE, E_DTYPE, …) or the wrapper's. */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

function packageRoot(): string {
  // Works from the TS sources (native/ts) and from bundles in dist/ alike.
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native', 'CMakeLists.txt'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}

let addon: NativeAddon | null = null;

/** The path the addon is loaded from (NETWRIGHT_ADDON overrides it). */
export function addonPath(): string {
  return process.env.NETWRIGHT_ADDON ?? join(packageRoot(), 'native', 'build', 'Release', 'netwright_native.node');
}

/** Loads the addon once; throws EngineError E_ENGINE_LOAD with what to do. */
export function loadEngine(): NativeAddon {
  if (addon) return addon;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new EngineError('E_ENGINE_LOAD', `The native engine is not built (${path} is missing): run \`npm run build:native\`.`);
  }
  const require = createRequire(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url));
  try {
    addon = require(path) as NativeAddon;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new EngineError('E_ENGINE_LOAD', `The native engine failed to load (${message}); rebuild it with \`npm run build:native\`.`);
  }
  return addon;
}

export function engineInfo(): EngineInfo {
  return loadEngine().engineInfo();
}

let deviceInfo: EngineInfo | null = null;

/** The devices this machine has (engine info, read once). */
export function devices(): DeviceInfo[] {
  deviceInfo ??= engineInfo();
  return deviceInfo.devices;
}

/**
 * A device string checked against this machine: 'cpu', 'cuda' (= cuda:0) or 'cuda:N'. A bad spelling or a device
 * that does not exist is an EngineError E_DEVICE naming the devices there are.
 */
export function checkDevice(device: string): string {
  const parsed = parseDeviceName(device);
  if (!parsed.ok) throw new EngineError('E_DEVICE', parsed.message);
  if (parsed.device === 'cpu') return 'cpu';
  deviceInfo ??= engineInfo();
  const why = deviceUnavailable(parsed.device, deviceInfo, 'Use one of them.');
  if (why !== null) throw new EngineError('E_DEVICE', why);
  return parsed.device;
}

/** Whether the engine has op for device ('cpu', 'cuda', 'cuda:N'): an answer about this build, device present or not. */
export function supports(opName: string, device: string): boolean {
  opInfo(opName);
  const parsed = parseDeviceName(device);
  if (!parsed.ok) throw new EngineError('E_DEVICE', parsed.message);
  return native((a) => a.supports(opName, parsed.device));
}

/** The ops the engine runs on device (in op-table order). */
export function supportedOps(device: string): string[] {
  return opTable().map((o) => o.name).filter((name) => supports(name, device));
}

/** The caching allocator's counters for a CUDA device and its free/total memory. */
export function cudaMemoryStats(device = 'cuda:0'): CudaMemoryStats {
  const d = checkCudaDevice(device, 'cudaMemoryStats');
  return native((a) => a.cudaMemoryStats(d));
}

/** torch.cuda.empty_cache: gives the allocator's unused cached blocks back to the driver. */
export function emptyCache(device = 'cuda:0'): void {
  const d = checkCudaDevice(device, 'emptyCache');
  native((a) => a.emptyCache(d));
}

/** torch.cuda.synchronize: waits for the device's queued work. */
export function synchronize(device = 'cuda:0'): void {
  const d = checkCudaDevice(device, 'synchronize');
  native((a) => a.synchronize(d));
}

function checkCudaDevice(device: string, what: string): string {
  const d = checkDevice(device);
  if (d === 'cpu') throw new EngineError('E_DEVICE', `${what} needs a CUDA device (cuda:N), got cpu`);
  return d;
}

function rethrow(error: unknown): never {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') throw new EngineError(error.code, error.message);
  throw error;
}

function native<T>(fn: (a: NativeAddon) => T): T {
  const a = loadEngine();
  try {
    return fn(a);
  } catch (error) {
    rethrow(error);
  }
}

// ---------------------------------------------------------------- validation

function checkDType(dtype: string): DType {
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    throw new EngineError('E_DTYPE', `unknown dtype '${dtype}': use one of ${DTYPES.join(', ')}`);
  }
  return dtype as DType;
}

function checkShape(shape: readonly number[], what = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new EngineError('E_SHAPE', `${what} must be an array of non-negative integers`);
  if (shape.length > 8) throw new EngineError('E_SHAPE', `${what} [${shape.join(', ')}] has more than 8 dimensions`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new EngineError('E_SHAPE', `${what} [${shape.join(', ')}] must contain non-negative integers`);
  }
  return [...shape];
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** NumPy/PyTorch broadcasting of two shapes, or an error naming both. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da !== db && da !== 1 && db !== 1) {
      throw new EngineError('E_SHAPE', `shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

let opIndex: Map<string, OpInfo> | null = null;
export function opTable(): OpInfo[] {
  return native((a) => a.opTable());
}
function opInfo(name: string): OpInfo {
  opIndex ??= new Map(opTable().map((o) => [o.name, o]));
  const info = opIndex.get(name);
  if (!info) throw new EngineError('E_UNKNOWN_OP', `unknown op '${name}'; the engine has: ${[...opIndex.keys()].join(', ')}`);
  return info;
}

// ---------------------------------------------------------------- tensors

type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
export type NestedNumbers = number | boolean | NestedNumbers[];

const liveScopes: Set<Tensor>[] = [];

export class Tensor {
  constructor(readonly handle: TensorHandle) {
    const scope = liveScopes[liveScopes.length - 1];
    if (scope) scope.add(this);
  }

  get shape(): number[] {
    return this.handle.shape;
  }
  get dtype(): DType {
    return this.handle.dtype;
  }
  get device(): string {
    return this.handle.device;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get requiresGrad(): boolean {
    return this.handle.requiresGrad;
  }
  set requiresGrad(value: boolean) {
    native(() => {
      this.handle.requiresGrad = value;
    });
  }
  get isLeaf(): boolean {
    return this.handle.isLeaf;
  }
  get gradFn(): string | null {
    return this.handle.gradFn;
  }
  get grad(): Tensor | null {
    const g = this.handle.grad();
    return g ? new Tensor(g) : null;
  }
  set grad(value: Tensor | null) {
    this.handle.setGrad(value ? value.handle : null);
  }
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** Values as a typed array matching the dtype (int64 as BigInt64Array; bool as Uint8Array). */
  data(): TypedArray {
    const buf = native(() => this.handle.data());
    switch (this.dtype) {
      case 'float32':
        return new Float32Array(buf);
      case 'float64':
        return new Float64Array(buf);
      case 'int64':
        return new BigInt64Array(buf);
      case 'int32':
        return new Int32Array(buf);
      default:
        return new Uint8Array(buf);
    }
  }
  /** Values as plain numbers, row-major. */
  toArray(): number[] {
    return Array.from(this.data() as ArrayLike<number | bigint>, (v) => Number(v));
  }
  item(): number {
    return native(() => this.handle.item());
  }
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    native(() => this.handle.backward(gradient ? gradient.handle : null, options.retainGraph ?? false));
  }
  detach(): Tensor {
    return new Tensor(this.handle.detach());
  }
  clone(): Tensor {
    return new Tensor(native(() => this.handle.clone()));
  }
  /** Frees the storage now (if nothing else references it); the tensor can no longer be used. */
  dispose(): void {
    this.handle.dispose();
  }
  zeroGrad(): void {
    this.handle.setGrad(null);
  }

  add(other: Tensor | number, alpha = 1): Tensor {
    return op1('add', [this, asTensor(other, this)], alpha === 1 ? {} : { alpha });
  }
  sub(other: Tensor | number, alpha = 1): Tensor {
    return op1('sub', [this, asTensor(other, this)], alpha === 1 ? {} : { alpha });
  }
  mul(other: Tensor | number): Tensor {
    return op1('mul', [this, asTensor(other, this)]);
  }
  div(other: Tensor | number): Tensor {
    return op1('div', [this, asTensor(other, this)]);
  }
  pow(exponent: Tensor | number): Tensor {
    return typeof exponent === 'number' ? op1('pow_scalar', [this], { exponent }) : op1('pow', [this, exponent]);
  }
  neg(): Tensor {
    return op1('neg', [this]);
  }
  exp(): Tensor {
    return op1('exp', [this]);
  }
  log(): Tensor {
    return op1('log', [this]);
  }
  sqrt(): Tensor {
    return op1('sqrt', [this]);
  }
  abs(): Tensor {
    return op1('abs', [this]);
  }
  clamp(min?: number, max?: number): Tensor {
    return op1('clamp', [this], { min, max });
  }
  relu(): Tensor {
    return op1('relu', [this]);
  }
  sigmoid(): Tensor {
    return op1('sigmoid', [this]);
  }
  tanh(): Tensor {
    return op1('tanh', [this]);
  }
  matmul(other: Tensor): Tensor {
    return op1('matmul', [this, other]);
  }
  sum(dim?: number | number[], keepdim = false): Tensor {
    return op1('sum', [this], { dim: dim === undefined ? undefined : ([] as number[]).concat(dim), keepdim });
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return op1('mean', [this], { dim: dim === undefined ? undefined : ([] as number[]).concat(dim), keepdim });
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return op1('argmax', [this], { dim, keepdim });
  }
  reshape(...shape: number[]): Tensor {
    return op1('reshape', [this], { shape });
  }
  view(...shape: number[]): Tensor {
    return this.reshape(...shape);
  }
  permute(...dims: number[]): Tensor {
    return op1('permute', [this], { dims });
  }
  transpose(dim0: number, dim1: number): Tensor {
    return op1('transpose', [this], { dim0, dim1 });
  }
  get T(): Tensor {
    return this.transpose(0, 1);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return op1('flatten', [this], { start_dim: startDim, end_dim: endDim });
  }
  unsqueeze(dim: number): Tensor {
    return op1('unsqueeze', [this], { dim });
  }
  squeeze(dim?: number): Tensor {
    return op1('squeeze', [this], { dim });
  }
  expand(...shape: number[]): Tensor {
    return op1('expand', [this], { shape });
  }
  contiguous(): Tensor {
    return op1('contiguous', [this]);
  }
  /** to(dtype) converts; to(device) ('cpu', 'cuda', 'cuda:N') copies to that device (differentiable, like torch). */
  to(target: DType | string): Tensor {
    if ((DTYPES as readonly string[]).includes(target)) return op1('to_dtype', [this], { dtype: target });
    return op1('to_device', [this], { device: checkDevice(target) });
  }
  cpu(): Tensor {
    return this.device === 'cpu' ? this : this.to('cpu');
  }
  cuda(index = 0): Tensor {
    return this.to(`cuda:${index}`);
  }
  toString(): string {
    const device = this.device === 'cpu' ? '' : `, device='${this.device}'`;
    return `tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}${device}${this.requiresGrad ? ', requires_grad=True' : ''})`;
  }
}

function asTensor(value: Tensor | number, like: Tensor): Tensor {
  if (value instanceof Tensor) return value;
  const dtype = like.dtype === 'float64' || like.dtype === 'float32' ? like.dtype : Number.isInteger(value) ? like.dtype : 'float32';
  return full([], value, { dtype, device: like.device });
}

function toHandle(t: Tensor | null | undefined): TensorHandle | null {
  if (t === null || t === undefined) return null;
  if (!(t instanceof Tensor)) throw new EngineError('E_ARG', 'expected a Tensor');
  if (t.handle.disposed) throw new EngineError('E_DISPOSED', 'this tensor was disposed; it can no longer be used');
  return t.handle;
}

function cleanAttrs(attrs: Attrs, allowNaN = false): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    if (!allowNaN && typeof v === 'number' && Number.isNaN(v)) throw new EngineError('E_ARG', `argument '${k}' is NaN`);
    out[k] = v;
  }
  return out;
}

/** Calls an engine op by name (see opTable()); returns all its outputs. */
export function op(name: string, inputs: (Tensor | null)[], attrs: Attrs = {}): (Tensor | null)[] {
  const info = opInfo(name);
  if (info.numInputs >= 0 && inputs.length !== info.numInputs) {
    throw new EngineError('E_ARITY', `${name} takes ${info.numInputs} tensor input(s), got ${inputs.length}`);
  }
  const handles = inputs.map(toHandle);
  const out = native((a) => a.callOp(name, handles, cleanAttrs(attrs)));
  return out.map((h) => (h ? new Tensor(h) : null));
}

/** Calls an op that returns one tensor. */
export function op1(name: string, inputs: (Tensor | null)[], attrs: Attrs = {}): Tensor {
  const out = op(name, inputs, attrs)[0];
  if (!out) throw new EngineError('E_INTERNAL', `${name} returned no tensor`);
  return out;
}

function flattenNested(data: NestedNumbers, shape: number[], depth: number, out: number[]): void {
  if (Array.isArray(data)) {
    if (shape.length <= depth) shape.push(data.length);
    else if (shape[depth] !== data.length) {
      throw new EngineError('E_SHAPE', `ragged nested array: expected ${shape[depth]} elements at depth ${depth}, got ${data.length}`);
    }
    for (const d of data) flattenNested(d, shape, depth + 1, out);
  } else {
    if (depth !== shape.length && shape.length > 0 && depth < shape.length) {
      throw new EngineError('E_SHAPE', `ragged nested array: found a number at depth ${depth}, expected an array`);
    }
    out.push(typeof data === 'boolean' ? Number(data) : data);
  }
}

function bufferFor(values: ArrayLike<number>, dtype: DType): ArrayBufferView {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
    case 'int32':
      return Int32Array.from(values);
    default:
      return Uint8Array.from(values);
  }
}

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  shape?: number[];
  /** 'cpu' (default), 'cuda' or 'cuda:N' */
  device?: string;
}

/** torch.tensor: from nested arrays or a typed array (with options.shape). */
export function tensor(data: NestedNumbers | TypedArray, options: TensorOptions = {}): Tensor {
  let values: ArrayLike<number>;
  let shape: number[];
  let dtype = options.dtype;
  if (ArrayBuffer.isView(data)) {
    shape = checkShape(options.shape ?? [data.length]);
    if (data instanceof BigInt64Array) {
      dtype ??= 'int64';
      if (dtype === 'int64') return fromTypedArray(data, shape, dtype, options.requiresGrad ?? false, options.device);
      values = Array.from(data, Number);
    } else {
      values = data;
      dtype ??= data instanceof Float64Array ? 'float64' : data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'uint8' : 'float32';
      if (
        (dtype === 'float32' && data instanceof Float32Array) ||
        (dtype === 'float64' && data instanceof Float64Array) ||
        (dtype === 'int32' && data instanceof Int32Array)
      ) {
        return fromTypedArray(data, shape, dtype, options.requiresGrad ?? false, options.device);
      }
    }
  } else {
    const flat: number[] = [];
    shape = [];
    flattenNested(data, shape, 0, flat);
    values = flat;
    // Like torch.tensor: integers give int64, anything else (or requiresGrad) float32.
    dtype ??= flat.every((v) => Number.isInteger(v)) && !options.requiresGrad ? 'int64' : 'float32';
    if (options.shape) shape = checkShape(options.shape);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) {
    throw new EngineError('E_SHAPE', `${values.length} values do not fill shape ${formatShape(shape)} (${count} elements)`);
  }
  return fromTypedArray(bufferFor(values, checkDType(dtype)), shape, dtype, options.requiresGrad ?? false, options.device);
}

function fromTypedArray(data: ArrayBufferView, shape: number[], dtype: DType, requiresGrad: boolean, device?: string): Tensor {
  if (requiresGrad && dtype !== 'float32' && dtype !== 'float64') {
    throw new EngineError('E_DTYPE', `only floating point tensors can require gradients (got ${dtype})`);
  }
  const d = device === undefined ? 'cpu' : checkDevice(device);
  return new Tensor(native((a) => a.fromBuffer(data, shape, dtype, requiresGrad, d)));
}

/** A creation function's dtype, or options with a dtype and a device ('cpu' default, 'cuda', 'cuda:N'). */
export type CreateOptions = DType | { dtype?: DType; device?: string; requiresGrad?: boolean };

function creator(kind: string, shape: number[], options: CreateOptions | undefined, defaultDType: DType, attrs: Attrs = {}): Tensor {
  const o = typeof options === 'string' ? { dtype: options } : (options ?? {});
  const dtype = checkDType(o.dtype ?? defaultDType);
  const device = o.device === undefined ? 'cpu' : checkDevice(o.device);
  const t = new Tensor(native((a) => a.create(kind, checkShape(shape), dtype, cleanAttrs(attrs, kind === 'full'), device)));
  if (o.requiresGrad) t.requiresGrad = true;
  return t;
}

export const zeros = (shape: number[], options?: CreateOptions): Tensor => creator('zeros', shape, options, 'float32');
export const ones = (shape: number[], options?: CreateOptions): Tensor => creator('ones', shape, options, 'float32');
export const empty = (shape: number[], options?: CreateOptions): Tensor => creator('empty', shape, options, 'float32');
export const full = (shape: number[], value: number, options?: CreateOptions): Tensor => creator('full', shape, options, 'float32', { value });
export const rand = (shape: number[], options?: CreateOptions): Tensor => creator('rand', shape, options, 'float32');
export const randn = (shape: number[], options?: CreateOptions): Tensor => creator('randn', shape, options, 'float32');
export function randint(low: number, high: number, shape: number[], options?: CreateOptions): Tensor {
  if (!(high > low)) throw new EngineError('E_ARG', `randint needs high > low, got low=${low} high=${high}`);
  return creator('randint', shape, options, 'int64', { low, high });
}
export function arange(start: number, end?: number, step = 1, options?: CreateOptions): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  const isInt = [s, e, step].every(Number.isInteger);
  return creator('arange', [], options, isInt ? 'int64' : 'float32', { start: s, end: e, step });
}
export const linspace = (start: number, end: number, steps: number, options?: CreateOptions): Tensor =>
  creator('linspace', [], options, 'float32', { start, end, steps });
export const randperm = (n: number, options?: { device?: string }): Tensor => creator('randperm', [], { ...options, dtype: 'int64' }, 'int64', { n });
const like = (t: Tensor): { dtype: DType; device: string } => ({ dtype: t.dtype, device: t.device });
export const zerosLike = (t: Tensor): Tensor => zeros(t.shape, like(t));
export const onesLike = (t: Tensor): Tensor => ones(t.shape, like(t));
export const fullLike = (t: Tensor, value: number): Tensor => full(t.shape, value, like(t));
export const randLike = (t: Tensor): Tensor => rand(t.shape, like(t));
export const randnLike = (t: Tensor): Tensor => randn(t.shape, like(t));
export const randintLike = (t: Tensor, low: number, high: number): Tensor => randint(low, high, t.shape, like(t));

export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new EngineError('E_ARG', `manualSeed needs a non-negative integer, got ${seed}`);
  native((a) => a.manualSeed(seed));
}

/** torch.set_num_threads: CPU threads for kernels (0 restores the default, the physical core count). Returns the count now in use. */
export function setNumThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 0 || threads > 1024) {
    throw new EngineError('E_ARG', `setNumThreads needs an integer between 0 and 1024, got ${threads}`);
  }
  return native((a) => a.setNumThreads(threads));
}

/** torch.no_grad(): runs fn with gradient recording off. */
export function noGrad<T>(fn: () => T): T {
  const a = loadEngine();
  const prev = a.setGradEnabled(false);
  try {
    return fn();
  } finally {
    a.setGradEnabled(prev);
  }
}

/** torch.autograd.grad: d outputs / d inputs, without touching any .grad. */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  options: { gradOutputs?: (Tensor | null)[]; retainGraph?: boolean; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const outs = ([] as Tensor[]).concat(outputs);
  const ins = ([] as Tensor[]).concat(inputs);
  const res = native((a) =>
    a.autogradGrad(
      outs.map((t) => toHandle(t)!),
      ins.map((t) => toHandle(t)!),
      (options.gradOutputs ?? []).map(toHandle),
      options.retainGraph ?? false,
      options.allowUnused ?? false,
    ),
  );
  return res.map((h) => (h ? new Tensor(h) : null));
}

/** Runs fn and disposes every tensor created inside it except those it returns. */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  liveScopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    liveScopes.pop();
  }
  const keep = new Set<TensorHandle>();
  const visit = (v: unknown): void => {
    if (v instanceof Tensor) keep.add(v.handle);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(result);
  for (const t of scope) if (!keep.has(t.handle)) t.dispose();
  const parent = liveScopes[liveScopes.length - 1];
  if (parent) for (const t of scope) if (keep.has(t.handle)) parent.add(t);
  return result;
}

/** torch.cat / torch.stack */
export const cat = (tensors: Tensor[], dim = 0): Tensor => op1('cat', tensors, { dim });
export const stack = (tensors: Tensor[], dim = 0): Tensor => op1('stack', tensors, { dim });
export const where = (cond: Tensor, a: Tensor, b: Tensor): Tensor => op1('where', [cond, a, b]);
