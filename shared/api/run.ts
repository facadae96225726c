// Training runs: what the host and the renderer see of a run (its state and summary) and the metric events it streams.
import { z } from 'zod';
import { ErrorInfoSchema } from './errors';
import { EncodedStepsSchema } from './steps';

export const runStates = ['starting', 'running', 'paused', 'completed', 'stopped', 'diverged', 'failed', 'crashed'] as const;
export const RunStateSchema = z.enum(runStates);
export type RunState = z.infer<typeof RunStateSchema>;

/** States after which the trainer does no more work for the run. */
export function isFinalRunState(state: RunState): boolean {
  return state !== 'starting' && state !== 'running' && state !== 'paused';
}

/** Options that are not project settings: where the run lives, overrides, and how often heavy metrics are taken. */
export const RunOptionsSchema = z.strictObject({
  epochs: z.number().int().positive().optional(),
  /** stop (and checkpoint) after this many optimizer steps in total; for tests and quick looks */
  maxSteps: z.number().int().positive().optional(),
  device: z.string().optional(),
  /** per-parameter grad/weight norms every N steps (0: never) */
  paramStatsEvery: z.number().int().nonnegative().optional(),
  /** weight and gradient histograms every N steps (0: never) */
  histogramEvery: z.number().int().nonnegative().optional(),
  /** re-run a non-finite step looking for the first module that produced NaN/inf */
  anomaly: z.boolean().optional(),
  /** early stopping on validation loss: stop after `patience` epochs without improving by minDelta */
  earlyStopping: z.strictObject({ patience: z.number().int().positive(), minDelta: z.number().nonnegative() }).optional(),
});
export type RunOptions = z.infer<typeof RunOptionsSchema>;

export const StartRunRequestSchema = z.strictObject({
  /** the project as JSON text, or a path to a project file (exactly one) */
  projectJson: z.string().optional(),
  projectPath: z.string().optional(),
  /** directory for the run (log, checkpoints); default <runs dir>/<run id> */
  outDir: z.string().optional(),
  options: RunOptionsSchema.optional(),
});
export type StartRunRequest = z.infer<typeof StartRunRequestSchema>;

export const EpochSummarySchema = z.object({
  epoch: z.number().int(),
  trainLoss: z.number(),
  trainAccuracy: z.number().nullable(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  lr: z.number(),
  seconds: z.number(),
});
export type EpochSummary = z.infer<typeof EpochSummarySchema>;

export const HistogramSchema = z.object({
  key: z.string(),
  of: z.enum(['weight', 'grad']),
  min: z.number(),
  max: z.number(),
  counts: z.array(z.number().int()),
});

/**
 * One metric record; every record is also a line of the run's metrics.jsonl. `step` records are rate-limited (≤ 20 a
 * second, with throughput and ETA); every step's loss and lr are in the run's steps.f64 (see steps.ts).
 */
export const RunMetricSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('step'),
    t: z.number(),
    step: z.number().int(),
    epoch: z.number().int(),
    loss: z.number(),
    lr: z.number(),
    samplesPerSec: z.number(),
    etaSec: z.number().nullable(),
    progress: z.number(),
  }),
  z.object({ kind: z.literal('epoch'), t: z.number() }).extend(EpochSummarySchema.shape),
  z.object({
    kind: z.literal('params'),
    t: z.number(),
    step: z.number().int(),
    params: z.array(z.object({ key: z.string(), gradNorm: z.number(), weightNorm: z.number(), updateNorm: z.number() })),
  }),
  z.object({ kind: z.literal('histograms'), t: z.number(), step: z.number().int(), histograms: z.array(HistogramSchema) }),
  z.object({ kind: z.literal('checkpoint'), t: z.number(), step: z.number().int(), epoch: z.number().int(), path: z.string() }),
  z.object({ kind: z.literal('test'), t: z.number(), loss: z.number(), accuracy: z.number().nullable(), count: z.number().int() }),
  z.object({ kind: z.literal('state'), t: z.number(), state: RunStateSchema, message: z.string().optional() }),
  /** After training: predictions on the test set (else the validation split) for the confusion matrix and samples. */
  z.object({
    kind: z.literal('evaluation'),
    t: z.number(),
    step: z.number().int(),
    split: z.enum(['test', 'validation', 'train']),
    task: z.enum(['classification', 'regression', 'language']),
    count: z.number().int(),
    classes: z.array(z.string()).nullable(),
    /** confusion[true][predicted] counts (single-label classification) */
    confusion: z.array(z.array(z.number().int())).nullable(),
    /** a few samples: the (normalised) input, its shape, the true and predicted value (class index or first output) */
    samples: z.array(z.object({ input: z.array(z.number()), shape: z.array(z.number().int()), truth: z.number(), predicted: z.number() })),
  }),
]);
export type RunMetric = z.infer<typeof RunMetricSchema>;

/** What the host knows about a run; also the run's run.json on disk. */
export const RunInfoSchema = z.object({
  id: z.string(),
  projectName: z.string(),
  dir: z.string(),
  state: RunStateSchema,
  /** why it ended (diverged at step N in module M, the crash reason, the error) */
  message: z.string().optional(),
  error: ErrorInfoSchema.optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  epochs: z.number().int(),
  epoch: z.number().int(),
  step: z.number().int(),
  lastCheckpoint: z.string().nullable(),
  /** a crashed/stopped/diverged run with a checkpoint can be resumed from it */
  resumable: z.boolean(),
  lastEpoch: EpochSummarySchema.nullable(),
  /** the run's main training settings, for the run history */
  settings: z.object({ dataset: z.string(), optimizer: z.string(), lr: z.number(), batchSize: z.number().int(), epochs: z.number().int() }).optional(),
});
export type RunInfo = z.infer<typeof RunInfoSchema>;

/** A run's log: its metrics.jsonl records and, from steps.f64, every step's loss and lr (absent for older runs). */
export const RunLogSchema = z.object({ info: RunInfoSchema, metrics: z.array(RunMetricSchema), steps: EncodedStepsSchema.optional() });
export type RunLog = z.infer<typeof RunLogSchema>;

/** previewDataset: the same project reference as startRun (JSON text or a path). */
export const PreviewDatasetRequestSchema = z.strictObject({
  projectJson: z.string().optional(),
  projectPath: z.string().optional(),
  /** samples to show (default 4) */
  count: z.number().int().min(1).max(64).optional(),
});
export type PreviewDatasetRequest = z.infer<typeof PreviewDatasetRequestSchema>;

const PreviewFieldSchema = z.strictObject({ shape: z.array(z.number().int().nonnegative()), dtype: z.string() });

/** A few samples of the project's dataset as the model will see them, with split sizes and shapes. */
export const DatasetPreviewSchema = z.strictObject({
  name: z.string(),
  task: z.string(),
  train: z.number().int().nonnegative(),
  validation: z.number().int().nonnegative(),
  test: z.number().int().nonnegative().nullable(),
  x: PreviewFieldSchema,
  y: PreviewFieldSchema,
  classes: z.array(z.string()).nullable(),
  samples: z.array(z.strictObject({ x: z.array(z.number()), y: z.array(z.number()), label: z.string().nullable() })),
});
export type DatasetPreview = z.infer<typeof DatasetPreviewSchema>;
