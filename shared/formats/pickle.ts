// The pickle subset torch.save uses (protocol 2): a writer for the values our checkpoints hold, and a reader that is a
// small stack machine over an allow-list of opcodes and globals. Nothing is ever imported or called: an allowed
// global is a marker, and REDUCE on a marker is handled by the caller's `reduce` hook.
import { formatError, utf8Decode, utf8Encode } from './errors';

// ---- values -------------------------------------------------------------------------------------

export interface PyGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}
export interface PyTuple {
  readonly kind: 'tuple';
  readonly items: readonly PyValue[];
}
/** A dict or OrderedDict; keys are primitives (str, int, bool, None). */
export interface PyDict {
  readonly kind: 'dict';
  readonly ordered: boolean;
  readonly entries: Map<PyKey, PyValue>;
}
/** Something the caller's hooks built (a storage, a tensor). */
export interface PyOpaque {
  readonly kind: 'opaque';
  readonly value: unknown;
}
/** Forces a float in the writer (a whole-number JS number is written as int). */
export interface PyFloat {
  readonly kind: 'float';
  readonly value: number;
}
export type PyKey = string | number | bigint | boolean | null;
export type PyValue = PyKey | PyFloat | PyTuple | PyDict | PyGlobal | PyOpaque | PyValue[];

export const pyTuple = (...items: PyValue[]): PyTuple => ({ kind: 'tuple', items });
export const pyFloat = (value: number): PyFloat => ({ kind: 'float', value });
export const pyGlobal = (module: string, name: string): PyGlobal => ({ kind: 'global', module, name });
export const pyDict = (entries: Iterable<[PyKey, PyValue]>, ordered = false): PyDict => ({ kind: 'dict', ordered, entries: new Map(entries) });

// ---- writer -------------------------------------------------------------------------------------

/** What the writer can emit besides plain values: a call of a global (REDUCE) and a persistent id (BINPERSID). */
export interface PyCall {
  readonly kind: 'call';
  readonly fn: PyGlobal;
  readonly args: readonly PyWritable[];
}
export interface PyPersistent {
  readonly kind: 'persistent';
  readonly id: PyWritable;
}
export type PyWritable =
  | PyKey
  | PyFloat
  | PyGlobal
  | PyCall
  | PyPersistent
  | { readonly kind: 'tuple'; readonly items: readonly PyWritable[] }
  | { readonly kind: 'dict'; readonly ordered: boolean; readonly entries: ReadonlyMap<PyKey, PyWritable> }
  | readonly PyWritable[];

