// .mdl files: exactly what torch.save writes (a zip of <name>/data.pkl, <name>/data/<key> storages, byteorder,
// version). The reader accepts what PyTorch 1.13 and 2.x write and nothing that needs code to run: an allow-list
// pickle, checked arithmetic on every size/offset/stride, every view bounds-checked against its storage.
import { checkedAdd, checkedMul, formatError, utf8Decode, utf8Encode } from './errors';
import { pyGlobal, readPickle, writePickle, type PyCall, type PyDict, type PyGlobal, type PyKey, type PyValue, type PyWritable } from './pickle';
import { contiguousStrides, itemSize, numel, type TensorData, type TensorDType } from './tensor';
import { readZip, writeZip, type ZipRecord } from './zip';

const storageTypes: Readonly<Record<string, TensorDType>> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', LongStorage: 'int64',
  IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64', ComplexDoubleStorage: 'complex128', UntypedStorage: 'uint8',
};
const storageOf = Object.fromEntries(Object.entries(storageTypes).filter(([name]) => name !== 'UntypedStorage').map(([name, dtype]) => [dtype, name])) as Record<TensorDType, string>;

const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const ORDERED_DICT = 'collections.OrderedDict';
export const allowedGlobals: ReadonlySet<string> = new Set([ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, ...Object.keys(storageTypes).map((name) => `torch.${name}`)]);

// ---- writing ------------------------------------------------------------------------------------

/** A tensor leaf in a value to be written. */
export interface MdlTensor {
  readonly kind: 'tensor';
  readonly tensor: TensorData;
}
export const mdlTensor = (tensor: TensorData): MdlTensor => ({ kind: 'tensor', tensor });

export type MdlWritable =
  | PyKey
  | MdlTensor
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'tuple'; readonly items: readonly MdlWritable[] }
  | { readonly kind: 'dict'; readonly ordered: boolean; readonly entries: ReadonlyMap<PyKey, MdlWritable> }
  | readonly MdlWritable[];

export interface MdlWriteOptions {
  /** the folder inside the zip; torch 2.x writes "archive" */
  readonly archiveName?: string;
  readonly zip64Threshold?: number;
}

/** Serialises `value` (a state_dict, or a checkpoint dict holding state_dicts) like torch.save; returns file chunks in order. */
export function writeMdl(value: MdlWritable, options: MdlWriteOptions = {}): Uint8Array[] {
  const name = options.archiveName ?? 'archive';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw formatError('E_FORMAT_VALUE', `archive name ${JSON.stringify(name)} must be letters, digits, _ . -`);
  const storages: { key: string; bytes: Uint8Array }[] = [];
  const convert = (v: MdlWritable): PyWritable => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return (v as readonly MdlWritable[]).map(convert);
    const o = v as Exclude<MdlWritable, PyKey | readonly MdlWritable[]>;
    switch (o.kind) {
      case 'float':
        return o;
      case 'tuple':
        return { kind: 'tuple', items: o.items.map(convert) };
      case 'dict':
        return { kind: 'dict', ordered: o.ordered, entries: new Map([...o.entries].map(([k, item]) => [k, convert(item)])) };
      case 'tensor': {
        const t = o.tensor;
        const count = numel(t.shape);
        if (t.bytes.length !== count * itemSize[t.dtype]) {
          throw formatError('E_FORMAT_VALUE', `a ${t.dtype} tensor of shape [${t.shape.join(', ')}] needs ${count * itemSize[t.dtype]} bytes, got ${t.bytes.length}`);
        }
        const key = String(storages.length);
        storages.push({ key, bytes: t.bytes });
        const id: PyWritable = { kind: 'tuple', items: ['storage', pyGlobal('torch', storageOf[t.dtype]), key, 'cpu', count] };
        const call: PyCall = {
          kind: 'call',
          fn: pyGlobal('torch._utils', '_rebuild_tensor_v2'),
          args: [
            { kind: 'persistent', id },
            0,
            { kind: 'tuple', items: [...t.shape] },
            { kind: 'tuple', items: contiguousStrides(t.shape) },
            false,
            { kind: 'call', fn: pyGlobal('collections', 'OrderedDict'), args: [] },
          ],
        };
        return call;
      }
    }
  };
  const pickle = writePickle(convert(value));
  // torch writes storages in sorted key order (string order: 0, 1, 10, 11, 2…)
  const sorted = [...storages].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const records: ZipRecord[] = [
    { name: `${name}/data.pkl`, data: pickle },
    { name: `${name}/byteorder`, data: utf8Encode('little') },
    ...sorted.map((s) => ({ name: `${name}/data/${s.key}`, data: s.bytes })),
    { name: `${name}/version`, data: utf8Encode('3\n') },
  ];
  return writeZip(records, options.zip64Threshold === undefined ? {} : { zip64Threshold: options.zip64Threshold });
}

