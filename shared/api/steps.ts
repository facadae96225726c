// Every step of a run: the trainer appends one fixed-size record per optimizer step to `<run>/steps.f64` (the live
// metric stream carries only ≤ 20 steps a second), and openRun sends the records as compact columns. Pure (no Node).
import { z } from 'zod';

/** The file in a run's folder: little-endian float64 records (step, loss, lr), appended in batches. */
export const stepLogFileName = 'steps.f64';
export const stepRecordValues = 3;
export const stepRecordBytes = stepRecordValues * 8;

/** A run's steps as columns. */
export interface StepColumns {
  step: Float64Array;
  loss: Float64Array;
  lr: Float64Array;
}

/**
 * One column: little-endian int32/float32/float64 values, or `runs`: float64 triples (count, first, increment) for
 * columns that are mostly arithmetic runs (steps count up by one; lr changes once an epoch).
 */
const EncodedColumnSchema = z.strictObject({ dtype: z.enum(['int32', 'float32', 'float64', 'runs']), base64: z.string() });
export type EncodedColumn = z.infer<typeof EncodedColumnSchema>;

/** StepColumns on the wire (JSON): little-endian arrays in base64. */
export const EncodedStepsSchema = z.strictObject({
  count: z.number().int().nonnegative(),
  step: EncodedColumnSchema,
  loss: EncodedColumnSchema,
  lr: EncodedColumnSchema,
});
export type EncodedSteps = z.infer<typeof EncodedStepsSchema>;

/**
 * Columns from a step log's bytes. A resumed run continues from its checkpoint, so the steps it repeats replace the
 * ones logged after that checkpoint (the trainer truncates them too; this also covers a log it could not truncate); a
 * torn last record (a crash mid-write) is ignored.
 */
export function readStepLog(bytes: Uint8Array): StepColumns {
  const count = Math.floor(bytes.byteLength / stepRecordBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * stepRecordBytes);
  const step = new Float64Array(count);
  const loss = new Float64Array(count);
  const lr = new Float64Array(count);
  let n = 0;
  for (let r = 0; r < count; r += 1) {
    const at = r * stepRecordBytes;
    const s = view.getFloat64(at, true);
    if (n > 0 && s <= step[n - 1]!) {
      // Back to an earlier step: drop everything from that step on (binary search; steps are increasing).
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (step[mid]! < s) lo = mid + 1;
        else hi = mid;
      }
      n = lo;
    }
    step[n] = s;
    loss[n] = view.getFloat64(at + 8, true);
    lr[n] = view.getFloat64(at + 16, true);
    n += 1;
  }
  return { step: step.subarray(0, n), loss: loss.subarray(0, n), lr: lr.subarray(0, n) };
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const encodeTable = Uint8Array.from(alphabet, (c) => c.charCodeAt(0));
const decodeTable = new Uint8Array(256).fill(255);
for (let i = 0; i < alphabet.length; i += 1) decodeTable[alphabet.charCodeAt(i)] = i;

type TextDecoderLike = new (label: string) => { decode(bytes: Uint8Array): string };
// Node and browsers have TextDecoder (not in this folder's ES-only types); it turns ASCII bytes into a string natively.
const NativeTextDecoder = (globalThis as unknown as { TextDecoder?: TextDecoderLike }).TextDecoder;
const latin1 = NativeTextDecoder !== undefined ? new NativeTextDecoder('latin1') : null;

/** ASCII codes → string. */
function asciiString(codes: Uint8Array): string {
  if (latin1 !== null) return latin1.decode(codes);
  // Chunks keep String.fromCharCode's argument list short.
  const parts: string[] = [];
  for (let at = 0; at < codes.length; at += 0x8000) parts.push(String.fromCharCode.apply(null, codes.subarray(at, at + 0x8000) as unknown as number[]));
  return parts.join('');
}

export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  const whole = bytes.length - (bytes.length % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o] = encodeTable[n >> 18]!;
    out[o + 1] = encodeTable[(n >> 12) & 63]!;
    out[o + 2] = encodeTable[(n >> 6) & 63]!;
    out[o + 3] = encodeTable[n & 63]!;
    o += 4;
  }
  if (whole < bytes.length) {
    const a = bytes[whole]!;
    const b = whole + 1 < bytes.length ? bytes[whole + 1]! : 0;
    out[o] = encodeTable[a >> 2]!;
    out[o + 1] = encodeTable[((a & 3) << 4) | (b >> 4)]!;
    out[o + 2] = whole + 1 < bytes.length ? encodeTable[(b & 15) << 2]! : 61;
    out[o + 3] = 61;
  }
  return asciiString(out);
}

