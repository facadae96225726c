// Resume checkpoints (until the .mdl writer lands): "NWCKPT01", a little-endian u32 header length, a JSON header,
// then every tensor's raw little-endian bytes at 64-byte-aligned offsets. The header holds step, epoch, the position
// in the epoch's data order, the seed (the engine RNG is reseeded from seed+step each step, so seed+step is the RNG
// state), the schedule and early-stopping state, the optimizer config and per-parameter optimizer state.
// Written atomically: temp file, fsync, rename, fsync of the folder.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const CHECKPOINT_MAGIC = 'NWCKPT01';
export const CHECKPOINT_FORMAT = 'netwright-checkpoint';
export const CHECKPOINT_VERSION = 1;

export type StoredDType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
export type StoredArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface StoredTensor {
  dtype: StoredDType;
  shape: number[];
  data: StoredArray;
}

interface TensorEntry {
  key: string;
  dtype: StoredDType;
  shape: number[];
  offset: number;
  bytes: number;
}

/** Everything but the tensors; `T` is the run's own state record (loop position, schedule, history). */
export interface CheckpointHeader<T = unknown> {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  state: T;
  tensors: TensorEntry[];
  /** per parameter, in the Plan's trainable order: its step count and the names of its buffers' tensor keys */
  optimizer: { step: number; buffers: Record<string, string> }[] | null;
}

export interface Checkpoint<T = unknown> {
  state: T;
  weights: Map<string, StoredTensor>;
  optimizer: { step: number; buffers: Record<string, StoredTensor> }[] | null;
}

export class CheckpointError extends Error {
  readonly code = 'E_CHECKPOINT';
}

const align = (n: number): number => Math.ceil(n / 64) * 64;

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

/** Writes the checkpoint atomically; refuses (E_CHECKPOINT) when any weight is non-finite. */
export function writeCheckpoint<T>(path: string, checkpoint: Checkpoint<T>): void {
  const bad = firstNonFinite(checkpoint.weights);
  if (bad !== null) throw new CheckpointError(`not writing ${path}: weight ${bad} holds NaN or inf (the last good checkpoint is kept)`);
  const all: [string, StoredTensor][] = [...checkpoint.weights];
  const optimizer = checkpoint.optimizer?.map((p, i) => ({
    step: p.step,
    buffers: Object.fromEntries(
      Object.entries(p.buffers).map(([name, t]) => {
        const key = `optimizer.${i}.${name}`;
        all.push([key, t]);
        return [name, key];
      }),
    ),
  })) ?? null;
  let offset = 0;
  const tensors: TensorEntry[] = all.map(([key, t]) => {
    const entry = { key, dtype: t.dtype, shape: t.shape, offset, bytes: t.data.byteLength };
    offset = align(offset + t.data.byteLength);
    return entry;
  });
  const header: CheckpointHeader<T> = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, createdAt: new Date().toISOString(), state: checkpoint.state, tensors, optimizer,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align(12 + json.length));
  prefix.write(CHECKPOINT_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  json.copy(prefix, 12);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, prefix);
    let at = 0;
    const pad = Buffer.alloc(64);
    for (const [, t] of all) {
      // Typed arrays are little-endian on every platform we ship.
      const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      writeSync(fd, bytes);
      at += bytes.length;
      const gap = align(at) - at;
      if (gap) writeSync(fd, pad, 0, gap);
      at += gap;
    }
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

function typed(dtype: StoredDType, bytes: Uint8Array): StoredArray {
  // A fresh, aligned copy (Buffer.slice would be a view into the whole file).
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy);
    case 'float64':
      return new Float64Array(copy);
    case 'int64':
      return new BigInt64Array(copy);
    case 'int32':
      return new Int32Array(copy);
    default:
      return new Uint8Array(copy);
  }
}

export function readCheckpointHeader<T>(bytes: Uint8Array, path: string): { header: CheckpointHeader<T>; dataStart: number } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== CHECKPOINT_MAGIC) {
    throw new CheckpointError(`${path} is not a Netwright checkpoint (no ${CHECKPOINT_MAGIC} magic); pass a .nwck file written by netwright train`);
  }
  const length = buf.readUInt32LE(8);
  if (12 + length > buf.length) throw new CheckpointError(`${path}: the header is truncated`);
  let header: CheckpointHeader<T>;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + length)) as CheckpointHeader<T>;
  } catch {
    throw new CheckpointError(`${path}: the header is not valid JSON`);
  }
  if (header.format !== CHECKPOINT_FORMAT || header.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${path}: unsupported checkpoint format ${String(header.format)} v${String(header.version)}`);
  }
  return { header, dataStart: align(12 + length) };
}

export function readCheckpoint<T>(path: string): Checkpoint<T> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CheckpointError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { header, dataStart } = readCheckpointHeader<T>(bytes, path);
  const byKey = new Map<string, StoredTensor>();
  for (const e of header.tensors) {
    const start = dataStart + e.offset;
    if (start + e.bytes > bytes.length) throw new CheckpointError(`${path}: tensor ${e.key} runs past the end of the file (truncated?)`);
    byKey.set(e.key, { dtype: e.dtype, shape: e.shape, data: typed(e.dtype, bytes.subarray(start, start + e.bytes)) });
  }
  const optimizerKeys = new Set(header.optimizer?.flatMap((p) => Object.values(p.buffers)) ?? []);
  const weights = new Map([...byKey].filter(([k]) => !optimizerKeys.has(k)));
  const optimizer = header.optimizer?.map((p) => ({
    step: p.step,
    buffers: Object.fromEntries(Object.entries(p.buffers).map(([name, key]) => [name, byKey.get(key)!])),
  })) ?? null;
  return { state: header.state, weights, optimizer };
}
