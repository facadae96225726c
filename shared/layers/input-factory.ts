// Shared shape of the graph-input layer specs: no inputs, one output, no weights, no steps.
import { out } from './helpers';
import type { InferResult, LayerSpec, ParamReader, ParamSpec } from './spec';

interface InputOptions {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly doc: string;
  readonly defaultName: string;
  readonly params: readonly ParamSpec[];
  infer(params: ParamReader): InferResult;
}

/** Builds an Input spec: its output value is a Plan input (or target) named after the node. */
export function inputSpec(options: InputOptions): LayerSpec {
  return {
    id: options.id,
    version: 1,
    category: 'input',
    title: options.title,
    summary: options.summary,
    doc: options.doc,
    defaultName: options.defaultName,
    params: options.params,
    inputs: [],
    outputs: [out('out', 'the batch, as the data loader yields it')],
    inferShape: (_inputs, params) => options.infer(params),
    weights: () => [],
    lower: () => [],
    torch: { kind: 'input' },
  };
}

/** The symbolic sequence dim for a nullable seq_len param. */
export function sequenceDim(params: ParamReader): number | string {
  return params.intOrNull('seq_len') ?? 'T';
}
