// Messages between the host and the trainer process (child_process.fork or Electron utilityProcess).
import { z } from 'zod';
import { EngineInfoSchema } from './engine';
import { ErrorInfoSchema } from './errors';
import { CheckpointGraphSchema, ExportedFilesSchema, ImportReportSchema } from './interop';
import { DatasetPreviewSchema, EpochSummarySchema, RunMetricSchema, RunOptionsSchema, RunStateSchema } from './run';

export const HostToTrainerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('engineInfo'), id: z.number().int().nonnegative() }),
  z.object({ type: z.literal('shutdown') }),
  /** Load the project's dataset (no engine needed) and answer with a preview. */
  z.object({ type: z.literal('previewDataset'), id: z.number().int().nonnegative(), projectJson: z.string(), baseDir: z.string().nullable(), count: z.number().int().positive() }),
  /** Read a weights file and compare it with the project's graph, key by key. */
  z.object({ type: z.literal('inspectCheckpoint'), id: z.number().int().nonnegative(), projectJson: z.string(), baseDir: z.string().nullable(), checkpointPath: z.string() }),
  /** Read a weights file and infer a Sequential-style graph from its keys. */
  z.object({ type: z.literal('graphFromCheckpoint'), id: z.number().int().nonnegative(), checkpointPath: z.string(), answers: z.record(z.string(), z.string()), name: z.string() }),
  /** Export the project (and weights, or a fresh seeded model) to a file; the extension of `to` picks the format. */
  z.object({ type: z.literal('exportModel'), id: z.number().int().nonnegative(), projectJson: z.string(), weightsPath: z.string().nullable(), to: z.string() }),
  /** Start (or resume from a checkpoint) a training run in this process; the project is JSON text. */
  z.object({
    type: z.literal('startRun'),
    runId: z.string(),
    dir: z.string(),
    projectJson: z.string(),
    /** relative dataset paths are resolved against this (the project file's folder) */
    baseDir: z.string().nullable(),
    options: RunOptionsSchema,
    resumeFrom: z.string().nullable(),
  }),
  z.object({ type: z.literal('runControl'), runId: z.string(), action: z.enum(['pause', 'resume', 'stop']), save: z.boolean() }),
  /** Desktop only: the message's transferred MessagePort gets this run's metrics (the renderer holds the other end). */
  z.object({ type: z.literal('attachMetricsPort'), runId: z.string() }),
]);

export const TrainerToHostSchema = z.discriminatedUnion('type', [
  /** Sent once, first, when the entry has run; the engine is loaded lazily on the first request. */
  z.object({ type: z.literal('hello'), pid: z.number().int() }),
  z.object({ type: z.literal('result'), id: z.number().int(), info: EngineInfoSchema }),
  z.object({ type: z.literal('failure'), id: z.number().int(), error: ErrorInfoSchema }),
  z.object({ type: z.literal('preview'), id: z.number().int(), preview: DatasetPreviewSchema }),
  z.object({ type: z.literal('importReport'), id: z.number().int(), report: ImportReportSchema }),
  z.object({ type: z.literal('checkpointGraph'), id: z.number().int(), graph: CheckpointGraphSchema }),
  z.object({ type: z.literal('exported'), id: z.number().int(), exported: ExportedFilesSchema }),
  /** Metrics of a run, coalesced (at most ~20 messages a second). */
  z.object({ type: z.literal('runMetrics'), runId: z.string(), metrics: z.array(RunMetricSchema) }),
  /** A run's state changed, or its progress/checkpoint did. */
  z.object({
    type: z.literal('runState'),
    runId: z.string(),
    state: RunStateSchema,
    message: z.string().optional(),
    error: ErrorInfoSchema.optional(),
    epochs: z.number().int(),
    epoch: z.number().int(),
    step: z.number().int(),
    lastCheckpoint: z.string().nullable(),
    lastEpoch: EpochSummarySchema.nullable(),
  }),
]);

export type HostToTrainer = z.infer<typeof HostToTrainerSchema>;
export type TrainerToHost = z.infer<typeof TrainerToHostSchema>;
