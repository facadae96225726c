// NumPy .npy files (format 1.0/2.0/3.0, little-endian, C order): read into typed arrays and write float32/int64 arrays.
import { readFileSync, writeFileSync } from 'node:fs';

export type NpyArray = { shape: number[]; data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Int16Array };

export class NpyError extends Error {
  readonly code = 'E_NPY';
}

const MAGIC = '\x93NUMPY';

const kinds: Record<string, { size: number; make: (b: ArrayBuffer) => NpyArray['data'] }> = {
  '<f4': { size: 4, make: (b) => new Float32Array(b) },
  '<f8': { size: 8, make: (b) => new Float64Array(b) },
  '<i8': { size: 8, make: (b) => new BigInt64Array(b) },
  '<i4': { size: 4, make: (b) => new Int32Array(b) },
  '<i2': { size: 2, make: (b) => new Int16Array(b) },
  '|u1': { size: 1, make: (b) => new Uint8Array(b) },
  '|i1': { size: 1, make: (b) => new Int8Array(b) },
  '|b1': { size: 1, make: (b) => new Uint8Array(b) },
};

export function parseNpy(bytes: Uint8Array, name = 'array'): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== MAGIC) throw new NpyError(`${name} is not a .npy file (no \\x93NUMPY magic); save it with numpy.save`);
  const major = buf[6]!;
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(`${name}: the .npy header is malformed`);
  if (fortran === 'True') throw new NpyError(`${name} is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)`);
  const kind = kinds[descr];
  if (kind === undefined) throw new NpyError(`${name}: dtype ${descr} is not supported (use float32, float64, int64, int32, int16, int8, uint8 or bool, little-endian)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (buf.length - start < count * kind.size) throw new NpyError(`${name}: shape (${shape.join(', ')}) needs ${count * kind.size} bytes of data but the file has ${buf.length - start} (truncated?)`);
  // A fresh, aligned copy (Buffer.slice would be a view into a shared pool).
  const body = new Uint8Array(count * kind.size);
  body.set(bytes.subarray(start, start + count * kind.size));
  return { shape, data: kind.make(body.buffer) };
}

export function readNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new NpyError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseNpy(bytes, path);
}

export function encodeNpy(array: { shape: number[]; data: Float32Array | Float64Array | BigInt64Array | Int32Array }): Uint8Array {
  const descr = array.data instanceof Float32Array ? '<f4' : array.data instanceof Float64Array ? '<f8' : array.data instanceof BigInt64Array ? '<i8' : '<i4';
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Header padded with spaces so the data starts at a multiple of 64, ending in a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = Buffer.alloc(total + array.data.byteLength);
  out.write(MAGIC, 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength).copy(out, total);
  return out;
}

export function writeNpy(path: string, array: { shape: number[]; data: Float32Array | Float64Array | BigInt64Array | Int32Array }): void {
  writeFileSync(path, encodeNpy(array));
}
