// The Plan: what the compiler (shared/compile) hands the engine's executor. Plain
// JSON, deterministic, validated by a schema before it crosses into native code.
import { z } from 'zod';

/** Parameter initialisers, named after torch.nn.init (PyTorch's per-layer defaults). */
export const PlanInitSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('zeros') }),
  z.object({ kind: z.literal('ones') }),
  z.object({ kind: z.literal('constant'), value: z.number() }),
  z.object({ kind: z.literal('uniform'), low: z.number(), high: z.number() }),
  z.object({ kind: z.literal('normal'), mean: z.number(), std: z.number().nonnegative() }),
  /** kaiming_uniform_(w, a): bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)) */
  z.object({ kind: z.literal('kaiming_uniform'), a: z.number(), fanIn: z.number().int().positive() }),
]);
export type PlanInit = z.infer<typeof PlanInitSchema>;

export const PlanDTypeSchema = z.enum(['float32', 'float64', 'int64', 'int32', 'uint8', 'bool']);
export type PlanDType = z.infer<typeof PlanDTypeSchema>;

/** A parameter or buffer. `key` is the full state_dict key ("features.0.weight"). */
export const PlanTensorSchema = z.object({
  key: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: PlanDTypeSchema,
  init: PlanInitSchema,
  /** false for buffers (running_mean, num_batches_tracked) and frozen parameters */
  trainable: z.boolean(),
  /** buffers are state, not parameters: no gradient, not seen by the optimizer */
  buffer: z.boolean(),
  /** rows zeroed after init (Embedding's padding_idx) */
  zeroRows: z.array(z.number().int().nonnegative()).optional(),
});
export type PlanTensor = z.infer<typeof PlanTensorSchema>;

/** A graph input or target; null dims are the batch (or sequence) dimension. */
export const PlanValueSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().positive().nullable()),
  dtype: PlanDTypeSchema,
});
export type PlanValue = z.infer<typeof PlanValueSchema>;

export const PlanAttrSchema = z.union([z.number(), z.boolean(), z.string(), z.array(z.number())]);
export type PlanAttr = z.infer<typeof PlanAttrSchema>;

/**
 * One engine op call. Inputs are value names; `tensors` are state_dict keys appended
 * after the value inputs (a Linear step: inputs ["x"], tensors ["fc1.weight", "fc1.bias"]).
 * An empty string in `tensors` passes "no tensor" (e.g. bias=False).
 * If attrs has a `training` key, the executor sets it to the current mode.
 */
export const PlanStepSchema = z.object({
  op: z.string().min(1),
  module: z.string(),
  inputs: z.array(z.string()),
  tensors: z.array(z.string()),
  outputs: z.array(z.string().min(1)).min(1),
  attrs: z.record(z.string(), PlanAttrSchema),
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

export const PlanSchema = z.object({
  format: z.literal('netwright-plan'),
  version: z.literal(1),
  dtype: z.enum(['float32', 'float64']),
  inputs: z.array(PlanValueSchema).min(1),
  targets: z.array(PlanValueSchema),
  tensors: z.array(PlanTensorSchema),
  steps: z.array(PlanStepSchema),
  /** model outputs (predictions), in order */
  outputs: z.array(z.string()).min(1),
  /** the scalar loss value, when the graph has a loss node */
  loss: z.string().nullable(),
});
export type Plan = z.infer<typeof PlanSchema>;
