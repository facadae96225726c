// safetensors (huggingface/safetensors format spec): u64 little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}, __metadata__?}, then the byte buffer. The reader enforces the spec's
// rules: header ≤ 100 MB and a JSON object, offsets in bounds, contiguous and covering the buffer exactly.
import { checkedMul, formatError, utf8Decode, utf8Encode } from './errors';
import { itemSize, numel, type TensorData, type TensorDType } from './tensor';

const codes: Partial<Record<TensorDType, string>> = {
  float64: 'F64', float32: 'F32', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};
const dtypes = new Map(Object.entries(codes).map(([dtype, code]) => [code, dtype as TensorDType]));
const MAX_HEADER = 100_000_000;

const bad = (message: string): Error => formatError('E_FORMAT_SAFETENSORS', message);

export function writeSafetensors(tensors: Iterable<[string, TensorData]>, metadata: Readonly<Record<string, string>> = {}): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const code = codes[t.dtype];
    if (code === undefined) throw formatError('E_FORMAT_VALUE', `safetensors has no dtype for ${t.dtype} (${name})`);
    if (name === '__metadata__' || name in header) throw formatError('E_FORMAT_VALUE', `tensor name ${name} is reserved or repeated`);
    if (t.bytes.length !== numel(t.shape) * itemSize[t.dtype]) throw formatError('E_FORMAT_VALUE', `${name}: ${t.bytes.length} bytes for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: code, shape: [...t.shape], data_offsets: [offset, offset + t.bytes.length] };
    data.push(t.bytes);
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (utf8Encode(json).length % 8)) % 8); // the reference writer pads the header to 8 bytes with spaces
  const headerBytes = utf8Encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return [prefix, headerBytes, ...data];
}

export interface Safetensors {
  readonly tensors: Map<string, TensorData>;
  readonly metadata: Record<string, string>;
}

export function readSafetensors(file: Uint8Array): Safetensors {
  if (file.length < 8) throw formatError('E_FORMAT_TRUNCATED', 'a safetensors file starts with an 8-byte header length; this one is shorter');
  const length = new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER)) throw bad(`the header claims ${length} bytes (limit ${MAX_HEADER})`);
  const headerLength = Number(length);
  if (8 + headerLength > file.length) throw formatError('E_FORMAT_TRUNCATED', `the header runs past the end of the file (${file.length} bytes)`);
  const text = utf8Decode(file.subarray(8, 8 + headerLength), 'the safetensors header');
  if (!text.startsWith('{')) throw bad('the header must be a JSON object starting with "{"');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw bad('the header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('the header is not a JSON object');
  const buffer = file.subarray(8 + headerLength);
  const metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  const tensors = new Map<string, TensorData>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) throw bad('__metadata__ must be a map of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw bad(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof e.dtype === 'string' ? dtypes.get(e.dtype) : undefined;
    if (dtype === undefined) throw formatError('E_FORMAT_DTYPE', `${name}: dtype ${JSON.stringify(e.dtype)} is not read by this version`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) throw bad(`${name}: shape must be a list of non-negative integers`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || (o as number) < 0)) throw bad(`${name}: data_offsets must be [begin, end]`);
    const [begin, end] = offsets as [number, number];
    const shape = e.shape as number[];
    const bytes = checkedMul(numel(shape), itemSize[dtype], `${name} bytes`);
    if (end < begin || end - begin !== bytes) throw bad(`${name}: data_offsets [${begin}, ${end}] do not hold ${bytes} bytes of shape [${shape.join(', ')}]`);
    if (end > buffer.length) throw formatError('E_FORMAT_TRUNCATED', `${name} ends at ${end} but the data has ${buffer.length} bytes`);
    spans.push([begin, end, name]);
    tensors.set(name, { dtype, shape, bytes: buffer.slice(begin, end) });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== at) throw bad(begin < at ? `${name} overlaps the tensor before it` : `a hole of ${begin - at} bytes before ${name}`);
    at = end;
  }
  if (at !== buffer.length) throw bad(`the data is ${buffer.length} bytes but the tensors cover ${at}: the file length must match exactly`);
  return { tensors, metadata };
}
