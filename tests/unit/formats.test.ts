// .mdl reader/writer without PyTorch: round trips (property-based), torch.save's byte layout, and every malformed or
// hostile file we know of gives its one typed error (tests/interop has the real-PyTorch half).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concatChunks, crc32, FormatError, itemSize, numel, readMdl, readStateDict, readZip, stateDictValue, tensorDTypes, utf8Encode, writeMdl, writeZip,
  type TensorData, type TensorDType,
} from '../../shared/formats/index';

const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const u32 = (n: number): string => String.fromCharCode(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
const binunicode = (s: string): string => `X${u32(s.length)}${s}`;

function archive(pickle: Uint8Array, extra: { name: string; data: Uint8Array }[] = []): Uint8Array {
  return concatChunks(writeZip([{ name: 'archive/data.pkl', data: pickle }, ...extra, { name: 'archive/version', data: utf8Encode('3\n') }]));
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof FormatError) return error.code;
    throw error;
  }
  return 'ok';
}

function errorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FormatError) return error;
    throw error;
  }
  throw new Error('expected a FormatError');
}

const sample = (): Map<string, TensorData> =>
  new Map<string, TensorData>([
    ['fc.weight', { dtype: 'float32', shape: [2, 3], bytes: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) }],
    ['fc.bias', { dtype: 'float32', shape: [2], bytes: new Uint8Array(new Float32Array([0.5, -0.5]).buffer) }],
    ['bn.num_batches_tracked', { dtype: 'int64', shape: [], bytes: new Uint8Array(new BigInt64Array([7n]).buffer) }],
  ]);

describe('.mdl writer', () => {
  it('lays out the zip like torch.save: stored entries, 64-byte aligned data, descriptors, ZIP64 end records', () => {
    const file = concatChunks(writeMdl(stateDictValue(sample())));
    const zip = readZip(file);
    expect([...zip.entries.keys()]).toEqual(['archive/data.pkl', 'archive/byteorder', 'archive/data/0', 'archive/data/1', 'archive/data/2', 'archive/version']);
    for (const entry of zip.entries.values()) expect(entry.dataOffset % 64).toBe(0);
    const tail = new DataView(file.buffer, file.byteOffset + file.length - 98);
    expect(tail.getUint32(0, true)).toBe(0x06064b50);
    expect(new TextDecoder().decode(zip.read('archive/version'))).toBe('3\n');
    // the pickle starts like torch's: PROTO 2, GLOBAL collections.OrderedDict, BINPUT 0, EMPTY_TUPLE, REDUCE
    expect([...zip.read('archive/data.pkl').subarray(0, 34)]).toEqual([...bytesOf('\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(')]);
  });

  it('round-trips a state_dict exactly', () => {
    const back = readStateDict(concatChunks(writeMdl(stateDictValue(sample()))));
    expect([...back.keys()]).toEqual([...sample().keys()]);
    for (const [key, t] of sample()) expect(back.get(key)).toEqual(t);
  });

  it('writes ZIP64 extra fields past the threshold and reads them back', () => {
    const file = concatChunks(writeMdl(stateDictValue(sample()), { zip64Threshold: 16 }));
    const back = readStateDict(file);
    for (const [key, t] of sample()) expect(back.get(key)).toEqual(t);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(bytesOf('123456789'))).toBe(0xcbf43926);
  });

  const dtypeArb = fc.constantFrom<TensorDType>(...tensorDTypes);
  const tensorArb = fc
    .tuple(dtypeArb, fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }))
    .chain(([dtype, shape]) =>
      fc.uint8Array({ minLength: numel(shape) * itemSize[dtype], maxLength: numel(shape) * itemSize[dtype] }).map((bytes): TensorData => ({ dtype, shape, bytes })),
    );
  it('round-trips random dtypes and shapes, 0-d and empty tensors included (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z_][a-z0-9_.]{0,12}$/), tensorArb), { selector: ([key]) => key, maxLength: 6 }), (entries) => {
        const back = readStateDict(concatChunks(writeMdl(stateDictValue(entries))));
        expect([...back]).toEqual(entries);
      }),
      { numRuns: 150 },
    );
  });
});

