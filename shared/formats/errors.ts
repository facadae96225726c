// Typed errors for every file format reader/writer: one code per kind of problem, and a message that says what to do.

export const formatErrorCodes = [
  'E_FORMAT_TRUNCATED', // the file ends before a record, header or tensor it announces
  'E_FORMAT_ZIP', // the zip structure is malformed (bad signature, inconsistent headers, overlapping entries)
  'E_FORMAT_CRC', // an entry's CRC-32 does not match its bytes
  'E_FORMAT_PROTOCOL', // a pickle protocol or opcode outside the protocol-2 subset torch.save writes
  'E_FORMAT_GLOBAL', // a pickle names a callable outside the allow-list (os.system, builtins.eval…)
  'E_FORMAT_PICKLE', // a pickle is malformed (stack underflow, bad memo index, wrong argument types)
  'E_FORMAT_VIEW', // a tensor view reaches outside its storage
  'E_FORMAT_SHAPE', // a size, stride or offset is negative, overflows, or exceeds the limits
  'E_FORMAT_DTYPE', // a storage type or dtype this version does not read
  'E_FORMAT_STORAGE', // a storage the pickle refers to is missing or has the wrong size
  'E_FORMAT_TORCHSCRIPT', // a TorchScript archive (torch.jit.save), not a torch.save checkpoint
  'E_FORMAT_LEGACY', // the pre-1.6 torch.save format (not a zip)
  'E_FORMAT_LIMIT', // a cap on memo size, nesting or total bytes was exceeded
  'E_FORMAT_CONTENT', // well-formed, but not a state_dict / checkpoint of the expected shape
  'E_FORMAT_SAFETENSORS', // a safetensors header or layout violates the spec
  'E_FORMAT_VALUE', // a value given to a writer cannot be stored
] as const;

export type FormatErrorCode = (typeof formatErrorCodes)[number];

export class FormatError extends Error {
  readonly code: FormatErrorCode;

  constructor(code: FormatErrorCode, message: string) {
    super(message);
    this.name = 'FormatError';
    this.code = code;
  }
}

export function formatError(code: FormatErrorCode, message: string): FormatError {
  return new FormatError(code, message);
}

/** Checked arithmetic: every size/offset the readers compute goes through these. */
export function checkedAdd(a: number, b: number, what: string): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum) || sum < 0) throw formatError('E_FORMAT_SHAPE', `${what} overflows (${a} + ${b}); the file is corrupt or hostile`);
  return sum;
}

export function checkedMul(a: number, b: number, what: string): number {
  const product = a * b;
  if (!Number.isSafeInteger(product) || product < 0) throw formatError('E_FORMAT_SHAPE', `${what} overflows (${a} × ${b}); the file is corrupt or hostile`);
  return product;
}

/** UTF-8 without TextEncoder (shared/ has no DOM or Node types). */
export function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const c = char.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** Strict UTF-8 decoding; invalid sequences are an error, not U+FFFD. */
export function utf8Decode(bytes: Uint8Array, what: string): string {
  let out = '';
  let i = 0;
  const bad = (): FormatError => formatError('E_FORMAT_PICKLE', `${what} is not valid UTF-8`);
  while (i < bytes.length) {
    const b = bytes[i]!;
    let c: number;
    let n: number;
    if (b < 0x80) [c, n] = [b, 0];
    else if (b >= 0xc2 && b < 0xe0) [c, n] = [b & 31, 1];
    else if (b >= 0xe0 && b < 0xf0) [c, n] = [b & 15, 2];
    else if (b >= 0xf0 && b < 0xf5) [c, n] = [b & 7, 3];
    else throw bad();
    for (let k = 1; k <= n; k += 1) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) throw bad();
      c = (c << 6) | (next & 63);
    }
    if ((n === 2 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) || (n === 3 && (c < 0x10000 || c > 0x10ffff))) throw bad();
    out += String.fromCodePoint(c);
    i += n + 1;
  }
  return out;
}