/** A state_dict (key → tensor, in order) as an OrderedDict, the way torch.save(model.state_dict()) writes it. */
export function stateDictValue(entries: Iterable<[string, TensorData]>): MdlWritable {
  return { kind: 'dict', ordered: true, entries: new Map([...entries].map(([key, t]) => [key, mdlTensor(t)])) };
}

// ---- reading ------------------------------------------------------------------------------------

export interface MdlReadOptions {
  /** total bytes of tensors materialised (views of one storage each count) */
  readonly maxTensorBytes?: number;
  readonly maxTensors?: number;
  readonly maxRank?: number;
  readonly maxMemo?: number;
  readonly maxDepth?: number;
}

export interface OpaqueTensor {
  readonly kind: 'opaque';
  readonly value: TensorData;
}

export function isTensor(v: PyValue | undefined): v is OpaqueTensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'opaque' && Array.isArray((v.value as { shape?: unknown }).shape);
}

interface Storage {
  readonly dtype: TensorDType;
  readonly count: number;
  readonly bytes: Uint8Array;
}

const isTuple = (v: PyValue | undefined): v is { kind: 'tuple'; items: readonly PyValue[] } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'tuple';

function intsOf(v: PyValue | undefined, what: string, maxRank: number): number[] {
  if (!isTuple(v)) throw formatError('E_FORMAT_PICKLE', `${what} is not a tuple`);
  if (v.items.length > maxRank) throw formatError('E_FORMAT_LIMIT', `${what} has ${v.items.length} dimensions (limit ${maxRank})`);
  return v.items.map((item) => {
    if (typeof item === 'bigint') throw formatError('E_FORMAT_SHAPE', `${what} holds ${item}, beyond any real tensor`);
    if (typeof item !== 'number' || !Number.isInteger(item)) throw formatError('E_FORMAT_PICKLE', `${what} holds a non-integer`);
    if (item < 0) throw formatError('E_FORMAT_SHAPE', `${what} holds a negative value ${item}`);
    return item;
  });
}

