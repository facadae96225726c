// Resume checkpoints as .mdl (torch.save's zip format, shared/formats): a dict that torch.load(weights_only=True)
// accepts — `model` (the state_dict), `optimizer` (torch.optim's {state, param_groups} layout, per parameter in
// the Plan's trainable order), `epoch`, `step`, `rng` (seed + step: the engine RNG is reseeded from them each step),
// `graph_hash`, and `netwright` (format, version and the loop's whole state record as JSON).
// Written atomically: temp file, fsync, rename, fsync of the folder.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  dictEntries, FormatError, isTensor, mdlTensor, readMdl, readSafetensors, stateDictOf, writeMdl, type MdlWritable, type PyKey, type PyValue, type TensorData,
} from '../../shared/formats/index';

export const CHECKPOINT_FORMAT = 'netwright-checkpoint';
export const CHECKPOINT_VERSION = 2;

export type StoredDType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
export type StoredArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface StoredTensor {
  dtype: StoredDType;
  shape: number[];
  data: StoredArray;
}

export interface Checkpoint<T = unknown> {
  state: T;
  weights: Map<string, StoredTensor>;
  optimizer: { step: number; buffers: Record<string, StoredTensor> }[] | null;
}

export class CheckpointError extends Error {
  readonly code = 'E_CHECKPOINT';
}

function isFloat(t: StoredTensor): t is StoredTensor & { data: Float32Array | Float64Array } {
  return t.dtype === 'float32' || t.dtype === 'float64';
}

/** The first tensor (by key) holding NaN or ±inf, or null. */
export function firstNonFinite(tensors: Iterable<[string, StoredTensor]>): string | null {
  for (const [key, t] of tensors) {
    if (!isFloat(t)) continue;
    for (let i = 0; i < t.data.length; i += 1) if (!Number.isFinite(t.data[i]!)) return key;
  }
  return null;
}

const toData = (t: StoredTensor): TensorData => ({ dtype: t.dtype, shape: t.shape, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) });
const dict = (entries: Iterable<[PyKey, MdlWritable]>, ordered = false): MdlWritable => ({ kind: 'dict', ordered, entries: new Map(entries) });
const field = (state: unknown, name: string): unknown => (typeof state === 'object' && state !== null ? (state as Record<string, unknown>)[name] : undefined);
const int = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : 0);

/** The checkpoint as the value written to the .mdl (exported for tests and the CLI). */
export function checkpointValue<T>(checkpoint: Checkpoint<T>): MdlWritable {
  const state = checkpoint.state;
  const optimizer = checkpoint.optimizer === null
    ? null
    : dict([
        ['state', dict(checkpoint.optimizer.map((p, i): [PyKey, MdlWritable] => [i, dict([['step', p.step], ...Object.entries(p.buffers).map(([name, t]): [PyKey, MdlWritable] => [name, mdlTensor(toData(t))])])]))],
        ['param_groups', [dict([['params', checkpoint.optimizer.map((_, i) => i)]])]],
      ]);
  return dict([
    ['model', dict([...checkpoint.weights].map(([key, t]): [PyKey, MdlWritable] => [key, mdlTensor(toData(t))]), true)],
    ['optimizer', optimizer],
    ['epoch', int(field(state, 'epoch'))],
    ['step', int(field(state, 'step'))],
    ['rng', dict([['seed', int(field(state, 'seed'))], ['step', int(field(state, 'step'))]])],
    ['graph_hash', String(field(state, 'planHash') ?? '')],
    ['netwright', dict([['format', CHECKPOINT_FORMAT], ['version', CHECKPOINT_VERSION], ['created_at', new Date().toISOString()], ['state_json', JSON.stringify(state)]])],
  ]);
}

/** Writes the checkpoint atomically; refuses (E_CHECKPOINT) when any weight is non-finite. */
export function writeCheckpoint<T>(path: string, checkpoint: Checkpoint<T>): void {
  const bad = firstNonFinite(checkpoint.weights);
  if (bad !== null) throw new CheckpointError(`not writing ${path}: weight ${bad} holds NaN or inf (the last good checkpoint is kept)`);
  const chunks = writeMdl(checkpointValue(checkpoint));
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of chunks) writeSync(fd, chunk);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw new CheckpointError(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  closeSync(fd);
  renameSync(tmp, path);
  try {
    const dirFd = openSync(dirname(path), 'r');
    fsyncSync(dirFd);
    closeSync(dirFd);
  } catch {
    /* directories cannot be fsynced on every platform */
  }
}

