// Checkpoint import across the Api: the per-key report shown before anything changes, and a graph
// inferred from a Sequential-style state_dict (parsing happens in the trainer process, never in main).
import { z } from 'zod';

export const InspectCheckpointRequestSchema = z.strictObject({
  /** the project as JSON text, or a path to its file (exactly one) */
  projectJson: z.string().optional(),
  projectPath: z.string().optional(),
  /** .mdl/.pt (torch.save), a resume checkpoint, or .safetensors */
  checkpointPath: z.string().min(1),
});
export type InspectCheckpointRequest = z.infer<typeof InspectCheckpointRequestSchema>;

const TensorInfoSchema = z.strictObject({ shape: z.array(z.number().int().nonnegative()), dtype: z.string() });

export const ImportReportSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      key: z.string(),
      status: z.enum(['matched', 'missing', 'unexpected', 'shape-mismatch', 'dtype-mismatch']),
      expected: TensorInfoSchema.optional(),
      found: TensorInfoSchema.optional(),
      converted: z.boolean().optional(),
    }),
  ),
  counts: z.record(z.string(), z.number().int().nonnegative()),
  /** whether load_state_dict would succeed with strict=True / strict=False */
  loadable: z.strictObject({ strict: z.boolean(), nonStrict: z.boolean() }),
});
export type ImportReportInfo = z.infer<typeof ImportReportSchema>;

export const GraphFromCheckpointRequestSchema = z.strictObject({
  checkpointPath: z.string().min(1),
  /** answers to earlier questions: layer id by module path, and "input": "C,H,W" or "F" */
  answers: z.record(z.string(), z.string()),
  name: z.string().optional(),
});
export type GraphFromCheckpointRequest = z.infer<typeof GraphFromCheckpointRequestSchema>;

const ParamsSchema = z.record(z.string(), z.union([z.number(), z.boolean(), z.array(z.number())]));

export const CheckpointGraphSchema = z.strictObject({
  /** the project as JSON text, null until every question is answered (and while there are errors) */
  projectJson: z.string().nullable(),
  /** the model's layers in order: module path ("" for a Flatten Netwright adds), layer id (null: a question is open), its tensors */
  layers: z.array(
    z.strictObject({
      path: z.string(),
      layer: z.string().nullable(),
      params: ParamsSchema,
      tensors: z.array(z.strictObject({ key: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.string() })),
      source: z.enum(['weights', 'question', 'added']),
    }),
  ),
  /** what the keys cannot tell: a layer id by module path (choices), or "input" (free text: "F", "C,L", "C,H,W"); default is preselected */
  questions: z.array(z.strictObject({ path: z.string(), message: z.string(), choices: z.array(z.string()), default: z.string() })),
  notes: z.array(z.string()),
  /** why the checkpoint cannot become a graph, each naming a key (unsupported layers, a single layer's state_dict…) */
  errors: z.array(z.string()),
});
export type CheckpointGraphInfo = z.infer<typeof CheckpointGraphSchema>;

export const ExportModelRequestSchema = z.strictObject({
  /** the project as JSON text, or a path to its file (exactly one) */
  projectJson: z.string().optional(),
  projectPath: z.string().optional(),
  /** weights to export (any readable format); absent: a fresh model seeded by training.seed */
  weightsPath: z.string().min(1).optional(),
  /** the target; its extension picks the format: .mdl/.pt/.pth, .py (model.py + train.py beside it), .safetensors, .onnx */
  to: z.string().min(1),
});
export type ExportModelRequest = z.infer<typeof ExportModelRequestSchema>;

export const ExportedFilesSchema = z.strictObject({
  /** absolute paths of the files written */
  files: z.array(z.string()),
});
export type ExportedFilesInfo = z.infer<typeof ExportedFilesSchema>;