/** Parses a torch.save zip; the result is the pickled value with tensors as OpaqueTensor leaves. */
export function readMdl(file: Uint8Array, options: MdlReadOptions = {}): PyValue {
  const maxTensorBytes = options.maxTensorBytes ?? 16 * 2 ** 30;
  const maxTensors = options.maxTensors ?? 1_000_000;
  const maxRank = options.maxRank ?? 16;
  if (file.length >= 2 && file[0] === 0x80 && file[1]! <= 5) {
    throw formatError('E_FORMAT_LEGACY', 'this is the legacy (pre-1.6) torch.save format; load it in PyTorch and save it again with torch.save(obj, path) to get the zip format');
  }
  if (file.length >= 262 && [...'ustar'].every((c, i) => file[257 + i] === c.charCodeAt(0))) {
    throw formatError('E_FORMAT_LEGACY', 'this is the legacy tar torch.save format; re-save it with a current PyTorch');
  }
  if (file.length < 4 || file[0] !== 0x50 || file[1] !== 0x4b) {
    throw formatError(file.length < 4 ? 'E_FORMAT_TRUNCATED' : 'E_FORMAT_ZIP', 'not a .mdl / .pt file: it does not start with a zip header (PK)');
  }
  const zip = readZip(file);
  const pickles = [...zip.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  const names = [...zip.entries.keys()];
  if (names.some((name) => /^[^/]+\/(constants\.pkl|code\/)/.test(name))) {
    throw formatError('E_FORMAT_TORCHSCRIPT', 'this is a TorchScript archive (torch.jit.save); export its weights with torch.save(model.state_dict(), path)');
  }
  if (pickles.length !== 1) throw formatError('E_FORMAT_ZIP', pickles.length === 0 ? 'the archive has no <name>/data.pkl record: not a torch.save file' : 'the archive has several data.pkl records');
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  if (names.some((name) => !name.startsWith(prefix))) throw formatError('E_FORMAT_ZIP', `records outside ${prefix} in a torch.save archive`);
  let bigEndian = false;
  if (zip.has(`${prefix}byteorder`)) {
    const order = utf8Decode(zip.read(`${prefix}byteorder`), 'byteorder');
    if (order !== 'little' && order !== 'big') throw formatError('E_FORMAT_ZIP', `byteorder record says ${JSON.stringify(order)}`);
    bigEndian = order === 'big';
  }
  if (zip.has(`${prefix}version`)) {
    const version = Number(utf8Decode(zip.read(`${prefix}version`), 'version').trim());
    if (!Number.isInteger(version) || version < 1 || version > 10) throw formatError('E_FORMAT_ZIP', `unsupported archive version ${version}`);
  }
  const storages = new Map<string, Storage>();
  let tensorBytes = 0;
  let tensors = 0;
  const persistentLoad = (id: PyValue): PyValue => {
    if (!isTuple(id) || id.items.length !== 5 || id.items[0] !== 'storage') throw formatError('E_FORMAT_PICKLE', 'a persistent id that is not a storage reference');
    const [, type, key, location, count] = id.items;
    const storageType = type as PyGlobal;
    const dtype = typeof type === 'object' && type !== null && !Array.isArray(type) && type.kind === 'global' && type.module === 'torch' ? storageTypes[storageType.name] : undefined;
    if (dtype === undefined) throw formatError('E_FORMAT_DTYPE', 'a storage of a type this version does not read');
    if (typeof key !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(key)) throw formatError('E_FORMAT_PICKLE', `storage key ${JSON.stringify(key)} is not a plain name`);
    if (typeof location !== 'string' || location.length > 64) throw formatError('E_FORMAT_PICKLE', 'storage location is not a device name');
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) throw formatError('E_FORMAT_SHAPE', `storage ${key} has an invalid size`);
    const cached = storages.get(key);
    if (cached !== undefined && cached.dtype === dtype && cached.count === count) return { kind: 'opaque', value: cached };
    const record = `${prefix}data/${key}`;
    if (!zip.has(record)) throw formatError('E_FORMAT_STORAGE', `storage ${key} is referenced but the archive has no ${record}`);
    const bytes = zip.read(record);
    if (bytes.length !== checkedMul(count, itemSize[dtype], `storage ${key} size`)) {
      throw formatError('E_FORMAT_STORAGE', `storage ${key} should hold ${count} ${dtype} values (${count * itemSize[dtype]} bytes) but its record has ${bytes.length}`);
    }
    const storage: Storage = { dtype, count, bytes };
    storages.set(key, storage);
    return { kind: 'opaque', value: storage };
  };
  const rebuild = (args: readonly PyValue[]): PyValue => {
    if (args.length < 6 || args.length > 7) throw formatError('E_FORMAT_PICKLE', `_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`);
    const [storageValue, offsetValue, sizeValue, strideValue] = args;
    const storage = typeof storageValue === 'object' && storageValue !== null && !Array.isArray(storageValue) && storageValue.kind === 'opaque' ? (storageValue.value as Storage) : null;
    if (storage === null || typeof storage.count !== 'number' || isTensor(storageValue)) throw formatError('E_FORMAT_PICKLE', '_rebuild_tensor_v2 without a storage');
    if (typeof offsetValue !== 'number' || !Number.isSafeInteger(offsetValue) || offsetValue < 0) throw formatError('E_FORMAT_SHAPE', 'a tensor has an invalid storage offset');
    const shape = intsOf(sizeValue, 'a tensor size', maxRank);
    const stride = intsOf(strideValue, 'a tensor stride', maxRank);
    if (shape.length !== stride.length) throw formatError('E_FORMAT_PICKLE', `a tensor has ${shape.length} sizes but ${stride.length} strides`);
    const count = numel(shape);
    const size = itemSize[storage.dtype];
    if (count > 0) {
      let last = offsetValue;
      for (let d = 0; d < shape.length; d += 1) last = checkedAdd(last, checkedMul(shape[d]! - 1, stride[d]!, 'a view extent'), 'a view extent');
      if (last >= storage.count) {
        throw formatError('E_FORMAT_VIEW', `a tensor view [${shape.join(', ')}] stride (${stride.join(', ')}) offset ${offsetValue} reaches element ${last} of a storage of ${storage.count}: the file is corrupt or hostile`);
      }
    } else if (offsetValue > storage.count) {
      throw formatError('E_FORMAT_VIEW', `an empty tensor's offset ${offsetValue} is past its storage of ${storage.count}`);
    }
    const bytesNeeded = checkedMul(count, size, 'tensor bytes');
    tensorBytes = checkedAdd(tensorBytes, bytesNeeded, 'total tensor bytes');
    tensors += 1;
    if (tensorBytes > maxTensorBytes) throw formatError('E_FORMAT_LIMIT', `the tensors total more than ${maxTensorBytes} bytes`);
    if (tensors > maxTensors) throw formatError('E_FORMAT_LIMIT', `more than ${maxTensors} tensors`);
    const out = gather(storage.bytes, size, shape, stride, offsetValue, count);
    if (bigEndian) swapBytes(out, size, storage.dtype);
    const tensor: TensorData = { dtype: storage.dtype, shape, bytes: out };
    return { kind: 'opaque', value: tensor };
  };
  const reduce = (fn: PyGlobal, args: readonly PyValue[]): PyValue => {
    const full = `${fn.module}.${fn.name}`;
    if (full === ORDERED_DICT) {
      if (args.length === 0) return { kind: 'dict', ordered: true, entries: new Map() };
      throw formatError('E_FORMAT_PICKLE', 'OrderedDict called with arguments');
    }
    if (full === REBUILD_TENSOR) return rebuild(args);
    if (full === REBUILD_PARAMETER) {
      if (args.length !== 3 || !isTensor(args[0])) throw formatError('E_FORMAT_PICKLE', '_rebuild_parameter without a tensor');
      return args[0];
    }
    throw formatError('E_FORMAT_PICKLE', `${full} cannot be called`);
  };
  const pickleOptions = { ...(options.maxMemo === undefined ? {} : { maxMemo: options.maxMemo }), ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }) };
  return readPickle(zip.read(pickles[0]!), { globals: allowedGlobals, persistentLoad, reduce }, pickleOptions);
}

