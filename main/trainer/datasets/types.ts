// In-memory datasets: one dense array of inputs and one of targets, in SharedArrayBuffers so loader workers read them without copies.

export type FieldDType = 'float32' | 'int64';

/** One column of a dataset: `shape` is per sample (without N); int64 values are kept as int32. */
export interface Field {
  shape: number[];
  dtype: FieldDType;
  data: Float32Array | Int32Array;
}

export interface Dataset {
  /** what it is, for messages ("fashion-mnist train", "iris.csv") */
  name: string;
  count: number;
  x: Field;
  y: Field;
  task: 'classification' | 'regression' | 'language';
  /** class names (classification) or the vocabulary (language) */
  classes?: string[];
}

/** A dataset as a run uses it: train and validation index sets over `train`, and an optional test set. */
export interface DataSplits {
  train: Dataset;
  trainIndices: Int32Array;
  valIndices: Int32Array;
  test: Dataset | null;
  /** per-channel normalisation to apply at batch time (computed on the train indices or given) */
  normalize: { mean: number[]; std: number[] } | null;
  augment: { flip: boolean; cropPadding: number };
  /** one-hot width when the loss takes float targets of class labels, else 0 */
  oneHot: number;
}

export class DatasetError extends Error {
  readonly code = 'E_DATASET';
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export function sharedFloat32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(n, 1) * 4), 0, n);
}

export function sharedInt32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(n, 1) * 4), 0, n);
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