export function fromBase64(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end -= 1;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  const sextet = (i: number): number => {
    const v = decodeTable[text.charCodeAt(i) & 255]!;
    if (v === 255 || text.charCodeAt(i) > 255) throw new Error(`E_BAD_REQUEST: invalid base64 character at ${i}`);
    return v;
  };
  const whole = end - (end % 4);
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const n = (sextet(i) << 18) | (sextet(i + 1) << 12) | (sextet(i + 2) << 6) | sextet(i + 3);
    out[o] = n >> 16;
    out[o + 1] = (n >> 8) & 255;
    out[o + 2] = n & 255;
    o += 3;
  }
  let acc = 0;
  let bits = 0;
  for (let i = whole; i < end; i += 1) {
    acc = (acc << 6) | sextet(i);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o] = (acc >> bits) & 255;
      o += 1;
    }
  }
  return out;
}

// The wire and the file are little-endian; typed arrays use the machine's order, which is little-endian on every
// platform Netwright builds for (checked here rather than assumed).
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Arithmetic runs (count, first, increment) that reproduce `values` exactly; null when there would be too many. */
function arithmeticRuns(values: Float64Array, limit: number): Float64Array | null {
  const runs: number[] = [];
  let i = 0;
  while (i < values.length) {
    const first = values[i]!;
    const increment = i + 1 < values.length ? values[i + 1]! - first : 0;
    let count = 1;
    while (i + count < values.length && Object.is(values[i + count]!, first + count * increment)) count += 1;
    runs.push(count, first, count > 1 ? increment : 0);
    if (runs.length / 3 > limit) return null;
    i += count;
  }
  return Float64Array.from(runs);
}

function encodeColumn(values: Float64Array, integers: boolean): EncodedColumn {
  if (!littleEndian) throw new Error('E_INTERNAL: step columns need a little-endian machine');
  const fits = (convert: (v: number) => number): boolean => {
    for (let i = 0; i < values.length; i += 1) if (!Object.is(convert(values[i]!), values[i]!)) return false;
    return true;
  };
  const base64 = (array: Int32Array | Float32Array | Float64Array): string => toBase64(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  const runs = arithmeticRuns(values, values.length / 16);
  if (runs !== null) return { dtype: 'runs', base64: base64(runs) };
  if (integers && fits((v) => v | 0)) return { dtype: 'int32', base64: base64(Int32Array.from(values)) };
  if (fits(Math.fround)) return { dtype: 'float32', base64: base64(Float32Array.from(values)) };
  return { dtype: 'float64', base64: base64(values) };
}

function decodeColumn(column: EncodedColumn, count: number): Float64Array {
  if (!littleEndian) throw new Error('E_INTERNAL: step columns need a little-endian machine');
  const raw = fromBase64(column.base64);
  const bad = (): Error => new Error(`E_BAD_REQUEST: a ${column.dtype} step column of ${count} values has ${raw.length} bytes`);
  if (column.dtype === 'runs') {
    if (raw.length % 24 !== 0) throw bad();
    const runs = new Float64Array(raw.buffer, 0, raw.length / 8);
    const out = new Float64Array(count);
    let o = 0;
    for (let r = 0; r < runs.length; r += 3) {
      const n = runs[r]!;
      if (!Number.isInteger(n) || n < 1 || o + n > count) throw bad();
      for (let j = 0; j < n; j += 1) out[o + j] = runs[r + 1]! + j * runs[r + 2]!;
      o += n;
    }
    if (o !== count) throw bad();
    return out;
  }
  const size = column.dtype === 'float64' ? 8 : 4;
  if (raw.length !== count * size) throw bad();
  // fromBase64's buffer is fresh and 8-byte aligned.
  if (column.dtype === 'float64') return new Float64Array(raw.buffer, 0, count);
  return Float64Array.from(column.dtype === 'int32' ? new Int32Array(raw.buffer, 0, count) : new Float32Array(raw.buffer, 0, count));
}

/**
 * Columns for the wire, each exact: arithmetic runs when there are few (steps, lr), else int32, float32 when every value
 * is a float32 (a float32 model's loss is), else float64. 1,000,000 steps of a float32 model are ~4 MB before base64.
 */
export function encodeSteps(columns: StepColumns): EncodedSteps {
  return { count: columns.step.length, step: encodeColumn(columns.step, true), loss: encodeColumn(columns.loss, false), lr: encodeColumn(columns.lr, false) };
}

export function decodeSteps(encoded: EncodedSteps): StepColumns {
  return { step: decodeColumn(encoded.step, encoded.count), loss: decodeColumn(encoded.loss, encoded.count), lr: decodeColumn(encoded.lr, encoded.count) };
}
