// Graph analysis on every edit: param checks, connections, cycles, shape inference with derived params, names, loss checks.
import { formatShape } from '../layers/helpers';
import { layerSpec } from '../layers/index';
import { ParamReader, type InputInfos, type LayerSpec, type ParamSpec, type ParamValue, type Params, type TensorInfo } from '../layers/spec';
import { graphError, type Fix, type GraphError } from './errors';
import { isSequentialRootMember, nameNodes } from './names';
import type { Graph, GraphEdge, GraphNode } from './schema';

export interface NodeAnalysis {
  readonly node: GraphNode;
  readonly spec: LayerSpec;
  /** defaults, then the node's params, then derived values (unless pinned) */
  readonly params: Params;
  readonly inputs: InputInfos;
  readonly outputs: Readonly<Record<string, TensorInfo>>;
  /** ok: shapes known; error: this node has an error; blocked: an upstream node has one */
  readonly status: 'ok' | 'error' | 'blocked';
}

export interface GraphAnalysis {
  /** topological order (nodes on a cycle are left out) */
  readonly order: readonly string[];
  readonly nodes: ReadonlyMap<string, NodeAnalysis>;
  /** node id → PyTorch module path */
  readonly paths: ReadonlyMap<string, string>;
  /** edge id → the edge, for edges that are kept (known ports, first edge into a port) */
  readonly edges: ReadonlyMap<string, GraphEdge>;
  /** the loss node training minimises, when there is exactly one choice */
  readonly lossNode: string | null;
  readonly errors: readonly GraphError[];
}

export interface AnalyzeOptions {
  /** require an input and a loss node (training); false for inference-only graphs */
  readonly requireLoss?: boolean;
  /** the training settings' loss node */
  readonly lossNode?: string | null;
}

// ---- params -------------------------------------------------------------------------------------

function checkParam(spec: ParamSpec, value: ParamValue, nodeId: string, title: string): GraphError | null {
  const at = { node: nodeId };
  const reset: Fix = { kind: 'set-param', node: nodeId, param: spec.name, value: spec.default };
  const typeError = (expected: string) =>
    graphError('E_PARAM_TYPE', `${title}: ${spec.name} must be ${expected}, got ${JSON.stringify(value)}; reset it to the default.`, at, [reset]);
  if (value === null) return spec.nullable || spec.derived ? null : typeError('set');
  const range = (number: number, min: number | undefined, max: number | undefined, exclusiveMin = false, exclusiveMax = false): GraphError | null => {
    const belowMin = min !== undefined && (exclusiveMin ? number <= min : number < min);
    const aboveMax = max !== undefined && (exclusiveMax ? number >= max : number > max);
    if (!belowMin && !aboveMax) return null;
    const bounds = `${min === undefined ? '' : `${exclusiveMin ? '>' : '≥'} ${min}`}${min !== undefined && max !== undefined ? ' and ' : ''}${max === undefined ? '' : `${exclusiveMax ? '<' : '≤'} ${max}`}`;
    const clamped = belowMin ? min : max;
    const fixes: Fix[] = clamped !== undefined && !(belowMin ? exclusiveMin : exclusiveMax) ? [{ kind: 'set-param', node: nodeId, param: spec.name, value: clamped }] : [reset];
    return graphError('E_PARAM_RANGE', `${title}: ${spec.name}=${number} is out of range; it must be ${bounds}.`, at, fixes);
  };
  switch (spec.kind) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return typeError('a whole number');
      return range(value, spec.min, spec.max);
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) return typeError('a number');
      return range(value, spec.min, spec.max, spec.exclusiveMin, spec.exclusiveMax);
    case 'bool':
      return typeof value === 'boolean' ? null : typeError('true or false');
    case 'enum':
      return typeof value === 'string' && spec.options.includes(value) ? null : typeError(`one of ${spec.options.join(', ')}`);
    case 'ints': {
      if (!Array.isArray(value) || !value.every((item) => Number.isInteger(item))) return typeError('a tuple of whole numbers');
      const items = value as readonly number[];
      if (items.length < spec.minLength || items.length > spec.maxLength) {
        const length = spec.minLength === spec.maxLength ? `${spec.minLength}` : `${spec.minLength} to ${spec.maxLength}`;
        return graphError('E_PARAM_RANGE', `${title}: ${spec.name} needs ${length} values, got ${items.length}.`, at, [reset]);
      }
      for (const item of items) {
        const error = range(item, spec.min, spec.max);
        if (error) return graphError('E_PARAM_RANGE', `${title}: every value of ${spec.name} ${formatShape(items)} must be within bounds: ${error.message}`, at, [reset]);
      }
      return null;
    }
  }
}

