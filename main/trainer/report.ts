// The evaluation metric: predictions over the test set (or validation split) as a confusion matrix for single-label
// classification, and a few samples (input, truth, prediction) for the dashboard's grid or scatter; taken at the end
// of a run and, on the validation split, after epochs during it.
import type { RunMetric } from '../../shared/api';
import type { Plan } from '../../shared/api/plan';
import type { Dataset } from './datasets';
import type { Model, NativeModule } from './engine';
import type { DataLoader } from './loader';
import { batchTensors } from './run';

type Evaluation = Extract<RunMetric, { kind: 'evaluation' }>;

const sampleInputLimit = 4096;

export async function evaluationReport(
  nw: NativeModule, model: Model, loader: DataLoader, plan: Plan, d: Dataset, oneHot: number, step: number, split: Evaluation['split'],
): Promise<Evaluation> {
  const xSize = d.x.shape.reduce((a, b) => a * b, 1);
  const classification = d.task === 'classification' && d.y.shape.length === 0;
  const classCount = classification ? Math.max(d.classes?.length ?? 0, oneHot) : 0;
  const confusion = classification && classCount > 0 ? Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0)) : null;
  // Small inputs (2-D points, scalars) make a scatter: many samples; images make a grid: a few.
  const maxSamples = xSize <= 4 ? 400 : 24;
  const samples: Evaluation['samples'] = [];
  let count = 0;
  for await (const batch of loader.epoch(0)) {
    const { x, y } = batchTensors(nw, batch, plan, d, oneHot);
    try {
      const [out] = await model.predict([x]);
      if (out === undefined) continue;
      const values = out.data() as Float32Array | Float64Array;
      out.dispose();
      const width = values.length / batch.n;
      const yWidth = batch.y.length / batch.n;
      for (let k = 0; k < batch.n; k += 1) {
        let predicted = values[k * width]!;
        let truth = Number(batch.y[k * yWidth]!);
        if (classification) {
          let best = 0;
          for (let c = 1; c < width; c += 1) if (values[k * width + c]! > values[k * width + best]!) best = c;
          predicted = best;
          if (oneHot > 0) {
            let t = 0;
            for (let c = 1; c < yWidth; c += 1) if (Number(batch.y[k * yWidth + c]!) > Number(batch.y[k * yWidth + t]!)) t = c;
            truth = t;
          }
          const row = confusion?.[truth];
          if (row !== undefined && predicted < row.length) row[predicted] = row[predicted]! + 1;
        }
        if (samples.length < maxSamples) {
          // Inputs are for display (pixels, scatter positions): 4 significant digits keep the log a third the size.
          const input = xSize <= sampleInputLimit ? Array.from(batch.x.subarray(k * xSize, (k + 1) * xSize) as ArrayLike<number | bigint>, (v) => Number(Number(v).toPrecision(4))) : [];
          samples.push({ input, shape: d.x.shape, truth, predicted });
        }
        count += 1;
      }
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return {
    kind: 'evaluation', t: Date.now(), step, split, task: d.task, count,
    classes: classification ? (d.classes ?? Array.from({ length: classCount }, (_, i) => String(i))) : null, confusion, samples,
  };
}
