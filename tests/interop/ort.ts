// onnxruntime-node for the ONNX tests: loaded once; `ortMissing` says why the tests skip when it cannot load.
import type * as OrtModule from 'onnxruntime-node';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { concatChunks, typedArray, type TensorData } from '../../shared/formats/index';

type Ort = typeof OrtModule;
let ort: Ort | null = null;
let problem: string | null = null;
try {
  ort = await import('onnxruntime-node');
} catch (error) {
  problem = `onnxruntime-node cannot load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); npm ci installs it with its CPU library`;
}
/** null when onnxruntime-node loaded, else why the ONNX tests skip */
export const ortMissing: string | null = problem;
if (ortMissing !== null) console.warn(`SKIPPED ONNX tests: ${ortMissing}`);

export async function ortSession(model: readonly Uint8Array[]): Promise<InferenceSession> {
  if (ort === null) throw new Error(ortMissing ?? 'onnxruntime-node is missing');
  return ort.InferenceSession.create(concatChunks(model), { graphOptimizationLevel: 'all' });
}

export function toOrt(t: TensorData): OrtTensor {
  if (ort === null) throw new Error(ortMissing ?? 'onnxruntime-node is missing');
  const data = typedArray(t);
  if (t.dtype === 'int64') return new ort.Tensor('int64', data as BigInt64Array, [...t.shape]);
  if (t.dtype === 'float64') return new ort.Tensor('float64', data as Float64Array, [...t.shape]);
  return new ort.Tensor('float32', data as Float32Array, [...t.shape]);
}

/** max |a - b| / max(1, |a|) over two float tensors of equal size */
export function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i]!;
    const y = b[i]!;
    const d = Number.isNaN(x) && Number.isNaN(y) ? 0 : x === y ? 0 : Math.abs(x - y) / Math.max(1, Math.abs(x));
    worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
  }
  return worst;
}
