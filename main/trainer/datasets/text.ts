// Text datasets for language models: characters or whitespace-separated words become token ids, cut into
// windows of seqLen tokens; the target of each window is the same window shifted one token ahead.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DatasetError, sharedInt32, type Dataset } from './types';

export interface TextOptions {
  tokens: 'char' | 'word';
  seqLen: number;
  /** tokens between window starts; default seqLen (no overlap) */
  stride?: number;
}

export function tokenize(text: string, kind: 'char' | 'word'): string[] {
  return kind === 'char' ? Array.from(text) : text.split(/\s+/).filter((w) => w !== '');
}

export function parseText(text: string, file: string, options: TextOptions): Dataset {
  const name = basename(file);
  const { seqLen } = options;
  const stride = options.stride ?? seqLen;
  if (!(seqLen >= 1) || !(stride >= 1)) throw new DatasetError(`${name}: seqLen and stride must be >= 1`);
  const tokens = tokenize(text, options.tokens);
  if (tokens.length < seqLen + 1) {
    throw new DatasetError(`${name}: ${tokens.length} ${options.tokens === 'char' ? 'characters' : 'words'} is too short for one window of ${seqLen} tokens plus its next-token target`);
  }
  const vocab = [...new Set(tokens)].sort();
  const index = new Map(vocab.map((t, k) => [t, k]));
  const ids = Int32Array.from(tokens, (t) => index.get(t)!);
  const n = Math.floor((ids.length - 1 - seqLen) / stride) + 1;
  const x = sharedInt32(n * seqLen);
  const y = sharedInt32(n * seqLen);
  for (let i = 0; i < n; i += 1) {
    x.set(ids.subarray(i * stride, i * stride + seqLen), i * seqLen);
    y.set(ids.subarray(i * stride + 1, i * stride + seqLen + 1), i * seqLen);
  }
  return { name, count: n, x: { shape: [seqLen], dtype: 'int64', data: x }, y: { shape: [seqLen], dtype: 'int64', data: y }, task: 'language', classes: vocab };
}

export function readText(file: string, options: TextOptions): Dataset {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DatasetError(`${file} cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseText(text, file, options);
}