class Out {
  private buffer = new Uint8Array(1024);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buffer[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }
  u32(v: number): void {
    this.byte(v & 0xff);
    this.byte((v >>> 8) & 0xff);
    this.byte((v >>> 16) & 0xff);
    this.byte((v >>> 24) & 0xff);
  }
  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

const ASCII = (text: string): Uint8Array => utf8Encode(text);

/** Pickles `value` with protocol 2, memoising like Python's pickler (BINPUT after each object, BINGET on reuse of strings and globals). */
export function writePickle(value: PyWritable): Uint8Array {
  const out = new Out();
  const memo = new Map<string, number>();
  let next = 0;
  const put = (): void => {
    const index = next++;
    if (index < 256) {
      out.byte(0x71); // BINPUT
      out.byte(index);
    } else {
      out.byte(0x72); // LONG_BINPUT
      out.u32(index);
    }
  };
  const get = (index: number): void => {
    if (index < 256) {
      out.byte(0x68); // BINGET
      out.byte(index);
    } else {
      out.byte(0x6a); // LONG_BINGET
      out.u32(index);
    }
  };
  const memoised = (key: string, emit: () => void): void => {
    const seen = memo.get(key);
    if (seen !== undefined) return get(seen);
    emit();
    memo.set(key, next);
    put();
  };
  const int = (v: bigint): void => {
    if (v >= 0n && v < 256n) {
      out.byte(0x4b); // BININT1
      out.byte(Number(v));
    } else if (v >= 0n && v < 65536n) {
      out.byte(0x4d); // BININT2
      out.byte(Number(v) & 0xff);
      out.byte(Number(v) >> 8);
    } else if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      out.byte(0x4a); // BININT
      out.u32(Number(BigInt.asUintN(32, v)));
    } else {
      // LONG1: little-endian two's complement, minimal length
      const bytes: number[] = [];
      let rest = v;
      for (;;) {
        const b = Number(BigInt.asUintN(8, rest));
        bytes.push(b);
        rest >>= 8n;
        if ((rest === 0n && (b & 0x80) === 0) || (rest === -1n && (b & 0x80) !== 0)) break;
      }
      out.byte(0x8a);
      out.byte(bytes.length);
      for (const b of bytes) out.byte(b);
    }
  };
  const float = (v: number): void => {
    out.byte(0x47); // BINFLOAT, big-endian
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v, false);
    out.bytes(new Uint8Array(view.buffer));
  };
  const emit = (v: PyWritable): void => {
    if (v === null) return out.byte(0x4e);
    if (typeof v === 'boolean') return out.byte(v ? 0x88 : 0x89);
    if (typeof v === 'bigint') return int(v);
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return int(BigInt(v));
      return float(v);
    }
    if (typeof v === 'string') {
      return memoised(`s:${v}`, () => {
        const bytes = utf8Encode(v);
        out.byte(0x58); // BINUNICODE
        out.u32(bytes.length);
        out.bytes(bytes);
      });
    }
    if (Array.isArray(v)) {
      out.byte(0x5d); // EMPTY_LIST
      put();
      if (v.length > 0) {
        out.byte(0x28); // MARK
        for (const item of v as readonly PyWritable[]) emit(item);
        out.byte(0x65); // APPENDS
      }
      return;
    }
    const o = v as Exclude<PyWritable, PyKey | readonly PyWritable[]>;
    switch (o.kind) {
      case 'float':
        return float(o.value);
      case 'global':
        return memoised(`g:${o.module}.${o.name}`, () => {
          out.byte(0x63); // GLOBAL
          out.bytes(ASCII(`${o.module}\n${o.name}\n`));
        });
      case 'tuple': {
        const n = o.items.length;
        if (n === 0) return out.byte(0x29); // EMPTY_TUPLE
        if (n > 3) out.byte(0x28); // MARK
        for (const item of o.items) emit(item);
        out.byte(n === 1 ? 0x85 : n === 2 ? 0x86 : n === 3 ? 0x87 : 0x74);
        return put();
      }
      case 'dict': {
        if (o.ordered) {
          emit(pyGlobal('collections', 'OrderedDict'));
          out.byte(0x29); // EMPTY_TUPLE
          out.byte(0x52); // REDUCE
        } else {
          out.byte(0x7d); // EMPTY_DICT
        }
        put();
        if (o.entries.size > 0) {
          // SETITEMS in batches of 1000, as Python does
          const entries = [...o.entries];
          for (let i = 0; i < entries.length; i += 1000) {
            out.byte(0x28); // MARK
            for (const [key, item] of entries.slice(i, i + 1000)) {
              emit(key);
              emit(item);
            }
            out.byte(0x75); // SETITEMS
          }
        }
        return;
      }
      case 'call':
        emit(o.fn);
        emit({ kind: 'tuple', items: o.args });
        out.byte(0x52); // REDUCE
        return put();
      case 'persistent':
        emit(o.id);
        return out.byte(0x51); // BINPERSID
    }
  };
  out.byte(0x80);
  out.byte(2);
  emit(value);
  out.byte(0x2e); // STOP
  return out.result();
}

// ---- reader -------------------------------------------------------------------------------------

export interface PickleLimits {
  /** memo entries */
  readonly maxMemo?: number;
  /** container nesting depth */
  readonly maxDepth?: number;
  /** items on the stack (and in all open MARK frames) at once */
  readonly maxStack?: number;
}