describe('.mdl reader rejects', () => {
  const good = concatChunks(writeMdl(stateDictValue(sample())));

  it('a pickle calling os.system', () => {
    const error = errorOf(() => readMdl(archive(bytesOf(`\x80\x02cos\nsystem\nq\x00${binunicode('touch /tmp/pwned')}\x85R.`))));
    expect(error.code).toBe('E_FORMAT_GLOBAL');
    expect(error.message).toContain('unsupported global os.system');
  });

  it('builtins.eval and other globals', () => {
    expect(code(() => readMdl(archive(bytesOf(`\x80\x02cbuiltins\neval\n${binunicode('1+1')}\x85R.`))))).toBe('E_FORMAT_GLOBAL');
    expect(code(() => readMdl(archive(bytesOf(`\x80\x02c__builtin__\ngetattr\n.`))))).toBe('E_FORMAT_GLOBAL');
    expect(code(() => readMdl(archive(bytesOf(`\x80\x02ctorch\nload\n.`))))).toBe('E_FORMAT_GLOBAL');
  });

  it('a protocol-4 pickle', () => {
    expect(code(() => readMdl(archive(bytesOf('\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94.'))))).toBe('E_FORMAT_PROTOCOL');
    // protocol-4 opcodes without the PROTO marker are refused as well
    expect(code(() => readMdl(archive(bytesOf('\x80\x02\x8c\x02os\x8c\x06system\x93.'))))).toBe('E_FORMAT_PROTOCOL');
  });

  it('REDUCE of an allowed global with the wrong arguments, stack underflow, bad memo index', () => {
    expect(code(() => readMdl(archive(bytesOf('\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)R.'))))).toBe('E_FORMAT_PICKLE');
    expect(code(() => readMdl(archive(bytesOf('\x80\x02R.'))))).toBe('E_FORMAT_PICKLE');
    expect(code(() => readMdl(archive(bytesOf('\x80\x02h\x05.'))))).toBe('E_FORMAT_PICKLE');
  });

  it('a view past its storage', () => {
    const pickle = `\x80\x02ccollections\nOrderedDict\n)R(${binunicode('w')}ctorch._utils\n_rebuild_tensor_v2\n((${binunicode('storage')}ctorch\nFloatStorage\n${binunicode('0')}${binunicode('cpu')}K\x04tQK\x02K\x03\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtRu.`;
    const error = errorOf(() => readMdl(archive(bytesOf(pickle), [{ name: 'archive/data/0', data: new Uint8Array(16) }])));
    expect(error.code).toBe('E_FORMAT_VIEW');
  });

  it('oversized dimensions and a storage whose record is too short', () => {
    const tensor = (size: string, stride: string, numelArg: string): string =>
      `\x80\x02ccollections\nOrderedDict\n)R(${binunicode('w')}ctorch._utils\n_rebuild_tensor_v2\n((${binunicode('storage')}ctorch\nFloatStorage\n${binunicode('0')}${binunicode('cpu')}${numelArg}tQK\x00${size}${stride}\x89ccollections\nOrderedDict\n)RtRu.`;
    const huge = '\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x3f'; // 2^62 - 1
    expect(code(() => readMdl(archive(bytesOf(tensor('J\x00\x00\x00\x40J\x00\x00\x00\x40\x86', 'K\x01K\x01\x86', 'K\x04')), [{ name: 'archive/data/0', data: new Uint8Array(16) }])))).toBe('E_FORMAT_SHAPE');
    expect(code(() => readMdl(archive(bytesOf(tensor(`${huge}${huge}\x86`, 'K\x01K\x01\x86', 'K\x04')), [{ name: 'archive/data/0', data: new Uint8Array(16) }])))).toBe('E_FORMAT_SHAPE');
    expect(code(() => readMdl(archive(bytesOf(tensor('J\x00\x00\x10\x00J\x00\x00\x10\x00\x86', 'K\x01K\x01\x86', 'K\x04')), [{ name: 'archive/data/0', data: new Uint8Array(16) }])))).toBe('E_FORMAT_VIEW');
    expect(code(() => readMdl(archive(bytesOf(tensor('K\x04\x85', 'K\x01\x85', 'K\x08')), [{ name: 'archive/data/0', data: new Uint8Array(16) }])))).toBe('E_FORMAT_STORAGE');
    expect(code(() => readMdl(archive(bytesOf(tensor('K\x04\x85', 'K\x01\x85', 'K\x04')))))).toBe('E_FORMAT_STORAGE');
  });

  it('a TorchScript archive and the legacy format', () => {
    const script = archive(bytesOf('\x80\x02}q\x00.'), [{ name: 'archive/constants.pkl', data: bytesOf('\x80\x02).') }, { name: 'archive/code/__torch__.py', data: bytesOf('') }]);
    expect(code(() => readMdl(script))).toBe('E_FORMAT_TORCHSCRIPT');
    expect(code(() => readMdl(bytesOf('\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.')))).toBe('E_FORMAT_LEGACY');
  });

  it('overlapping zip entries', () => {
    // Two central-directory entries pointing into one local entry.
    const zip = readZip(good);
    const entries = [...zip.entries.values()];
    const file = good.slice();
    const view = new DataView(file.buffer);
    // find the central directory entry of archive/data/1 and point its local-header offset at archive/data/0's
    let at = file.length - 98 - 1;
    for (let i = 0; i + 60 < file.length; i += 1) {
      if (view.getUint32(i, true) === 0x02014b50 && new TextDecoder().decode(file.subarray(i + 46, i + 46 + 14)) === 'archive/data/1') at = i;
    }
    const target = entries.find((e) => e.name === 'archive/data/0')!;
    let local = target.dataOffset - 1;
    while (view.getUint32(local, true) !== 0x04034b50) local -= 1;
    view.setUint32(at + 42, local, true);
    expect(code(() => readMdl(file))).toBe('E_FORMAT_ZIP');
  });

  it('the file truncated at every offset', () => {
    for (let length = 0; length < good.length; length += 1) {
      const result = code(() => readMdl(good.subarray(0, length)));
      expect([ 'E_FORMAT_TRUNCATED', 'E_FORMAT_ZIP' ], `truncated to ${length} bytes`).toContain(result);
    }
  });

  it('every single bit flip: a typed error or the identical state_dict', () => {
    const expected = readStateDict(good);
    const codes = new Map<string, number>();
    for (let byte = 0; byte < good.length; byte += 1) {
      for (let bit = 0; bit < 8; bit += 1) {
        const file = good.slice();
        file[byte]! ^= 1 << bit;
        let result: string;
        try {
          const back = readStateDict(file);
          expect(back).toEqual(expected);
          result = 'same';
        } catch (error) {
          if (!(error instanceof FormatError)) throw new Error(`flip of bit ${bit} of byte ${byte}: ${String(error)}`, { cause: error });
          result = error.code;
        }
        codes.set(result, (codes.get(result) ?? 0) + 1);
      }
    }
    // payload flips are caught by the CRC; flips in padding/unused header fields change nothing
    expect(codes.get('E_FORMAT_CRC')).toBeGreaterThan(0);
  });

  it('limits: memo size and nesting depth', () => {
    const deep = `\x80\x02${']'.repeat(100)}${'a'.repeat(99)}.`;
    expect(code(() => readMdl(archive(bytesOf(deep))))).toBe('E_FORMAT_LIMIT');
    let memo = '\x80\x02N';
    for (let i = 0; i < 300; i += 1) memo += `r${u32(i)}`;
    expect(code(() => readMdl(archive(bytesOf(`${memo}.`)), { maxMemo: 100 }))).toBe('E_FORMAT_LIMIT');
  });

  it('content that is not a state_dict', () => {
    expect(code(() => readStateDict(archive(bytesOf('\x80\x02K\x01.'))))).toBe('E_FORMAT_CONTENT');
  });
});
