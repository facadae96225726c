// Importing a state_dict onto a graph: a per-key report (matched, missing, unexpected, shape mismatch) computed
// before anything changes, strict and non-strict decisions, and a Sequential-style graph inferred from the keys
// where the layer types can be told from the weights, with questions where they cannot.
import type { Plan } from '../api/plan';
import type { TensorData } from '../formats/tensor';
import { defaultTraining, PROJECT_FORMAT, PROJECT_VERSION, type Project } from '../graph/schema';

export type KeyStatus = 'matched' | 'missing' | 'unexpected' | 'shape-mismatch' | 'dtype-mismatch';

export interface KeyReport {
  readonly key: string;
  readonly status: KeyStatus;
  /** what the graph expects (absent for unexpected keys) */
  readonly expected?: { readonly shape: readonly number[]; readonly dtype: string };
  /** what the file holds (absent for missing keys) */
  readonly found?: { readonly shape: readonly number[]; readonly dtype: string };
  /** a float tensor of the other float width is converted on load */
  readonly converted?: boolean;
}

export interface ImportReport {
  readonly keys: readonly KeyReport[];
  readonly counts: Readonly<Record<KeyStatus, number>>;
  /** strict: every key matched, none unexpected; non-strict: nothing that exists on both sides disagrees */
  readonly loadable: { readonly strict: boolean; readonly nonStrict: boolean };
}

const floats = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** Compares a state_dict with the Plan's tensors, key by key, in the graph's order then the file's. */
export function matchStateDict(plan: Plan, state: ReadonlyMap<string, TensorData>): ImportReport {
  const keys: KeyReport[] = [];
  for (const tensor of plan.tensors) {
    const expected = { shape: tensor.shape, dtype: tensor.dtype };
    const found = state.get(tensor.key);
    if (found === undefined) {
      keys.push({ key: tensor.key, status: 'missing', expected });
      continue;
    }
    const info = { shape: found.shape, dtype: found.dtype };
    const sameShape = found.shape.length === tensor.shape.length && found.shape.every((d, i) => d === tensor.shape[i]);
    if (!sameShape) keys.push({ key: tensor.key, status: 'shape-mismatch', expected, found: info });
    else if (found.dtype === tensor.dtype) keys.push({ key: tensor.key, status: 'matched', expected, found: info });
    else if (floats.has(found.dtype) && floats.has(tensor.dtype)) keys.push({ key: tensor.key, status: 'matched', expected, found: info, converted: true });
    else keys.push({ key: tensor.key, status: 'dtype-mismatch', expected, found: info });
  }
  const own = new Set(plan.tensors.map((t) => t.key));
  for (const [key, t] of state) if (!own.has(key)) keys.push({ key, status: 'unexpected', found: { shape: t.shape, dtype: t.dtype } });
  const counts: Record<KeyStatus, number> = { matched: 0, missing: 0, unexpected: 0, 'shape-mismatch': 0, 'dtype-mismatch': 0 };
  for (const k of keys) counts[k.status] += 1;
  const conflicts = counts['shape-mismatch'] + counts['dtype-mismatch'];
  return { keys, counts, loadable: { strict: conflicts + counts.missing + counts.unexpected === 0, nonStrict: conflicts === 0 } };
}

/** The report as text lines (CLI, logs). */
export function formatImportReport(report: ImportReport): string[] {
  const shape = (s: readonly number[] | undefined): string => (s === undefined ? '' : `[${s.join(', ')}]`);
  const lines = report.keys.map((k) => {
    switch (k.status) {
      case 'matched':
        return `  matched         ${k.key} ${shape(k.expected?.shape)}${k.converted ? ` (${k.found?.dtype} → ${k.expected?.dtype})` : ''}`;
      case 'missing':
        return `  missing         ${k.key} ${shape(k.expected?.shape)} (keeps its initial value)`;
      case 'unexpected':
        return `  unexpected      ${k.key} ${shape(k.found?.shape)} (not in the graph; ignored)`;
      case 'shape-mismatch':
        return `  shape mismatch  ${k.key}: graph ${shape(k.expected?.shape)}, file ${shape(k.found?.shape)}`;
      case 'dtype-mismatch':
        return `  dtype mismatch  ${k.key}: graph ${k.expected?.dtype}, file ${k.found?.dtype}`;
    }
  });
  const c = report.counts;
  lines.push(`${c.matched} matched, ${c.missing} missing, ${c.unexpected} unexpected, ${c['shape-mismatch']} shape mismatches, ${c['dtype-mismatch']} dtype mismatches`);
  return lines;
}