// ---- ports --------------------------------------------------------------------------------------

const rankText = (rank: number | readonly [number, number]): string => (typeof rank === 'number' ? `${rank}` : `${rank[0]}–${rank[1]}`);

function rankFix(expected: number | readonly [number, number], actual: number, edge: GraphEdge): Fix[] {
  const max = typeof expected === 'number' ? expected : expected[1];
  const min = typeof expected === 'number' ? expected : expected[0];
  const between = [edge.source.node, edge.target.node] as const;
  if (actual > max && max >= 2) return [{ kind: 'insert-node', layer: 'nn.Flatten', between, edge: edge.id, params: { start_dim: 1, end_dim: -1 } }];
  if (actual < min) return [{ kind: 'insert-node', layer: 'op.Reshape', between, edge: edge.id }];
  return [];
}

// ---- analysis -----------------------------------------------------------------------------------

export function analyzeGraph(graph: Graph, options: AnalyzeOptions = {}): GraphAnalysis {
  const errors: GraphError[] = [];
  const specs = new Map<string, LayerSpec>();
  const nodeIndex = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    nodeIndex.set(node.id, index);
    const spec = layerSpec(node.layer);
    if (spec === undefined) {
      errors.push(graphError('E_UNKNOWN_LAYER', `Node "${node.id}" uses layer "${node.layer}", which this version of Netwright does not know; remove the node or update Netwright.`, { node: node.id }, [{ kind: 'remove-node', node: node.id }]));
    } else {
      specs.set(node.id, spec);
    }
  });

  // Edges: known endpoints, one edge per input port.
  const incoming = new Map<string, Map<string, GraphEdge>>();
  const outgoing = new Map<string, GraphEdge[]>();
  const edges = new Map<string, GraphEdge>();
  for (const edge of graph.edges) {
    const source = specs.get(edge.source.node);
    const target = specs.get(edge.target.node);
    const sourceOk = source?.outputs.some((portSpec) => portSpec.name === edge.source.port);
    const targetOk = target?.inputs.some((portSpec) => portSpec.name === edge.target.port);
    if (!sourceOk || !targetOk) {
      const bad = !sourceOk ? `${edge.source.node}.${edge.source.port}` : `${edge.target.node}.${edge.target.port}`;
      if (!nodeIndex.has(edge.source.node) || !nodeIndex.has(edge.target.node) || (source !== undefined && target !== undefined)) {
        errors.push(graphError('E_UNKNOWN_PORT', `Edge "${edge.id}" connects ${bad}, which does not exist; remove the edge.`, { edge: edge.id }, [{ kind: 'remove-edge', edge: edge.id }]));
      }
      continue;
    }
    const ports = incoming.get(edge.target.node) ?? new Map<string, GraphEdge>();
    const existing = ports.get(edge.target.port);
    if (existing !== undefined) {
      errors.push(graphError('E_PORT_MULTIPLE_EDGES', `Input ${edge.target.port} of "${edge.target.node}" has two edges (${existing.id} and ${edge.id}); an input takes one — remove one, or add the tensors with an Add or Concat node.`, { node: edge.target.node, port: edge.target.port, edge: edge.id }, [{ kind: 'remove-edge', edge: edge.id }]));
      continue;
    }
    ports.set(edge.target.port, edge);
    incoming.set(edge.target.node, ports);
    const out = outgoing.get(edge.source.node);
    if (out === undefined) outgoing.set(edge.source.node, [edge]);
    else out.push(edge);
    edges.set(edge.id, edge);
  }

  // Topological order (Kahn), ties broken by position in the file: deterministic.
  const known = graph.nodes.filter((node) => specs.has(node.id));
  const pending = new Map(known.map((node) => [node.id, incoming.get(node.id)?.size ?? 0]));
  const ready = new MinHeap<string>((a, b) => (nodeIndex.get(a) ?? 0) - (nodeIndex.get(b) ?? 0));
  for (const node of known) if (pending.get(node.id) === 0) ready.push(node.id);
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop();
    order.push(id);
    for (const edge of outgoing.get(id) ?? []) {
      const left = (pending.get(edge.target.node) ?? 0) - 1;
      pending.set(edge.target.node, left);
      if (left === 0) ready.push(edge.target.node);
    }
  }
  if (order.length < known.length) {
    const ordered = new Set(order);
    const cyclic = known.filter((node) => !ordered.has(node.id)).map((node) => node.id);
    const cyclicSet = new Set(cyclic);
    const closing = [...edges.values()].find((edge) => cyclicSet.has(edge.source.node) && cyclicSet.has(edge.target.node));
    errors.push(graphError('E_CYCLE', `The edges form a loop through ${cyclic.map((id) => `"${id}"`).join(', ')}; a network must flow one way — remove an edge of the loop (use RNN/LSTM/GRU for recurrence).`, { node: cyclic[0] ?? '', ...(closing ? { edge: closing.id } : {}) }, closing ? [{ kind: 'remove-edge', edge: closing.id }] : []));
  }

  // Per node, in order: params, connections, derived params, shapes.
  const nodes = new Map<string, NodeAnalysis>();
  const nodeById = new Map(graph.nodes.map((node) => [node.id, node]));
  for (const id of order) {
    const node = nodeById.get(id);
    const spec = specs.get(id);
    if (node === undefined || spec === undefined) continue;
    const at = { node: id };
    let status: NodeAnalysis['status'] = 'ok';
    const values: Record<string, ParamValue> = {};
    for (const paramSpec of spec.params) {
      const value = node.params[paramSpec.name] ?? paramSpec.default;
      values[paramSpec.name] = value;
      const error = checkParam(paramSpec, value, id, spec.title);
      if (error) {
        errors.push(error);
        status = 'error';
      }
    }
    const inputs: Record<string, TensorInfo> = {};
    for (const portSpec of spec.inputs) {
      const edge = incoming.get(id)?.get(portSpec.name);
      if (edge === undefined) {
        if (!portSpec.optional) {
          const fixes: Fix[] =
            spec.category === 'loss' && portSpec.name === 'target'
              ? [{ kind: 'add-node', layer: 'input.Target', params: { dtype: portSpec.kind === 'index' ? 'class-index' : 'float', shape: [] }, connectTo: { node: id, port: portSpec.name } }]
              : [];
          errors.push(graphError('E_PORT_UNCONNECTED', `${spec.title} "${id}": input ${portSpec.name} (${portSpec.doc}) is not connected; connect an edge to it.`, { node: id, port: portSpec.name }, fixes));
          status = 'error';
        }
        continue;
      }
      const upstream = nodes.get(edge.source.node);
      const info = upstream?.outputs[edge.source.port];
      if (info === undefined) {
        if (status === 'ok') status = 'blocked';
        continue;
      }
      const rank = info.shape.length;
      const [min, max] = typeof portSpec.rank === 'number' ? [portSpec.rank, portSpec.rank] : portSpec.rank;
      if (rank < min || rank > max) {
        errors.push(graphError('E_RANK_MISMATCH', `${spec.title} "${id}": input ${portSpec.name} expects ${rankText(portSpec.rank)} dims (${portSpec.doc}) but gets ${formatShape(info.shape)} from "${edge.source.node}"${rank > max && max >= 2 ? '; insert a Flatten' : ''}.`, { node: id, port: portSpec.name, edge: edge.id }, rankFix(portSpec.rank, rank, edge)));
        status = 'error';
      }
      if (info.kind !== portSpec.kind) {
        const source = nodeById.get(edge.source.node);
        const fixes: Fix[] = [];
        if (source?.layer === 'input.Target') fixes.push({ kind: 'set-param', node: source.id, param: 'dtype', value: portSpec.kind === 'index' ? 'class-index' : 'float' });
        else if (portSpec.kind === 'float' && info.kind === 'index') fixes.push({ kind: 'insert-node', layer: 'nn.Embedding', between: [edge.source.node, id], edge: edge.id });
        const want = portSpec.kind === 'index' ? 'int64 class indices or token ids' : 'float values';
        const have = info.kind === 'index' ? 'int64 indices' : 'float values';
        const hint = spec.id === 'nn.CrossEntropyLoss' || spec.id === 'nn.NLLLoss' ? ` (${spec.title} needs class indices [N], not one-hot or float labels; set the Target's dtype to class-index)` : '';
        errors.push(graphError('E_KIND_MISMATCH', `${spec.title} "${id}": input ${portSpec.name} needs ${want} but "${edge.source.node}" gives ${have}${hint}.`, { node: id, port: portSpec.name, edge: edge.id }, fixes));
        status = 'error';
      }
      inputs[portSpec.name] = info;
    }
    let params: Params = values;
    let outputs: Record<string, TensorInfo> = {};
    if (status === 'ok' && spec.derive) {
      const pinned = new Set(node.pinned ?? []);
      const derived = spec.derive(inputs, new ParamReader(values));
      const merged: Record<string, ParamValue> = { ...values };
      for (const [name, value] of Object.entries(derived)) {
        if (!pinned.has(name) || merged[name] === null) merged[name] = value;
      }
      params = merged;
    }
    if (status === 'ok' && spec.params.some((paramSpec) => paramSpec.derived && params[paramSpec.name] === null && !paramSpec.nullable)) status = 'blocked';
    if (status === 'ok') {
      const result = spec.inferShape(inputs, new ParamReader(params));
      if (result.ok) {
        outputs = { ...result.outputs };
      } else {
        const fixes: Fix[] = [];
        const layerFix = result.error.fix;
        const portEdge = result.error.port === undefined ? undefined : incoming.get(id)?.get(result.error.port);
        if (layerFix?.kind === 'set-param') {
          fixes.push({ kind: 'set-param', node: id, param: layerFix.param, value: layerFix.value });
          if (node.pinned?.includes(layerFix.param)) fixes.push({ kind: 'unpin-param', node: id, param: layerFix.param });
        } else if (layerFix?.kind === 'insert-before' && portEdge !== undefined) {
          fixes.push({ kind: 'insert-node', layer: layerFix.layer, between: [portEdge.source.node, id], edge: portEdge.id, ...(layerFix.params ? { params: layerFix.params } : {}) });
        }
        errors.push(graphError(result.error.code, `${spec.title} "${id}": ${result.error.message}`, { ...at, ...(result.error.port === undefined ? {} : { port: result.error.port }), ...(portEdge ? { edge: portEdge.id } : {}) }, fixes));
        status = 'error';
      }
    }
    nodes.set(id, { node, spec, params, inputs, outputs, status });
  }

  // Names and groups.
  const naming = nameNodes(graph, order);
  errors.push(...naming.errors);
  for (const group of graph.groups.filter((candidate) => candidate.kind === 'sequential')) {
    const members = order.filter((id) => nodeById.get(id)?.group === group.id);
    const memberSet = new Set(members);
    members.forEach((id, index) => {
      const spec = specs.get(id);
      const previous = members[index - 1];
      const edgesIn = [...(incoming.get(id)?.values() ?? [])];
      const fromInside = edgesIn.filter((edge) => memberSet.has(edge.source.node));
      const chained = spec?.torch.kind === 'module' && spec.inputs.length === 1 && (index === 0 ? fromInside.length === 0 : fromInside.length === 1 && fromInside[0]?.source.node === previous);
      if (!chained) {
        errors.push(graphError('E_GROUP_NOT_CHAIN', `Group "${group.name}" is an nn.Sequential, so its nodes must form one chain of single-input modules; "${id}" breaks the chain — make the group a named module instead, or move "${id}" out.`, { node: id }));
      }
    });
  }

  // A model that is itself an nn.Sequential: nn.Sequential.forward feeds each child the previous one's output, so
  // the top-level layers must be one chain of single-input, single-output modules from the one model input, and only
  // the last may feed anything else (the loss).
  if (graph.root?.kind === 'sequential') {
    const isMember = (id: string): boolean => {
      const spec = specs.get(id);
      return nodeById.get(id)?.group === undefined && spec !== undefined && isSequentialRootMember(spec.category);
    };
    const members = order.filter(isMember);
    const toModule: Fix[] = [{ kind: 'set-root', root: 'module' }];
    const rootError = (message: string, where: { node?: string } = {}): void => {
      errors.push(graphError('E_ROOT_NOT_CHAIN', `The model is an nn.Sequential (its layers are numbered 0, 1, 2…), so ${message}; or make the model a named nn.Module.`, where, toModule));
    };
    const modelInputs = graph.nodes.filter((node) => specs.get(node.id)?.category === 'input' && node.layer !== 'input.Target');
    if (modelInputs.length > 1) rootError(`it takes one input, not ${modelInputs.length} (${modelInputs.map((node) => `"${node.id}"`).join(', ')}) — remove the extra inputs`, { node: modelInputs[1]!.id });
    for (const group of graph.groups.filter((candidate) => candidate.parent === undefined)) {
      const first = graph.nodes.find((node) => node.group === group.id);
      rootError(`a group ("${group.name}") cannot be one of its numbered layers — ungroup it`, first === undefined ? {} : { node: first.id });
    }
    members.forEach((id, index) => {
      const spec = specs.get(id);
      const edgesIn = [...(incoming.get(id)?.values() ?? [])];
      const edgesOut = outgoing.get(id) ?? [];
      const next = members[index + 1];
      const fedRight = index === 0 ? edgesIn.every((edge) => specs.get(edge.source.node)?.category === 'input') : edgesIn.length === 1 && edgesIn[0]?.source.node === members[index - 1];
      const feedsRight = next === undefined ? edgesOut.every((edge) => !isMember(edge.target.node)) : edgesOut.length > 0 && edgesOut.every((edge) => edge.target.node === next);
      if (spec?.torch.kind !== 'module' || spec.inputs.length !== 1 || spec.outputs.length !== 1) {
        rootError(`each layer must be a module with one input and one output; "${id}" (${spec?.title ?? '?'}) is not — remove it`, { node: id });
      } else if (!fedRight || !feedsRight) {
        rootError(`its layers must form one chain, each feeding only the next; "${id}" breaks the chain — reconnect it`, { node: id });
      }
    });
  }

  // Graph-level requirements.
  if (!graph.nodes.some((node) => specs.get(node.id)?.category === 'input' && node.layer !== 'input.Target')) {
    errors.push(graphError('E_NO_INPUT', 'The graph has no input node; add one (Features, Image, Token sequence or Sequence input) and connect it to the first layer.', {}, [{ kind: 'add-node', layer: 'input.Features', connectTo: { node: order[0] ?? '', port: 'input' } }]));
  }
  const losses = order.filter((id) => specs.get(id)?.category === 'loss');
  let lossNode: string | null = null;
  if (options.lossNode != null) {
    if (losses.includes(options.lossNode)) lossNode = options.lossNode;
    else errors.push(graphError('E_LOSS_AMBIGUOUS', `The training settings pick "${options.lossNode}" as the loss, but it is not a loss node of this graph; pick one of: ${losses.join(', ') || 'none'}.`, {}, losses.map((node) => ({ kind: 'set-training-loss', node }))));
  } else if (losses.length === 1) {
    lossNode = losses[0] ?? null;
  } else if (losses.length > 1) {
    errors.push(graphError('E_LOSS_AMBIGUOUS', `The graph has ${losses.length} loss nodes (${losses.join(', ')}); pick the one to minimise in the training settings.`, {}, losses.map((node) => ({ kind: 'set-training-loss', node }))));
  }
  if (losses.length === 0 && (options.requireLoss ?? true)) {
    const sink = [...order].reverse().find((id) => specs.get(id)?.category !== 'input' && (outgoing.get(id)?.length ?? 0) === 0);
    errors.push(graphError('E_NO_LOSS', 'The graph has no loss node, so there is nothing to train; add a loss (CrossEntropyLoss for classes, MSELoss for values) after the last layer and connect a Target to it.', {}, sink === undefined ? [] : [{ kind: 'add-node', layer: 'nn.CrossEntropyLoss', connectTo: { node: sink, port: 'out' } }]));
  }
  return { order, nodes, paths: naming.paths, edges, lossNode, errors };
}

/** Binary min-heap: O(log n) push/pop for the topological sort's ready set. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.less(a[i]!, a[parent]!) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): T {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