function stored(t: TensorData, key: string, path: string): StoredTensor {
  // A fresh, aligned copy (the reader's bytes may be a view into the whole file). NOTE: Uint8Array's slice: a Node
  // Buffer's own slice() is a view of the whole pool (safetensors tensors are Buffer views).
  const copy = Uint8Array.prototype.slice.call(t.bytes).buffer;
  switch (t.dtype) {
    case 'float32':
      return { dtype: t.dtype, shape: [...t.shape], data: new Float32Array(copy) };
    case 'float64':
      return { dtype: t.dtype, shape: [...t.shape], data: new Float64Array(copy) };
    case 'int64':
      return { dtype: t.dtype, shape: [...t.shape], data: new BigInt64Array(copy) };
    case 'int32':
      return { dtype: t.dtype, shape: [...t.shape], data: new Int32Array(copy) };
    case 'uint8':
    case 'bool':
      return { dtype: t.dtype, shape: [...t.shape], data: new Uint8Array(copy) };
    default:
      throw new CheckpointError(`${path}: ${key} is ${t.dtype}, which the engine does not hold; convert it in PyTorch (tensor.float())`);
  }
}

function tensors(entries: Map<PyKey, PyValue> | null, path: string, what: string): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [key, value] of entries ?? []) {
    if (typeof key !== 'string' || !isTensor(value)) throw new CheckpointError(`${path}: ${what} entry ${String(key)} is not a tensor`);
    out.set(key, stored(value.value, key, path));
  }
  return out;
}

/** Reads a resume checkpoint written by writeCheckpoint. */
export function readCheckpoint<T>(path: string): Checkpoint<T> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CheckpointError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: PyValue;
  try {
    value = readMdl(bytes);
  } catch (error) {
    if (error instanceof FormatError) throw new CheckpointError(`${path} is not a Netwright checkpoint (.mdl): ${error.code}: ${error.message}`);
    throw error;
  }
  const top = dictEntries(value);
  const meta = dictEntries(top?.get('netwright'));
  const stateJson = meta?.get('state_json');
  if (top === null || meta === null || meta.get('format') !== CHECKPOINT_FORMAT || typeof stateJson !== 'string') {
    throw new CheckpointError(`${path} is not a Netwright checkpoint (a .mdl without our resume state; for plain weights use import or --weights)`);
  }
  if (meta.get('version') !== CHECKPOINT_VERSION) throw new CheckpointError(`${path}: unsupported checkpoint version ${String(meta.get('version'))}`);
  const weights = tensors(dictEntries(top.get('model')), path, 'model');
  const optimizerDict = dictEntries(top.get('optimizer'));
  let optimizer: Checkpoint['optimizer'] = null;
  if (optimizerDict !== null) {
    const perParam = dictEntries(optimizerDict.get('state')) ?? new Map<PyKey, PyValue>();
    optimizer = [...perParam].sort(([a], [b]) => Number(a) - Number(b)).map(([, entry]) => {
      const fields = dictEntries(entry) ?? new Map<PyKey, PyValue>();
      const step = fields.get('step');
      fields.delete('step');
      return { step: typeof step === 'number' ? step : 0, buffers: Object.fromEntries(tensors(fields, path, 'optimizer')) };
    });
  }
  return { state: JSON.parse(stateJson) as T, weights, optimizer };
}

/**
 * Weights from any file the app reads: a resume checkpoint, a plain state_dict .mdl/.pt (PyTorch's own), or
 * .safetensors. The tensors come back in the file's order; optimizer state is never read from plain weights.
 */
export function readWeightsFile(path: string): Map<string, TensorData> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CheckpointError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    if (path.endsWith('.safetensors')) return readSafetensors(bytes).tensors;
    return stateDictOf(readMdl(bytes));
  } catch (error) {
    if (error instanceof FormatError) throw new CheckpointError(`${path} is not a Netwright checkpoint or weights file: ${error.code}: ${error.message}`);
    throw error;
  }
}

/** readWeightsFile as a Checkpoint without state or optimizer (eval, predict, export). */
export function readWeights(path: string): Checkpoint<null> {
  const weights = new Map([...readWeightsFile(path)].map(([key, t]) => [key, stored(t, key, path)] as const));
  return { state: null, weights, optimizer: null };
}
