// safetensors per its spec: exact round trip, an 8-byte-aligned header, and the spec's rejections.
import { describe, expect, it } from 'vitest';
import { concatChunks, FormatError, readSafetensors, utf8Encode, writeSafetensors, type TensorData } from '../../shared/formats/index';

const t = (dtype: TensorData['dtype'], shape: number[], bytes: number[]): TensorData => ({ dtype, shape, bytes: Uint8Array.from(bytes) });

function file(header: object, data: number[]): Uint8Array {
  const json = utf8Encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const codeOf = (bytes: Uint8Array): string => {
  try {
    readSafetensors(bytes);
    return 'ok';
  } catch (error) {
    if (error instanceof FormatError) return error.code;
    throw error;
  }
};

describe('safetensors', () => {
  it('round-trips tensors and metadata, header padded to 8 bytes', () => {
    const tensors: [string, TensorData][] = [['a', t('float32', [2], [0, 0, 128, 63, 0, 0, 0, 64])], ['b', t('int64', [], [7, 0, 0, 0, 0, 0, 0, 0])], ['c', t('uint8', [0, 3], [])]];
    const bytes = concatChunks(writeSafetensors(tensors, { format: 'pt' }));
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect([...back.tensors]).toEqual(tensors);
    expect(back.metadata).toEqual({ format: 'pt' });
  });

  it('rejects holes, overlaps, trailing bytes, bad offsets, huge headers and truncation', () => {
    const entry = (offsets: [number, number]) => ({ dtype: 'U8', shape: [2], data_offsets: offsets });
    expect(codeOf(file({ a: entry([0, 2]) }, [1, 2]))).toBe('ok');
    expect(codeOf(file({ a: entry([1, 3]) }, [1, 2, 3]))).toBe('E_FORMAT_SAFETENSORS');
    expect(codeOf(file({ a: entry([0, 2]), b: entry([1, 3]) }, [1, 2, 3]))).toBe('E_FORMAT_SAFETENSORS');
    expect(codeOf(file({ a: entry([0, 2]) }, [1, 2, 3]))).toBe('E_FORMAT_SAFETENSORS');
    expect(codeOf(file({ a: entry([0, 3]) }, [1, 2, 3]))).toBe('E_FORMAT_SAFETENSORS');
    expect(codeOf(file({ a: entry([0, 2]) }, [1]))).toBe('E_FORMAT_TRUNCATED');
    expect(codeOf(file({ a: { dtype: 'X9', shape: [1], data_offsets: [0, 1] } }, [1]))).toBe('E_FORMAT_DTYPE');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(codeOf(huge)).toBe('E_FORMAT_SAFETENSORS');
    const good = concatChunks(writeSafetensors([['a', t('uint8', [2], [1, 2])]]));
    for (let n = 0; n < good.length; n += 1) expect(codeOf(good.subarray(0, n)), `truncated to ${n}`).not.toBe('ok');
  });
});