// ---- a graph from a Sequential-style state_dict ----------------------------------------------------

export interface InferredLayer {
  /** the module path ("0", "features.3") */
  readonly path: string;
  readonly layer: string;
  readonly params: Readonly<Record<string, number | boolean | number[]>>;
}

export interface InferredGraph {
  readonly layers: readonly InferredLayer[];
  /** where the keys cannot tell the layer type: the user must choose (e.g. an activation between two Linears) */
  readonly questions: readonly string[];
}

/**
 * Layer types from weight names and shapes: weight [out, in] → Linear, [out, in, kh, kw] → Conv2d,
 * [out, in, k] → Conv1d, weight/bias/running_mean/running_var → BatchNorm1d/2d (by the next layer's kind),
 * weight [n, d] alone under an "embedding"-like name → Embedding. Parameterless layers (ReLU, pooling, Flatten)
 * leave gaps in Sequential indices; each gap becomes a question.
 */
export function inferSequentialGraph(state: ReadonlyMap<string, TensorData>): InferredGraph {
  const modules = new Map<string, Map<string, TensorData>>();
  for (const [key, t] of state) {
    const dot = key.lastIndexOf('.');
    const path = dot < 0 ? '' : key.slice(0, dot);
    const inner = modules.get(path) ?? new Map<string, TensorData>();
    inner.set(key.slice(dot + 1), t);
    modules.set(path, inner);
  }
  const layers: InferredLayer[] = [];
  const questions: string[] = [];
  const entries = [...modules];
  entries.forEach(([path, tensors], index) => {
    const weight = tensors.get('weight');
    const bias = tensors.has('bias');
    if (tensors.has('running_mean')) {
      const next = entries[index + 1]?.[1].get('weight');
      const previous = layers[layers.length - 1];
      const twoD = previous?.layer === 'nn.Conv2d' || (next !== undefined && next.shape.length === 4);
      layers.push({ path, layer: twoD ? 'nn.BatchNorm2d' : 'nn.BatchNorm1d', params: { num_features: tensors.get('running_mean')!.shape[0] ?? 0, affine: weight !== undefined } });
    } else if (weight?.shape.length === 2 && /emb/i.test(path) && !bias) {
      layers.push({ path, layer: 'nn.Embedding', params: { num_embeddings: weight.shape[0]!, embedding_dim: weight.shape[1]! } });
    } else if (weight?.shape.length === 2) {
      layers.push({ path, layer: 'nn.Linear', params: { in_features: weight.shape[1]!, out_features: weight.shape[0]!, bias } });
    } else if (weight?.shape.length === 4) {
      layers.push({ path, layer: 'nn.Conv2d', params: { in_channels: weight.shape[1]!, out_channels: weight.shape[0]!, kernel_size: [weight.shape[2]!, weight.shape[3]!], bias } });
    } else if (weight?.shape.length === 3) {
      layers.push({ path, layer: 'nn.Conv1d', params: { in_channels: weight.shape[1]!, out_channels: weight.shape[0]!, kernel_size: [weight.shape[2]!], bias } });
    } else {
      questions.push(`${path || '(top level)'}: tensors ${[...tensors.keys()].join(', ')} do not tell the layer type; pick it`);
    }
  });
  // Gaps in Sequential indices are parameterless layers (activations, pooling, dropout, flatten).
  const byParent = new Map<string, number[]>();
  for (const layer of layers) {
    const dot = layer.path.lastIndexOf('.');
    const local = layer.path.slice(dot + 1);
    if (!/^\d+$/.test(local)) continue;
    const parent = dot < 0 ? '' : layer.path.slice(0, dot);
    byParent.set(parent, [...(byParent.get(parent) ?? []), Number(local)]);
  }
  for (const [parent, indices] of byParent) {
    for (let i = 1; i < indices.length; i += 1) {
      for (let gap = indices[i - 1]! + 1; gap < indices[i]!; gap += 1) {
        questions.push(`${parent ? `${parent}.` : ''}${gap}: a layer without weights (an activation, pooling, dropout or flatten); pick it`);
      }
    }
    const last = layers.filter((l) => l.path.startsWith(parent ? `${parent}.` : '')).pop();
    const previous = layers[layers.indexOf(last!) - 1];
    if (last?.layer === 'nn.Linear' && previous?.layer === 'nn.Conv2d') questions.push(`${last.path}: a Flatten is needed between the convolutions and ${last.path}; confirm its place`);
  }
  return { layers, questions };
}

