// IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed: a magic
// number naming the element type and rank, big-endian dimensions, then the data.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  shape: number[];
  /** element type code from the magic number: 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double */
  type: number;
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

export class IdxError extends Error {
  readonly code = 'E_DATASET';
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}. Expected an IDX file (like train-images-idx3-ubyte.gz from MNIST or Fashion-MNIST).`);
  }
}

const ELEMENT_SIZE: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** Parses IDX bytes; `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (error) {
      throw new IdxError(name, `the gzip stream is corrupt (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (buf.length < 4) throw new IdxError(name, 'the file is too short to hold an IDX header');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint16(0) !== 0) throw new IdxError(name, 'the magic number does not start with two zero bytes');
  const type = view.getUint8(2);
  const rank = view.getUint8(3);
  const size = ELEMENT_SIZE[type];
  if (!size) throw new IdxError(name, `unknown element type 0x${type.toString(16)}`);
  if (rank === 0 || buf.length < 4 + 4 * rank) throw new IdxError(name, `the header declares ${rank} dimensions but is truncated`);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i += 1) {
    const d = view.getUint32(4 + 4 * i);
    shape.push(d);
    count *= d;
  }
  const offset = 4 + 4 * rank;
  const expected = offset + count * size;
  if (buf.length !== expected) {
    throw new IdxError(name, `shape [${shape.join(', ')}] needs ${expected} bytes but the file has ${buf.length}${buf.length < expected ? ' (truncated?)' : ''}`);
  }
  const body = buf.slice(offset);
  let data: IdxArray['data'];
  if (type === 0x08) data = body;
  else if (type === 0x09) data = new Int8Array(body.buffer, body.byteOffset, count);
  else {
    // IDX is big-endian: convert element by element.
    const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (type === 0x0b) data = Int16Array.from({ length: count }, (_, i) => v.getInt16(i * 2));
    else if (type === 0x0c) data = Int32Array.from({ length: count }, (_, i) => v.getInt32(i * 4));
    else if (type === 0x0d) data = Float32Array.from({ length: count }, (_, i) => v.getFloat32(i * 4));
    else data = Float64Array.from({ length: count }, (_, i) => v.getFloat64(i * 8));
  }
  return { shape, type, data };
}

export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new IdxError(path, `cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseIdx(bytes, path);
}

/** Images as float32 in [0, 1] with shape [N, rows*cols] and labels as int64-ready numbers. */
export function loadIdxClassification(imagesPath: string, labelsPath: string): { x: Float32Array; y: Int32Array; count: number; features: number; shape: number[] } {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  const count = images.shape[0]!;
  if (labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw new IdxError(labelsPath, `has ${labels.shape[0]} labels but ${imagesPath} has ${count} images`);
  }
  const features = images.data.length / Math.max(count, 1);
  const x = new Float32Array(images.data.length);
  const scale = images.type === 0x08 ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i += 1) x[i] = images.data[i]! * scale;
  return { x, y: Int32Array.from(labels.data), count, features, shape: images.shape.slice(1) };
}