export interface PickleHooks {
  /** "module.name" → allowed; anything else is E_FORMAT_GLOBAL */
  readonly globals: ReadonlySet<string>;
  /** BINPERSID */
  persistentLoad(id: PyValue): PyValue;
  /** REDUCE of an allowed global with a tuple of arguments */
  reduce(fn: PyGlobal, args: readonly PyValue[]): PyValue;
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

const OPNAMES: Record<number, string> = {
  0x95: 'FRAME (protocol 4)', 0x8c: 'SHORT_BINUNICODE (protocol 4)', 0x93: 'STACK_GLOBAL (protocol 4)', 0x94: 'MEMOIZE (protocol 4)',
  0x8d: 'BINUNICODE8 (protocol 4)', 0x8e: 'BINBYTES8 (protocol 4)', 0x8f: 'EMPTY_SET (protocol 4)', 0x90: 'ADDITEMS (protocol 4)',
  0x91: 'FROZENSET (protocol 4)', 0x92: 'NEWOBJ_EX (protocol 4)', 0x96: 'BYTEARRAY8 (protocol 5)', 0x97: 'NEXT_BUFFER (protocol 5)',
  0x98: 'READONLY_BUFFER (protocol 5)', 0x42: 'BINBYTES (protocol 3)', 0x43: 'SHORT_BINBYTES (protocol 3)', 0x69: 'INST', 0x6f: 'OBJ',
  0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x46: 'FLOAT', 0x49: 'INT', 0x4c: 'LONG', 0x50: 'PERSID', 0x67: 'GET', 0x70: 'PUT',
};

function depthOf(v: PyValue, depths: WeakMap<object, number>): number {
  return typeof v === 'object' && v !== null ? (depths.get(v) ?? 1) : 0;
}

/** Runs the pickle program; returns the value STOP leaves on the stack. Every rejection is a FormatError. */
export function readPickle(bytes: Uint8Array, hooks: PickleHooks, limits: PickleLimits = {}): PyValue {
  const maxMemo = limits.maxMemo ?? 1_000_000;
  const maxDepth = limits.maxDepth ?? 64;
  const maxStack = limits.maxStack ?? 1_000_000;
  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();
  const depths = new WeakMap<object, number>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const truncated = (): Error => formatError('E_FORMAT_TRUNCATED', `the pickle ends at byte ${bytes.length} in the middle of an opcode (truncated file?)`);
  const need = (n: number): void => {
    if (at + n > bytes.length) throw truncated();
  };
  const u8 = (): number => (need(1), bytes[at++]!);
  const u16 = (): number => (need(2), (at += 2), view.getUint16(at - 2, true));
  const u32 = (): number => (need(4), (at += 4), view.getUint32(at - 4, true));
  const malformed = (what: string): Error => formatError('E_FORMAT_PICKLE', `malformed pickle at byte ${at}: ${what}`);
  const push = (v: Slot): void => {
    if (stack.length >= maxStack) throw formatError('E_FORMAT_LIMIT', `the pickle stack grows past ${maxStack} items`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) throw malformed('stack underflow');
    if (v === MARK) throw malformed('a MARK where a value was expected');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw malformed('stack underflow');
    return v;
  };
  const popMark = (): PyValue[] => {
    const items: PyValue[] = [];
    for (;;) {
      const v = stack.pop();
      if (v === undefined) throw malformed('no MARK to pop to');
      if (v === MARK) return items.reverse();
      items.push(v);
    }
  };
  const made = <T extends object>(container: T, children: readonly PyValue[]): T => {
    let depth = 1;
    for (const child of children) depth = Math.max(depth, depthOf(child, depths) + 1);
    if (depth > maxDepth) throw formatError('E_FORMAT_LIMIT', `values nest deeper than ${maxDepth} levels`);
    depths.set(container, depth);
    return container;
  };
  const grow = (container: object, child: PyValue): void => {
    const depth = depthOf(child, depths) + 1;
    if (depth > maxDepth) throw formatError('E_FORMAT_LIMIT', `values nest deeper than ${maxDepth} levels`);
    if (depth > (depths.get(container) ?? 1)) depths.set(container, depth);
  };
  const memoPut = (index: number): void => {
    if (!memo.has(index) && memo.size >= maxMemo) throw formatError('E_FORMAT_LIMIT', `the pickle memo grows past ${maxMemo} entries`);
    memo.set(index, top());
  };
  const memoGet = (index: number): void => {
    const v = memo.get(index);
    if (v === undefined) throw malformed(`memo index ${index} was never stored`);
    push(v);
  };
  const line = (): string => {
    const start = at;
    while (at < bytes.length && bytes[at] !== 0x0a) {
      if (at - start > 256) throw malformed('a GLOBAL name longer than 256 bytes');
      at += 1;
    }
    if (at >= bytes.length) throw truncated();
    const text = utf8Decode(bytes.subarray(start, at), 'a GLOBAL name');
    at += 1;
    return text;
  };
  const dictOf = (v: PyValue, op: string): PyDict => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v.kind !== 'dict') throw malformed(`${op} on something that is not a dict`);
    return v;
  };
  const keyOf = (v: PyValue): PyKey => {
    if (typeof v === 'object' && v !== null) throw malformed('a dict key that is not a str, int, bool or None');
    return v;
  };
  const setItems = (dict: PyDict, items: readonly PyValue[]): void => {
    if (items.length % 2 !== 0) throw malformed('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      dict.entries.set(keyOf(items[i]!), items[i + 1]!);
      grow(dict, items[i + 1]!);
    }
  };
  const listOf = (v: PyValue): PyValue[] => {
    if (!Array.isArray(v)) throw malformed('APPEND on something that is not a list');
    return v;
  };

  if (bytes.length === 0) throw truncated();
  for (;;) {
    const opAt = at;
    const op = u8();
    switch (op) {
      case 0x80: {
        const protocol = u8();
        if (opAt !== 0) throw malformed('PROTO not at the start');
        if (protocol > 2) throw formatError('E_FORMAT_PROTOCOL', `pickle protocol ${protocol}: torch.save writes protocol 2; re-save the file with torch.save(obj, path) (default pickle_protocol=2)`);
        break;
      }
      case 0x2e: // STOP
        if (stack.length !== 1) throw malformed(`STOP with ${stack.length} items on the stack`);
        if (at !== bytes.length) throw malformed(`${bytes.length - at} bytes after STOP`);
        return pop();
      case 0x28: // MARK
        push(MARK);
        break;
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x63: {
        const module = line();
        const name = line();
        const full = `${module}.${name}`;
        if (!hooks.globals.has(full)) {
          throw formatError('E_FORMAT_GLOBAL', `unsupported global ${full}: a checkpoint never needs it, so the file was refused unread (it may be hostile); only state_dicts of tensors are read`);
        }
        push({ kind: 'global', module, name });
        break;
      }
      case 0x71:
        memoPut(u8());
        break;
      case 0x72:
        memoPut(u32());
        break;
      case 0x68:
        memoGet(u8());
        break;
      case 0x6a:
        memoGet(u32());
        break;
      case 0x29:
        push(made({ kind: 'tuple', items: [] } as PyTuple, []));
        break;
      case 0x74: {
        const items = popMark();
        push(made({ kind: 'tuple', items } as PyTuple, items));
        break;
      }
      case 0x85:
      case 0x86:
      case 0x87: {
        const n = op - 0x84;
        const items: PyValue[] = [];
        for (let i = 0; i < n; i += 1) items.unshift(pop());
        push(made({ kind: 'tuple', items } as PyTuple, items));
        break;
      }
      case 0x5d:
        push(made([] as PyValue[], []));
        break;
      case 0x6c: {
        const items = popMark();
        push(made(items, items));
        break;
      }
      case 0x61: {
        const item = pop();
        const list = listOf(top());
        list.push(item);
        grow(list, item);
        break;
      }
      case 0x65: {
        const items = popMark();
        const list = listOf(top());
        for (const item of items) {
          list.push(item);
          grow(list, item);
        }
        break;
      }
      case 0x7d:
        push(made(pyDict([]), []));
        break;
      case 0x64: {
        const items = popMark();
        const dict = made(pyDict([]), []);
        setItems(dict, items);
        push(dict);
        break;
      }
      case 0x73: {
        const value = pop();
        const key = pop();
        setItems(dictOf(top(), 'SETITEM'), [key, value]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(dictOf(top(), 'SETITEMS'), items);
        break;
      }
      case 0x4a:
        need(4);
        push(view.getInt32(at, true));
        at += 4;
        break;
      case 0x4b:
        push(u8());
        break;
      case 0x4d:
        push(u16());
        break;
      case 0x8a:
      case 0x8b: {
        const n = op === 0x8a ? u8() : u32();
        if (n > 64) throw formatError('E_FORMAT_LIMIT', `an integer of ${n} bytes`);
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i -= 1) v = (v << 8n) | BigInt(bytes[at + i]!);
        if (n > 0 && (bytes[at + n - 1]! & 0x80) !== 0) v -= 1n << BigInt(8 * n);
        at += n;
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47:
        need(8);
        push(view.getFloat64(at, false));
        at += 8;
        break;
      case 0x58: {
        const n = u32();
        need(n);
        push(utf8Decode(bytes.subarray(at, at + n), 'a pickled string'));
        at += n;
        break;
      }
      case 0x4e:
        push(null);
        break;
      case 0x88:
        push(true);
        break;
      case 0x89:
        push(false);
        break;
      case 0x52: {
        const args = pop();
        const fn = pop();
        if (typeof fn !== 'object' || fn === null || Array.isArray(fn) || fn.kind !== 'global') throw malformed('REDUCE of something that is not an allowed global');
        if (typeof args !== 'object' || args === null || Array.isArray(args) || args.kind !== 'tuple') throw malformed('REDUCE arguments are not a tuple');
        const result = hooks.reduce(fn, args.items);
        push(typeof result === 'object' && result !== null ? made(result, args.items) : result);
        break;
      }
      case 0x62: {
        // BUILD: only OrderedDict's instance state ({'_metadata': …} on a state_dict), which carries no tensors: ignored.
        const state = pop();
        const target = top();
        dictOf(target, 'BUILD');
        dictOf(state, 'BUILD state');
        break;
      }
      case 0x51:
        push(hooks.persistentLoad(pop()));
        break;
      default: {
        const name = OPNAMES[op];
        throw formatError('E_FORMAT_PROTOCOL', `pickle opcode ${name ?? `0x${op.toString(16).padStart(2, '0')}`} at byte ${opAt} is outside the protocol-2 subset torch.save writes`);
      }
    }
  }
}
