// The Api contract: every call the renderer can make, with zod schemas for its parameters and result.
import { z } from 'zod';
import { AppInfoSchema } from './app';
import { EngineStatusSchema } from './engine';
import { DirectoryListingSchema, ProjectFileSchema, projectParams, RecentProjectSchema, RecoverySchema, SampleInfoSchema, SavedProjectSchema } from './project';
import { MenuCommandSchema } from './menu';
import type { ApiEventName, ApiMethodName } from './methods';
import { CheckpointGraphSchema, ExportedFilesSchema, ExportModelRequestSchema, GraphFromCheckpointRequestSchema, ImportReportSchema, InspectCheckpointRequestSchema } from './interop';
import { DatasetPreviewSchema, PreviewDatasetRequestSchema, RunInfoSchema, RunLogSchema, RunMetricSchema, StartRunRequestSchema } from './run';

/** One entry per call: parameter tuple and result schema. Both sides of every boundary validate with these. */
export const apiMethods = {
  /** Name, version and hosting mode of the running app. */
  getAppInfo: { params: z.tuple([]), result: AppInfoSchema },
  /** The engine's current status (cached by the host; never blocks on the trainer). */
  getEngineStatus: { params: z.tuple([]), result: EngineStatusSchema },
  /** Stops and restarts the trainer process, e.g. after `npm run build:native`; resolves with the new status. */
  restartEngine: { params: z.tuple([]), result: EngineStatusSchema },
  /** The sample projects shipped in samples/ (for the start page's gallery). */
  listSamples: { params: projectParams.listSamples, result: z.array(SampleInfoSchema) },
  /** A new, empty project's text (path is ''). */
  newProject: { params: projectParams.newProject, result: ProjectFileSchema },
  /** Reads, migrates and validates a project file; adds it to the recent files. */
  openProject: { params: projectParams.openProject, result: ProjectFileSchema },
  /** Validates and writes a project atomically (temp file, fsync, rename); adds it to the recent files. */
  saveProject: { params: projectParams.saveProject, result: SavedProjectSchema },
  /** Like saveProject, but refuses (E_FILE_EXISTS) to replace an existing file unless overwrite is true. */
  saveProjectAs: { params: projectParams.saveProjectAs, result: SavedProjectSchema },
  /** Recently opened or saved project files, newest first. */
  recentProjects: { params: projectParams.recentProjects, result: z.array(RecentProjectSchema) },
  /** Autosave: writes unsaved work to the recovery file (null text clears it, e.g. after a save). */
  writeRecovery: { params: projectParams.writeRecovery, result: z.null() },
  /** The unsaved work left by a previous session, if any. */
  readRecovery: { params: projectParams.readRecovery, result: RecoverySchema.nullable() },
  /** Lists a folder for the in-app file browser (null: the projects folder). */
  listDirectory: { params: projectParams.listDirectory, result: DirectoryListingSchema },
  /** Starts a training run of a project (JSON text or file path) in its own trainer process. */
  startRun: { params: z.tuple([StartRunRequestSchema]), result: RunInfoSchema },
  /** A few samples of the project's dataset with split sizes and shapes (the Input node's preview). */
  previewDataset: { params: z.tuple([PreviewDatasetRequestSchema]), result: DatasetPreviewSchema },
  /** Compare a weights file with the project's graph, key by key (load_state_dict's report), changing nothing. */
  inspectCheckpoint: { params: z.tuple([InspectCheckpointRequestSchema]), result: ImportReportSchema },
  /** A project inferred from a Sequential-style state_dict, or the questions that must be answered first. */
  graphFromCheckpoint: { params: z.tuple([GraphFromCheckpointRequestSchema]), result: CheckpointGraphSchema },
  /** Writes the project as .mdl, .py (model.py + train.py), .onnx or .safetensors (by the target's extension), in the trainer process. */
  exportModel: { params: z.tuple([ExportModelRequestSchema]), result: ExportedFilesSchema },
  /** Pauses a running run after its current step. */
  pauseRun: { params: z.tuple([z.string()]), result: RunInfoSchema },
  /** Continues a paused run, or resumes a stopped/crashed/diverged one from its last checkpoint. */
  resumeRun: { params: z.tuple([z.string()]), result: RunInfoSchema },
  /** Stops a run after its current step; save writes a checkpoint first. */
  stopRun: { params: z.tuple([z.string(), z.strictObject({ save: z.boolean() })]), result: RunInfoSchema },
  /** Every run in the runs folder and every active one, newest first. */
  listRuns: { params: z.tuple([]), result: z.array(RunInfoSchema) },
  /** A run with every metric of its log (reopening a past run). */
  openRun: { params: z.tuple([z.string()]), result: RunLogSchema },
} as const satisfies Record<ApiMethodName, { params: z.ZodTuple; result: z.ZodType }>;

/** Events the host pushes to the renderer. */
export const apiEvents = {
  /** The engine status changed (trainer started, failed or restarted). */
  engineStatus: EngineStatusSchema,
  /** A run's state or progress changed. */
  runStatus: RunInfoSchema,
  /** New metrics of a run (coalesced by the trainer to at most ~20 messages a second). */
  runMetrics: z.object({ runId: z.string(), metrics: z.array(RunMetricSchema) }),
  /** A desktop menu command (File/Edit/Run); never emitted in browser mode. */
  menuCommand: MenuCommandSchema,
} as const satisfies Record<ApiEventName, z.ZodType>;

type Methods = typeof apiMethods;
export type ApiParams<M extends ApiMethodName> = z.infer<Methods[M]['params']>;
export type ApiResult<M extends ApiMethodName> = z.infer<Methods[M]['result']>;
export type ApiEventData<E extends ApiEventName> = z.infer<(typeof apiEvents)[E]>;

export type ApiCalls = { [M in ApiMethodName]: (...params: ApiParams<M>) => Promise<ApiResult<M>> };

export type Unsubscribe = () => void;

/** The whole contract: implemented by main/host, and on the renderer side by the preload (IPC) or the WebSocket client. */
export interface Api extends ApiCalls {
  on<E extends ApiEventName>(event: E, listener: (data: ApiEventData<E>) => void): Unsubscribe;
}
