// The project file schema (format "netwright-project"): graph, groups, training settings and UI state, strictly validated.
import { z } from 'zod';

export const PROJECT_FORMAT = 'netwright-project';
export const PROJECT_VERSION = 2;

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python identifier (letters, digits, _; not starting with a digit)');
const id = z.string().min(1).max(200);

export const ParamValueSchema = z.union([z.number(), z.boolean(), z.string(), z.array(z.number()), z.null()]);

export const NodeSchema = z.strictObject({
  id,
  /** layer spec id, e.g. "nn.Linear" */
  layer: z.string().min(1),
  params: z.record(z.string(), ParamValueSchema),
  /** derived params (in_features…) the user fixed by hand; they no longer follow the input */
  pinned: z.array(z.string()).optional(),
  /** the PyTorch attribute name ("fc1"); automatic when absent */
  name: identifier.optional(),
  position: z.strictObject({ x: z.number(), y: z.number() }),
  /** the group (submodule) this node belongs to */
  group: id.optional(),
});
export type GraphNode = z.infer<typeof NodeSchema>;

export const EndpointSchema = z.strictObject({ node: id, port: z.string().min(1) });
export const EdgeSchema = z.strictObject({ id, source: EndpointSchema, target: EndpointSchema });
export type GraphEdge = z.infer<typeof EdgeSchema>;

export const GroupSchema = z.strictObject({
  id,
  /** attribute name of the submodule; the state_dict key prefix ("features") */
  name: identifier,
  /** sequential: nn.Sequential, children named 0, 1, 2…; module: a named nn.Module class */
  kind: z.enum(['sequential', 'module']),
  /** class name for kind "module" in exported code */
  className: identifier.optional(),
  parent: id.optional(),
});
export type GraphGroup = z.infer<typeof GroupSchema>;

export const RootModuleSchema = z.strictObject({
  /** module (the default): a generated nn.Module class whose attributes are the top-level nodes and groups (fc1.weight);
   * sequential: the model itself is an nn.Sequential, its top-level layers numbered 0, 1, 2… (0.weight), as in
   * `nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))`; the layers must then form one chain */
  kind: z.enum(['module', 'sequential']),
});
export type RootModule = z.infer<typeof RootModuleSchema>;

export const GraphSchema = z.strictObject({
  nodes: z.array(NodeSchema),
  edges: z.array(EdgeSchema),
  groups: z.array(GroupSchema),
  /** the model's own module; absent means { kind: 'module' } (since version 2) */
  root: RootModuleSchema.optional(),
});
export type Graph = z.infer<typeof GraphSchema>;

export const DatasetRefSchema = z.strictObject({
  /** builtin: shipped with the app; synthetic: generated from options; file: a CSV/NPZ/folder the user picked */
  source: z.enum(['builtin', 'synthetic', 'file']),
  /** "fashion-mnist", "linear", "two-moons", or a path for source "file" */
  name: z.string().min(1),
  options: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  validationSplit: z.number().min(0).max(0.9),
});

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

export const OptimizerSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sgd'), lr: positive, momentum: nonNegative, dampening: nonNegative, weight_decay: nonNegative, nesterov: z.boolean() }),
  z.strictObject({ kind: z.literal('adam'), lr: positive, betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]), eps: positive, weight_decay: nonNegative, amsgrad: z.boolean() }),
  z.strictObject({ kind: z.literal('adamw'), lr: positive, betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]), eps: positive, weight_decay: nonNegative, amsgrad: z.boolean() }),
  z.strictObject({ kind: z.literal('rmsprop'), lr: positive, alpha: z.number().min(0).max(1), eps: positive, weight_decay: nonNegative, momentum: nonNegative, centered: z.boolean() }),
]);
export type Optimizer = z.infer<typeof OptimizerSchema>;

export const ScheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant') }),
  z.strictObject({ kind: z.literal('step'), step_size: z.number().int().positive(), gamma: positive }),
  z.strictObject({ kind: z.literal('exponential'), gamma: positive }),
  z.strictObject({ kind: z.literal('cosine'), T_max: z.number().int().positive(), eta_min: nonNegative }),
  /** torch.optim.lr_scheduler.ReduceLROnPlateau(mode='min', threshold_mode='rel') on the validation loss (train loss without validation) */
  z.strictObject({ kind: z.literal('reduce-on-plateau'), factor: z.number().gt(0).lt(1), patience: z.number().int().nonnegative(), threshold: nonNegative, min_lr: nonNegative }),
]);

export const TrainingSchema = z.strictObject({
  dataset: DatasetRefSchema,
  /** the loss node to minimise; null picks the only loss node */
  loss: id.nullable(),
  optimizer: OptimizerSchema,
  schedule: ScheduleSchema,
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  shuffle: z.boolean(),
  workers: z.number().int().nonnegative(),
  seed: z.number().int().nonnegative(),
  /** torch.nn.utils.clip_grad_norm_(parameters, maxNorm, normType); null: no clipping */
  gradientClipping: z.strictObject({ maxNorm: positive, normType: positive }).nullable(),
  /** auto (cuda:0 when present and able to run every op, else cpu), cpu, cuda (= cuda:0) or cuda:N */
  device: z.union([z.enum(['auto', 'cpu', 'cuda']), z.string().regex(/^cuda:\d{1,3}$/, 'a device is auto, cpu, cuda or cuda:N')]),
  dtype: z.enum(['float32', 'float64']),
  /** stop when the validation loss has not improved by minDelta for `patience` epochs; absent or null: train all epochs */
  earlyStopping: z.strictObject({ patience: z.number().int().positive(), minDelta: nonNegative }).nullable().optional(),
  /** start from these weights (a .mdl/.pt state_dict, a resume checkpoint or .safetensors) instead of fresh
   * initialisation; strict: every key must match (load_state_dict(strict=True)); a relative path is resolved
   * against the project file's folder */
  initialWeights: z.strictObject({ path: z.string().min(1), strict: z.boolean() }).nullable().optional(),
  /** CPU threads for the engine's kernels (torch.set_num_threads); absent or 0: the physical core count */
  threads: z.number().int().min(0).max(1024).optional(),
});
export type Training = z.infer<typeof TrainingSchema>;

export const UiStateSchema = z.strictObject({
  viewport: z.strictObject({ x: z.number(), y: z.number(), zoom: positive }),
  selection: z.array(id),
  collapsedGroups: z.array(id),
});

export const ProjectSchema = z.strictObject({
  format: z.literal(PROJECT_FORMAT),
  version: z.literal(PROJECT_VERSION),
  name: z.string().min(1),
  description: z.string(),
  graph: GraphSchema,
  training: TrainingSchema,
  ui: UiStateSchema,
});
export type Project = z.infer<typeof ProjectSchema>;

export const defaultTraining = (): Training => ({
  dataset: { source: 'synthetic', name: 'linear', options: {}, validationSplit: 0 },
  loss: null,
  optimizer: { kind: 'sgd', lr: 0.01, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false },
  schedule: { kind: 'constant' },
  epochs: 10,
  batchSize: 64,
  shuffle: true,
  workers: 0,
  seed: 0,
  gradientClipping: null,
  device: 'auto',
  dtype: 'float32',
});

export const defaultUiState = (): Project['ui'] => ({ viewport: { x: 0, y: 0, zoom: 1 }, selection: [], collapsedGroups: [] });
