// The compiler: graph → Plan (topological steps, PyTorch module paths, state_dict keys); same graph → same JSON.
import { PlanSchema, type Plan, type PlanStep, type PlanTensor, type PlanValue } from '../api/plan';
import { analyzeGraph, type GraphAnalysis } from '../graph/analyze';
import type { GraphError } from '../graph/errors';
import type { Graph, Training } from '../graph/schema';
import { ParamReader, type Dim, type LowerContext } from '../layers/spec';

export type CompileResult =
  | { readonly ok: true; readonly plan: Plan; readonly analysis: GraphAnalysis }
  | { readonly ok: false; readonly errors: readonly GraphError[]; readonly analysis: GraphAnalysis };

export interface CompileOptions {
  readonly dtype?: Training['dtype'];
  readonly lossNode?: string | null;
  /** false compiles an inference-only graph (plan.loss is null) */
  readonly requireLoss?: boolean;
}

/** The value name of a node's output port: the module path, plus ".port" for multi-output layers. */
export function valueName(path: string, outputCount: number, port: string): string {
  return outputCount === 1 ? path : `${path}.${port}`;
}

const planShape = (shape: readonly Dim[]): (number | null)[] => shape.map((dim) => (typeof dim === 'number' ? dim : null));

export function compileGraph(graph: Graph, options: CompileOptions = {}): CompileResult {
  const analysis = analyzeGraph(graph, { requireLoss: options.requireLoss ?? true, lossNode: options.lossNode ?? null });
  if (analysis.errors.length > 0) return { ok: false, errors: analysis.errors, analysis };
  const dtype = options.dtype ?? 'float32';
  const path = (id: string): string => analysis.paths.get(id) ?? id;
  const names = new Map<string, Record<string, string>>();
  for (const id of analysis.order) {
    const node = analysis.nodes.get(id);
    if (node === undefined) continue;
    names.set(id, Object.fromEntries(node.spec.outputs.map((port) => [port.name, valueName(path(id), node.spec.outputs.length, port.name)])));
  }
  const consumers = new Map<string, number>();
  const valueOf = new Map<string, Record<string, string>>();
  for (const edge of analysis.edges.values()) {
    consumers.set(edge.source.node, (consumers.get(edge.source.node) ?? 0) + 1);
    const inputs = valueOf.get(edge.target.node) ?? {};
    inputs[edge.target.port] = names.get(edge.source.node)?.[edge.source.port] ?? '';
    valueOf.set(edge.target.node, inputs);
  }

  const inputs: PlanValue[] = [];
  const targets: PlanValue[] = [];
  const tensors: PlanTensor[] = [];
  const steps: PlanStep[] = [];
  const outputs: string[] = [];
  let loss: string | null = null;
  for (const id of analysis.order) {
    const node = analysis.nodes.get(id);
    if (node === undefined) continue;
    const { spec } = node;
    const params = new ParamReader(node.params);
    const outputNames = names.get(id) ?? {};
    if (spec.category === 'input') {
      const info = node.outputs['out'];
      const value: PlanValue = { name: outputNames['out'] ?? path(id), shape: planShape(info?.shape ?? []), dtype: info?.kind === 'index' ? 'int64' : dtype };
      (spec.id === 'input.Target' ? targets : inputs).push(value);
      continue;
    }
    if (spec.category === 'loss') {
      if (id !== analysis.lossNode) continue;
      loss = outputNames['loss'] ?? null;
      const prediction = valueOf.get(id)?.['input'];
      if (prediction !== undefined && !outputs.includes(prediction)) outputs.push(prediction);
    }
    const module = spec.torch.kind === 'module' ? path(id) : '';
    const weights = spec.weights(params);
    const weightNames = new Set(weights.map((weight) => weight.name));
    for (const weight of weights) {
      tensors.push({
        key: `${path(id)}.${weight.name}`,
        shape: [...weight.shape],
        dtype: weight.dtype === 'model' ? dtype : weight.dtype,
        init: weight.init,
        trainable: !weight.buffer,
        buffer: weight.buffer,
      });
    }
    const inputValues: Record<string, string> = {};
    for (const port of spec.inputs) inputValues[port.name] = valueOf.get(id)?.[port.name] ?? '';
    const context: LowerContext = {
      module,
      params,
      inputs: inputValues,
      inputInfos: node.inputs,
      outputs: outputNames,
      tensor: (name) => (weightNames.has(name) ? `${path(id)}.${name}` : ''),
      temp: (suffix) => `${path(id)}#${suffix}`,
    };
    steps.push(...spec.lower(context));
    const primary = spec.outputs[0]?.name;
    if (spec.category !== 'loss' && (consumers.get(id) ?? 0) === 0 && primary !== undefined) {
      const value = outputNames[primary];
      if (value !== undefined && !outputs.includes(value)) outputs.push(value);
    }
  }
  const plan: Plan = { format: 'netwright-plan', version: 1, dtype, inputs, targets, tensors, steps, outputs, loss };
  return { ok: true, plan: PlanSchema.parse(plan), analysis };
}

/** The Plan as canonical JSON text (what "byte-identical" is measured on). */
export function planJson(plan: Plan): string {
  return JSON.stringify(plan);
}
