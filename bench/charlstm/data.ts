// The char-LSTM benchmark's data, mirrored exactly by bench/reference/charlstm.py: bytes of
// a text mapped to 96 classes ('\n' → 0, printable ASCII 32…126 → 1…95, anything else → ' '),
// cut into BATCH parallel streams; step s reads the next SEQ characters of every stream
// (wrapping around each epoch) and predicts each following character.
export const VOCAB = 96;
export const BATCH = 32;
export const SEQ = 64;

export function encodeText(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes, (b) => (b === 10 ? 0 : b >= 32 && b <= 126 ? b - 31 : 1));
}

export interface Streams {
  codes: Uint8Array;
  length: number;
  stepsPerEpoch: number;
}

export function streams(codes: Uint8Array): Streams {
  const length = Math.floor(codes.length / BATCH);
  const stepsPerEpoch = Math.floor((length - 1) / SEQ);
  if (stepsPerEpoch < 1) throw new Error(`the text is too short: ${codes.length} characters for ${BATCH} streams of ${SEQ + 1}`);
  return { codes, length, stepsPerEpoch };
}

export function batchAt(data: Streams, step: number): { x: BigInt64Array; y: BigInt64Array } {
  const x = new BigInt64Array(BATCH * SEQ);
  const y = new BigInt64Array(BATCH * SEQ);
  const offset = (step % data.stepsPerEpoch) * SEQ;
  for (let b = 0; b < BATCH; b += 1) {
    const base = b * data.length + offset;
    for (let t = 0; t < SEQ; t += 1) {
      x[b * SEQ + t] = BigInt(data.codes[base + t]!);
      y[b * SEQ + t] = BigInt(data.codes[base + t + 1]!);
    }
  }
  return { x, y };
}