// ---- a project from a checkpoint ---------------------------------------------------------------------

/** What the user must decide before a graph can be built: a layer for a gap, or the input's shape. */
export interface GraphQuestion {
  /** the module path the answer is for ("features.1"), or "input" */
  readonly path: string;
  readonly message: string;
  /** layer ids that fit (empty for the input shape: answer "C,H,W" or "F") */
  readonly choices: readonly string[];
}

export interface CheckpointGraph {
  /** null until every question is answered */
  readonly project: Project | null;
  readonly layers: readonly InferredLayer[];
  readonly questions: readonly GraphQuestion[];
  /** what the keys cannot say and the user should check (conv padding/stride, pooling sizes) */
  readonly notes: readonly string[];
}

const parameterless = ['nn.ReLU', 'nn.Tanh', 'nn.Sigmoid', 'nn.GELU', 'nn.LeakyReLU', 'nn.ELU', 'nn.SiLU', 'nn.MaxPool2d', 'nn.AvgPool2d', 'nn.Flatten', 'nn.Dropout', 'nn.Dropout2d', 'nn.Softmax', 'nn.LogSoftmax'];

/**
 * A Sequential-style state_dict as a project: the inferred layers in key order with the user's answers filling the
 * gaps (parameterless layers at missing Sequential indices), an input node, groups for dotted prefixes. Answers
 * are layer ids by module path, plus "input": "C,H,W" (images) or "F" (features). No loss node is added.
 */
