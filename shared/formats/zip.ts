// The zip subset torch.save writes (PyTorchStreamWriter over miniz): stored entries, data 64-byte aligned by an
// "FB" extra field, a data descriptor after each entry, ZIP64 records always, ZIP64 extra fields when an entry or
// offset passes 4 GiB. The reader checks every header against the central directory, bounds, overlaps and CRC-32.
import { checkedAdd, formatError, utf8Decode, utf8Encode } from './errors';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const DESCRIPTOR = 0x08074b50;
const END = 0x06054b50;
const END64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const ALIGN = 64;
const U32_MAX = 0xffffffff;

let crcTable: Uint32Array | null = null;

export function crc32(bytes: Uint8Array, seed = 0): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n += 1) {
      let c = n;
      for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let crc = ~seed >>> 0;
  for (let i = 0; i < bytes.length; i += 1) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

export interface ZipRecord {
  readonly name: string;
  readonly data: Uint8Array;
}

export interface ZipWriteOptions {
  /** sizes/offsets at or above this use ZIP64 fields (4 GiB - 1 as in miniz; lowered only by tests) */
  readonly zip64Threshold?: number;
}

class Bytes {
  private readonly view: DataView;
  readonly bytes: Uint8Array;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(v: number): this {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
    return this;
  }
  raw(b: Uint8Array): this {
    this.bytes.set(b, this.at);
    this.at += b.length;
    return this;
  }
  fill(byte: number, n: number): this {
    this.bytes.fill(byte, this.at, this.at + n);
    this.at += n;
    return this;
  }
}

/** The archive as a list of chunks (headers, then the caller's data arrays unchanged), in file order. */
export function writeZip(records: readonly ZipRecord[], options: ZipWriteOptions = {}): Uint8Array[] {
  const limit = options.zip64Threshold ?? U32_MAX;
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let cursor = 0;
  const seen = new Set<string>();
  for (const record of records) {
    if (seen.has(record.name)) throw formatError('E_FORMAT_VALUE', `zip entry ${record.name} written twice`);
    seen.add(record.name);
    const name = utf8Encode(record.name);
    const size = record.data.length;
    const bigSize = size >= limit;
    const bigOffset = cursor >= limit;
    const zip64 = bigSize || bigOffset;
    const zip64Fields = (bigSize ? 2 : 0) + (bigOffset ? 1 : 0);
    const zip64Extra = zip64 ? 4 + 8 * zip64Fields : 0;
    const start = cursor + 30 + name.length + zip64Extra + 4;
    const padding = (ALIGN - (start % ALIGN)) % ALIGN;
    const header = new Bytes(30 + name.length + zip64Extra + 4 + padding);
    header.u32(LOCAL).u16(zip64 ? 45 : 0).u16(0x0808).u16(0).u16(0).u16(0).u32(0).u32(0).u32(0);
    header.u16(name.length).u16(zip64Extra + 4 + padding).raw(name);
    if (zip64) {
      header.u16(1).u16(8 * zip64Fields);
      if (bigSize) header.u64(size).u64(size);
      if (bigOffset) header.u64(cursor);
    }
    header.u16(0x4246).u16(padding).fill(0x5a, padding); // "FB" + padding of 'Z'
    const crc = crc32(record.data);
    const descriptor = new Bytes(zip64 ? 24 : 16);
    descriptor.u32(DESCRIPTOR).u32(crc);
    if (zip64) descriptor.u64(size).u64(size);
    else descriptor.u32(size).u32(size);
    chunks.push(header.bytes, record.data, descriptor.bytes);
    const centralExtra = zip64 ? 4 + 8 * zip64Fields : 0;
    const entry = new Bytes(46 + name.length + centralExtra);
    entry.u32(CENTRAL).u16(zip64 ? 45 : 0).u16(zip64 ? 45 : 0).u16(0x0808).u16(0).u16(0).u16(0).u32(crc);
    entry.u32(bigSize ? U32_MAX : size).u32(bigSize ? U32_MAX : size).u16(name.length).u16(centralExtra).u16(0).u16(0).u16(0).u32(0);
    entry.u32(bigOffset ? U32_MAX : cursor).raw(name);
    if (zip64) {
      entry.u16(1).u16(8 * zip64Fields);
      if (bigSize) entry.u64(size).u64(size);
      if (bigOffset) entry.u64(cursor);
    }
    central.push(entry.bytes);
    cursor += header.bytes.length + size + descriptor.bytes.length;
  }
  const centralSize = central.reduce((sum, c) => sum + c.length, 0);
  const end = new Bytes(56 + 20 + 22);
  const count = records.length;
  end.u32(END64).u64(44).u16(0x031e).u16(45).u32(0).u32(0).u64(count).u64(count).u64(centralSize).u64(cursor);
  end.u32(LOCATOR64).u32(0).u64(cursor + centralSize).u32(1);
  end.u32(END).u16(0).u16(0).u16(Math.min(count, 0xffff)).u16(Math.min(count, 0xffff));
  end.u32(Math.min(centralSize, U32_MAX)).u32(Math.min(cursor, U32_MAX)).u16(0);
  chunks.push(...central, end.bytes);
  return chunks;
}

export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

// ---- reading ------------------------------------------------------------------------------------

export interface ZipEntry {
  readonly name: string;
  /** where the entry's data starts in the file */
  readonly dataOffset: number;
  readonly size: number;
  readonly crc: number;
  /** 0: stored; anything else is refused when the entry is read */
  readonly method: number;
}

export interface ZipReadOptions {
  readonly maxEntries?: number;
}

export class ZipArchive {
  private readonly checked = new Set<string>();
  constructor(
    private readonly file: Uint8Array,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The entry's bytes (a view into the file), CRC-checked on first read. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (entry === undefined) throw formatError('E_FORMAT_STORAGE', `the archive has no record ${name}`);
    if (entry.method !== 0) throw formatError('E_FORMAT_ZIP', `record ${name} is compressed (method ${entry.method}); torch.save writes stored entries only`);
    const data = this.file.subarray(entry.dataOffset, entry.dataOffset + entry.size);
    if (!this.checked.has(name)) {
      if (crc32(data) !== entry.crc) throw formatError('E_FORMAT_CRC', `record ${name} fails its CRC-32 check: the file is corrupt (re-download or re-export it)`);
      this.checked.add(name);
    }
    return data;
  }
}

function reader(file: Uint8Array): { u16(at: number): number; u32(at: number): number; u64(at: number): number } {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const need = (at: number, n: number): void => {
    if (at < 0 || at + n > file.length) throw formatError('E_FORMAT_TRUNCATED', `the file ends at byte ${file.length}, inside a zip header at ${at} (truncated download?)`);
  };
  return {
    u16: (at) => (need(at, 2), view.getUint16(at, true)),
    u32: (at) => (need(at, 4), view.getUint32(at, true)),
    u64: (at) => {
      need(at, 8);
      const v = view.getBigUint64(at, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw formatError('E_FORMAT_ZIP', `a ZIP64 size or offset (${v}) is beyond any real file`);
      return Number(v);
    },
  };
}

const truncated = (what: string): Error => formatError('E_FORMAT_TRUNCATED', `${what}: the file is truncated or is not a zip archive`);

export function readZip(file: Uint8Array, options: ZipReadOptions = {}): ZipArchive {
  const maxEntries = options.maxEntries ?? 100_000;
  const r = reader(file);
  if (file.length < 22) throw truncated('no end-of-central-directory record');
  // The end record has a variable-length comment; search back at most 64 KiB for a record whose comment ends the file.
  let endAt = -1;
  for (let at = file.length - 22; at >= Math.max(0, file.length - 22 - 0xffff); at -= 1) {
    if (file[at] === 0x50 && r.u32(at) === END && at + 22 + r.u16(at + 20) === file.length) {
      endAt = at;
      break;
    }
  }
  if (endAt < 0) throw truncated('no end-of-central-directory record');
  let count = r.u16(endAt + 10);
  let centralSize = r.u32(endAt + 12);
  let centralAt = r.u32(endAt + 16);
  if (r.u16(endAt + 4) !== 0 || r.u16(endAt + 6) !== 0) throw formatError('E_FORMAT_ZIP', 'multi-disk zip archives are not supported');
  if (endAt >= 20 && r.u32(endAt - 20) === LOCATOR64) {
    const end64 = r.u64(endAt - 12);
    if (r.u32(end64) !== END64) throw formatError('E_FORMAT_ZIP', 'the ZIP64 locator points at no ZIP64 end record');
    count = r.u64(end64 + 32);
    centralSize = r.u64(end64 + 40);
    centralAt = r.u64(end64 + 48);
    if (checkedAdd(centralAt, centralSize, 'central directory end') > end64) throw formatError('E_FORMAT_ZIP', 'the central directory overlaps the ZIP64 end record');
  } else if (checkedAdd(centralAt, centralSize, 'central directory end') > endAt) {
    throw formatError('E_FORMAT_ZIP', 'the central directory overlaps the end record');
  }
  if (count > maxEntries) throw formatError('E_FORMAT_LIMIT', `the archive lists ${count} entries (limit ${maxEntries})`);
  const entries = new Map<string, ZipEntry>();
  const spans: [number, number, string][] = [];
  let at = centralAt;
  for (let i = 0; i < count; i += 1) {
    if (r.u32(at) !== CENTRAL) throw formatError('E_FORMAT_ZIP', `central directory entry ${i} has a bad signature`);
    const flags = r.u16(at + 8);
    const method = r.u16(at + 10);
    const crc = r.u32(at + 16);
    let compressed = r.u32(at + 20);
    let size = r.u32(at + 24);
    const nameLength = r.u16(at + 28);
    const extraLength = r.u16(at + 30);
    const commentLength = r.u16(at + 32);
    let offset = r.u32(at + 42);
    const nameEnd = checkedAdd(at + 46, nameLength, 'entry name');
    if (nameEnd > file.length) throw truncated('a central directory entry');
    const name = utf8Decode(file.subarray(at + 46, nameEnd), 'a zip entry name');
    // ZIP64 extended information: present fields are exactly those whose 32-bit value is 0xFFFFFFFF.
    let extra = nameEnd;
    const extraEnd = nameEnd + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = r.u16(extra);
      const length = r.u16(extra + 2);
      if (extra + 4 + length > extraEnd) throw formatError('E_FORMAT_ZIP', `entry ${name} has a malformed extra field`);
      if (id === 1) {
        let field = extra + 4;
        const take = (): number => {
          if (field + 8 > extra + 4 + length) throw formatError('E_FORMAT_ZIP', `entry ${name} has a short ZIP64 extra field`);
          const v = r.u64(field);
          field += 8;
          return v;
        };
        if (size === U32_MAX) size = take();
        if (compressed === U32_MAX) compressed = take();
        if (offset === U32_MAX) offset = take();
      }
      extra += 4 + length;
    }
    if (method === 0 && compressed !== size) throw formatError('E_FORMAT_ZIP', `entry ${name} is stored but its sizes differ`);
    if ((flags & 1) !== 0) throw formatError('E_FORMAT_ZIP', `entry ${name} is encrypted`);
    if (entries.has(name)) throw formatError('E_FORMAT_ZIP', `entry ${name} appears twice in the central directory`);
    // The local header must agree with the central directory.
    if (r.u32(offset) !== LOCAL) throw formatError('E_FORMAT_ZIP', `entry ${name}: no local header at offset ${offset}`);
    const localName = r.u16(offset + 26);
    const localExtra = r.u16(offset + 28);
    if (localName !== nameLength || r.u16(offset + 8) !== method) throw formatError('E_FORMAT_ZIP', `entry ${name}: local header disagrees with the central directory`);
    for (let k = 0; k < nameLength; k += 1) {
      if (file[offset + 30 + k] !== file[at + 46 + k]) throw formatError('E_FORMAT_ZIP', `entry ${name}: local header names a different file`);
    }
    const dataOffset = checkedAdd(offset + 30 + localName, localExtra, 'entry data offset');
    const dataEnd = checkedAdd(dataOffset, compressed, 'entry data end');
    if (dataEnd > centralAt) throw (dataEnd > file.length ? truncated(`entry ${name}`) : formatError('E_FORMAT_ZIP', `entry ${name} runs into the central directory`));
    spans.push([offset, dataEnd, name]);
    entries.set(name, { name, dataOffset, size, crc, method });
    at = checkedAdd(extraEnd, commentLength, 'central directory entry');
    if (at > centralAt + centralSize) throw formatError('E_FORMAT_ZIP', 'central directory entries run past its declared size');
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i += 1) {
    const [start, , name] = spans[i]!;
    const [, previousEnd, previous] = spans[i - 1]!;
    if (start < previousEnd) throw formatError('E_FORMAT_ZIP', `entries ${previous} and ${name} overlap: a crafted archive (zip bomb or parser confusion)`);
  }
  return new ZipArchive(file, entries);
}
