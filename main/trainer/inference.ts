// Evaluation and prediction with saved weights (the CLI's eval and predict): loss, accuracy and a confusion
// matrix over the test set (or the validation split), and batched predictions for a .npy input; on the device a
// training run would take (the project's setting or an override: auto, cpu, cuda:N).
import type { DeviceName } from '../../shared/api/devices';
import type { Plan } from '../../shared/api/plan';
import { readWeights } from './checkpoint';
import type { Dataset } from './datasets';
import { native, nativeModel, type Model, type NativeModule } from './engine';
import { DataLoader } from './loader';
import type { NpyArray } from './npy';
import { batchSource, batchTensors, compileProject, loadIntoModel, prepare, RunError, runDevice } from './run';

/** Where eval and predict run: a device setting (auto, cpu, cuda, cuda:N) as training takes it; default the project's. */
export interface InferenceOptions {
  device?: string;
}

/**
 * The model with the weights loaded, on the device the setting chooses (runDevice: the same rules and messages as a
 * training run's device, checked before anything is read).
 */
async function loadModel(plan: Plan, weightsPath: string, setting: string): Promise<{ nw: NativeModule; model: Model; device: DeviceName }> {
  const nw = await native();
  const { Model } = await nativeModel();
  const { device } = runDevice(nw, plan, setting);
  const model = new Model(plan, { device });
  try {
    const checkpoint = readWeights(weightsPath);
    loadIntoModel(nw, model, checkpoint, false);
  } catch (error) {
    model.dispose();
    const message = error instanceof Error ? error.message : String(error);
    throw new RunError('E_CHECKPOINT', message.includes('state_dict does not match') ? `${weightsPath} does not fit this model: ${message}` : message);
  }
  return { nw, model, device };
}

export interface EvalReport {
  split: 'test' | 'validation' | 'train';
  device: DeviceName;
  count: number;
  loss: number;
  accuracy: number | null;
  classes: string[] | null;
  /** confusion[true][predicted] counts (single-label classification only) */
  confusion: number[][] | null;
}

export async function evaluateProject(projectJson: string, baseDir: string | null, weightsPath: string, options: InferenceOptions = {}): Promise<EvalReport> {
  const { project, plan, splits } = prepare(projectJson, baseDir);
  const { nw, model, device } = await loadModel(plan, weightsPath, options.device ?? project.training.device);
  try {
    let d: Dataset = splits.train;
    let indices = splits.valIndices;
    let split: EvalReport['split'] = 'validation';
    if (splits.test !== null) {
      d = splits.test;
      indices = Int32Array.from({ length: d.count }, (_, i) => i);
      split = 'test';
    } else if (indices.length === 0) {
      indices = splits.trainIndices;
      split = 'train';
    }
    const seed = project.training.seed;
    const loader = new DataLoader(batchSource(d, splits, plan, seed), indices, { batchSize: 256, shuffle: false, dropLast: false, seed, workers: 0, augment: false });
    const classCount = d.task === 'classification' && d.y.shape.length === 0 ? (d.classes?.length ?? 0) : 0;
    const confusion = classCount > 0 ? Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0)) : null;
    let loss = 0;
    let correct = 0;
    let predictions = 0;
    let count = 0;
    for await (const batch of loader.epoch(0)) {
      const { x, y } = batchTensors(nw, batch, plan, d, splits.oneHot);
      try {
        const r = await model.evalStep([x], [y]);
        loss += r.loss * batch.n;
        count += batch.n;
        if (r.correct >= 0) {
          correct += r.correct;
          predictions += r.count;
        }
        if (confusion !== null) {
          const [logits] = await model.predict([x]);
          if (logits !== undefined) {
            const values = logits.data() as Float32Array;
            const width = values.length / batch.n;
            for (let k = 0; k < batch.n; k += 1) {
              let best = 0;
              for (let c = 1; c < width; c += 1) if (values[k * width + c]! > values[k * width + best]!) best = c;
              const truth = Number(batch.y[k]!);
              const row = confusion[truth];
              if (row !== undefined && best < classCount) row[best] = row[best]! + 1;
            }
            logits.dispose();
          }
        }
      } finally {
        x.dispose();
        y.dispose();
      }
    }
    return { split, device, count, loss: count ? loss / count : NaN, accuracy: predictions ? correct / predictions : null, classes: d.task === 'classification' ? (d.classes ?? null) : null, confusion };
  } finally {
    model.dispose();
  }
}

/** Runs the model on every sample of `input` ([N, ...input shape], or one sample without N); returns the first output. */
export async function predictProject(
  projectJson: string, weightsPath: string, input: NpyArray, options: InferenceOptions = {},
): Promise<{ shape: number[]; data: Float32Array | Float64Array; device: DeviceName }> {
  // Prediction needs neither the dataset nor a loss node (a graph made from a checkpoint has neither yet).
  const { project, plan } = compileProject(projectJson, { requireLoss: false });
  const spec = plan.inputs[0]!;
  const sample = spec.shape.slice(1);
  let shape = input.shape;
  if (shape.length === sample.length) shape = [1, ...shape];
  const fits = shape.length === sample.length + 1 && sample.every((d, k) => d === null || d === shape[k + 1]);
  if (!fits) {
    const want = `[N, ${sample.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
    throw new RunError('E_RUN', `the input array has shape (${input.shape.join(', ')}) but the model's input '${spec.name}' takes ${want}`);
  }
  const { nw, model, device } = await loadModel(plan, weightsPath, options.device ?? project.training.device);
  try {
    const n = shape[0]!;
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const source = input.data;
    const chunk = 256;
    const parts: Float32Array[] = [];
    let outShape: number[] = [];
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const slice = source.subarray(s * per, (s + m) * per);
      const values = spec.dtype === 'int64'
        ? BigInt64Array.from(slice as ArrayLike<number | bigint>, (v) => BigInt(v))
        : spec.dtype === 'float64' ? Float64Array.from(slice as ArrayLike<number | bigint>, Number) : Float32Array.from(slice as ArrayLike<number | bigint>, Number);
      const x = nw.tensor(values, { shape: [m, ...shape.slice(1)], dtype: spec.dtype });
      try {
        const [out] = await model.predict([x]);
        if (out === undefined) throw new RunError('E_RUN', 'the model has no output');
        outShape = out.shape.slice(1);
        parts.push(Float32Array.from(out.data() as Float32Array | Float64Array));
        out.dispose();
      } finally {
        x.dispose();
      }
    }
    const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return { shape: [n, ...outShape], data, device };
  } finally {
    model.dispose();
  }
}
