// A tensor as the file formats carry it: dtype, shape and contiguous row-major little-endian bytes.
import { checkedMul, formatError } from './errors';

export const tensorDTypes = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'complex64', 'complex128'] as const;
export type TensorDType = (typeof tensorDTypes)[number];

export const itemSize: Readonly<Record<TensorDType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1, complex64: 8, complex128: 16,
};

export interface TensorData {
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  /** numel × itemSize bytes, row-major, little-endian */
  readonly bytes: Uint8Array;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw formatError('E_FORMAT_SHAPE', `dimension ${dim} is not a non-negative integer`);
    n = checkedMul(n, dim, 'the element count');
  }
  return n;
}

export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** A tensor from a typed array (the bytes are copied; typed arrays are little-endian on every platform we ship). */
export function tensorFrom(dtype: TensorDType, shape: readonly number[], data: TypedArray | Uint8Array): TensorData {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (bytes.length !== checkedMul(numel(shape), itemSize[dtype], 'tensor bytes')) {
    throw formatError('E_FORMAT_VALUE', `a ${dtype} tensor of shape [${shape.join(', ')}] needs ${numel(shape) * itemSize[dtype]} bytes, got ${bytes.length}`);
  }
  return { dtype, shape: [...shape], bytes };
}

/** The values as a typed array (a copy) for the dtypes JavaScript has; float16/bfloat16 widen to float32. */
export function typedArray(t: TensorData): TypedArray {
  // NOTE: Uint8Array.prototype.slice, not t.bytes.slice(): a Node Buffer's slice() is a view of its whole pool.
  const copy = Uint8Array.prototype.slice.call(t.bytes).buffer;
  switch (t.dtype) {
    case 'float32':
      return new Float32Array(copy);
    case 'float64':
      return new Float64Array(copy);
    case 'int64':
      return new BigInt64Array(copy);
    case 'int32':
      return new Int32Array(copy);
    case 'int16':
      return new Int16Array(copy);
    case 'int8':
      return new Int8Array(copy);
    case 'uint8':
    case 'bool':
      return new Uint8Array(copy);
    case 'float16':
    case 'bfloat16': {
      const halves = new Uint16Array(copy);
      const out = new Float32Array(halves.length);
      for (let i = 0; i < halves.length; i += 1) out[i] = t.dtype === 'bfloat16' ? bf16ToFloat(halves[i]!) : f16ToFloat(halves[i]!);
      return out;
    }
    case 'complex64':
      return new Float32Array(copy);
    case 'complex128':
      return new Float64Array(copy);
  }
}

function f16ToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bf16ToFloat(h: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, h << 16, false);
  return view.getFloat32(0, false);
}

/** Row-major strides for a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i -= 1) {
    strides[i] = stride;
    stride *= Math.max(shape[i]!, 1);
  }
  return strides;
}