/** Copies a strided view into contiguous bytes (bounds were checked by the caller). */
function gather(source: Uint8Array, size: number, shape: readonly number[], stride: readonly number[], offset: number, count: number): Uint8Array {
  const out = new Uint8Array(count * size);
  if (count === 0) return out;
  const expected = contiguousStrides(shape);
  if (shape.every((dim, d) => dim === 1 || stride[d] === expected[d])) {
    out.set(source.subarray(offset * size, (offset + count) * size));
    return out;
  }
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let from = offset;
  for (let i = 0; i < count; i += 1) {
    out.set(source.subarray(from * size, from * size + size), i * size);
    for (let d = rank - 1; d >= 0; d -= 1) {
      index[d]! += 1;
      from += stride[d]!;
      if (index[d]! < shape[d]!) break;
      from -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

function swapBytes(bytes: Uint8Array, size: number, dtype: TensorDType): void {
  const unit = dtype === 'complex64' ? 4 : dtype === 'complex128' ? 8 : size;
  for (let i = 0; i + unit <= bytes.length; i += unit) bytes.subarray(i, i + unit).reverse();
}

/** A dict value's entries, or null. */
export function dictEntries(v: PyValue | undefined): Map<PyKey, PyValue> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'dict' ? (v as PyDict).entries : null;
}

/**
 * A state_dict from a .mdl: the top-level mapping of str → tensor, or the `model` / `state_dict` entry of a
 * checkpoint dict (ours, or the common {'model': …, 'optimizer': …} layout).
 */
export function readStateDict(file: Uint8Array, options: MdlReadOptions = {}): Map<string, TensorData> {
  return stateDictOf(readMdl(file, options));
}

export function stateDictOf(value: PyValue): Map<string, TensorData> {
  const top = dictEntries(value);
  if (top === null) throw formatError('E_FORMAT_CONTENT', 'the file holds no dict of tensors (save model.state_dict(), not the model object)');
  const asStateDict = (entries: Map<PyKey, PyValue>): Map<string, TensorData> | null => {
    const out = new Map<string, TensorData>();
    for (const [key, item] of entries) {
      if (typeof key !== 'string' || !isTensor(item)) return null;
      out.set(key, item.value);
    }
    return out;
  };
  const direct = asStateDict(top);
  if (direct !== null) return direct;
  for (const name of ['model', 'state_dict', 'model_state_dict']) {
    const inner = dictEntries(top.get(name));
    const found = inner === null ? null : asStateDict(inner);
    if (found !== null) return found;
  }
  throw formatError('E_FORMAT_CONTENT', 'the file is a dict, but neither it nor its "model"/"state_dict" entry maps names to tensors');
}