export function projectFromCheckpoint(state: ReadonlyMap<string, TensorData>, answers: Readonly<Record<string, string>> = {}, name = 'Imported checkpoint'): CheckpointGraph {
  const inferred = inferSequentialGraph(state);
  const questions: GraphQuestion[] = [];
  const chain: { path: string; layer: string; params: Readonly<Record<string, number | boolean | number[]>> }[] = [];
  const known = new Set(inferred.layers.map((l) => l.path));
  for (const text of inferred.questions) {
    const path = text.slice(0, text.indexOf(':'));
    if (known.has(path)) continue; // the Flatten hint: placed below
    const answer = answers[path];
    if (answer === undefined || !parameterless.includes(answer)) questions.push({ path, message: text, choices: parameterless });
    else chain.push({ path, layer: answer, params: {} });
  }
  chain.push(...inferred.layers);
  const indexOf = (path: string): number[] => path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : -1));
  const order = [...state.keys()].map((key) => key.slice(0, key.lastIndexOf('.')));
  const rank = (path: string): number => {
    const at = order.indexOf(path);
    if (at >= 0) return at;
    // a gap: right after the layer with the previous index in the same parent
    const dot = path.lastIndexOf('.');
    const parent = path.slice(0, dot + 1);
    const index = Number(path.slice(dot + 1));
    for (let i = index - 1; i >= 0; i -= 1) {
      const before = order.indexOf(`${parent}${i}`);
      if (before >= 0) return before + (index - i) / 1000;
    }
    return -1;
  };
  chain.sort((a, b) => rank(a.path) - rank(b.path) || indexOf(a.path).join().localeCompare(indexOf(b.path).join()));
  // Convolutions then a Linear: a Flatten goes in between unless the user placed one.
  let spatialRun = false;
  for (let at = 0; at < chain.length; at += 1) {
    const layer = chain[at]!.layer;
    if (layer === 'nn.Conv2d' || layer === 'nn.Conv1d') spatialRun = true;
    else if (layer === 'nn.Flatten') spatialRun = false;
    else if (layer === 'nn.Linear' && spatialRun) {
      chain.splice(at, 0, { path: '', layer: 'nn.Flatten', params: {} });
      spatialRun = false;
    }
  }
  const first = chain[0];
  const spatial = first?.layer === 'nn.Conv2d' || first?.layer === 'nn.Conv1d';
  const inputAnswer = answers['input'];
  const inputDims = inputAnswer?.split(/[,x× ]+/).map(Number).filter((n) => Number.isInteger(n) && n > 0) ?? [];
  const wantDims = first?.layer === 'nn.Conv2d' ? 3 : first?.layer === 'nn.Conv1d' ? 2 : 1;
  if (first !== undefined && first.layer !== 'nn.Embedding' && (spatial ? inputDims.length !== wantDims : false)) {
    questions.push({ path: 'input', message: `input: the checkpoint does not say the ${first.layer === 'nn.Conv2d' ? 'image size; answer C,H,W' : 'sequence length; answer C,L'}`, choices: [] });
  }
  if (questions.length > 0 || first === undefined) {
    if (first === undefined) questions.push({ path: '', message: 'the checkpoint has no layer whose type can be inferred', choices: [] });
    return { project: null, layers: inferred.layers, questions, notes: [] };
  }

  const nodes: Project['graph']['nodes'] = [];
  const edges: Project['graph']['edges'] = [];
  const groups = new Map<string, Project['graph']['groups'][number]>();
  const groupFor = (path: string): string | undefined => {
    const dot = path.lastIndexOf('.');
    if (dot < 0) return undefined;
    const parentPath = path.slice(0, dot);
    const existing = groups.get(parentPath);
    if (existing !== undefined) return existing.id;
    const parent = groupFor(parentPath);
    const local = parentPath.slice(parentPath.lastIndexOf('.') + 1);
    const numeric = chain.some((l) => l.path.startsWith(`${parentPath}.`) && /^\d+$/.test(l.path.slice(parentPath.length + 1)));
    const group = { id: `group_${groups.size + 1}`, name: /^\d/.test(local) ? `m${local}` : local, kind: numeric ? ('sequential' as const) : ('module' as const), ...(parent === undefined ? {} : { parent }) };
    groups.set(parentPath, group);
    return group.id;
  };
  const inputLayer = first.layer === 'nn.Embedding' ? 'input.Tokens' : first.layer === 'nn.Conv2d' ? 'input.Image' : 'input.Features';
  const inputParams: Record<string, number> =
    first.layer === 'nn.Conv2d'
      ? { channels: inputDims[0] ?? 1, height: inputDims[1] ?? 28, width: inputDims[2] ?? 28 }
      : first.layer === 'nn.Linear'
        ? { features: Number(first.params['in_features'] ?? 1) }
        : {};
  nodes.push({ id: 'input', layer: inputLayer, params: inputParams, position: { x: 0, y: 0 } });
  let previous = 'input';
  chain.forEach((layer, index) => {
    const id = `n${index + 1}`;
    const group = groupFor(layer.path);
    const local = layer.path.slice(layer.path.lastIndexOf('.') + 1);
    nodes.push({
      id,
      layer: layer.layer,
      params: { ...layer.params },
      ...(/^[A-Za-z_][A-Za-z0-9_]*$/.test(local) && group === undefined ? { name: local } : {}),
      ...(group === undefined ? {} : { group }),
      position: { x: 200 * (index + 1), y: 0 },
    });
    edges.push({ id: `e${index + 1}`, source: { node: previous, port: 'out' }, target: { node: id, port: 'input' } });
    previous = id;
  });
  const project: Project = {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    name,
    description: 'Built from a checkpoint\'s state_dict keys; add a Target and a loss node to train it.',
    graph: { nodes, edges, groups: [...groups.values()] },
    training: defaultTraining(),
    ui: { viewport: { x: 0, y: 0, zoom: 1 }, selection: [], collapsedGroups: [] },
  };
  const notes = chain.some((l) => l.layer === 'nn.Conv2d' || l.layer === 'nn.Conv1d' || l.layer === 'nn.MaxPool2d' || l.layer === 'nn.AvgPool2d')
    ? ['Convolution padding/stride and pooling sizes are not stored in a state_dict (defaults are used); set them before loading, or the first Linear after them reports a shape mismatch.']
    : [];
  return { project, layers: inferred.layers, questions: [], notes };
}
