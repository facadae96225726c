// Importing a state_dict onto a graph: a per-key report (matched, missing, unexpected, shape mismatch) computed
// before anything changes, strict and non-strict decisions, and a Sequential-style graph inferred from the keys
// where the layer types can be told from the weights, with questions where they cannot.
import type { Plan } from '../api/plan';
import type { TensorData } from '../formats/tensor';
import { defaultTraining, PROJECT_FORMAT, PROJECT_VERSION, type Project } from '../graph/schema';
import { layers, layerSpec } from '../layers/index';
import { ParamReader } from '../layers/spec';

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
//
// The keys give the module tree (dots), the order (the file's, which is registration order) and, in an
// nn.Sequential, the indices; the tensors' names and shapes give each weighted layer's type. What they cannot give
// becomes a question with a default: the weightless layers at the indices a Sequential skips (activations, pooling,
// Flatten…), a choice between layers that store the same tensors, and the input's shape where the first layer does
// not fix it. What cannot be represented (a single layer's state_dict, recurrent or attention layers, a numbered
// submodule with children…) is an error that names the key and says why.

export interface CheckpointTensor {
  readonly key: string;
  readonly shape: readonly number[];
  readonly dtype: string;
}

export interface InferredLayer {
  /** the module path ("0", "features.3") */
  readonly path: string;
  readonly layer: string;
  readonly params: Readonly<Record<string, number | boolean | number[]>>;
}

/** One layer of the graph to be built, in model order. */
export interface CheckpointLayer {
  /** the module path ("0", "features.3"); "" for a Flatten added between convolutions and a Linear */
  readonly path: string;
  /** the layer id: from the weights, the answer to the path's question, or null while it is unanswered */
  readonly layer: string | null;
  readonly params: Readonly<Record<string, number | boolean | number[]>>;
  /** the checkpoint's tensors of this module (none for weightless layers) */
  readonly tensors: readonly CheckpointTensor[];
  /** weights: told by its tensors; question: the user picks (see questions); added: not in the checkpoint, added by Netwright */
  readonly source: 'weights' | 'question' | 'added';
}

export interface InferredGraph {
  readonly layers: readonly InferredLayer[];
  /** where the keys cannot tell the layer type: the user must choose (e.g. an activation between two Linears) */
  readonly questions: readonly string[];
}

/** What the user must decide before a graph can be built: a layer for a gap, a layer among look-alikes, or the input's shape. */
export interface GraphQuestion {
  /** the module path the answer is for ("features.1"), or "input" */
  readonly path: string;
  readonly message: string;
  /** layer ids that fit (empty for the input shape: answer "F", "C,L" or "C,H,W") */
  readonly choices: readonly string[];
  /** the answer a dialog should preselect */
  readonly default: string;
}

export interface CheckpointGraph {
  /** null until every question is answered, and while there are errors */
  readonly project: Project | null;
  /** the model's layers in order, with the answers given so far */
  readonly layers: readonly CheckpointLayer[];
  readonly questions: readonly GraphQuestion[];
  /** what the keys cannot say and the user should check (conv padding/stride, pooling sizes) */
  readonly notes: readonly string[];
  /** why this checkpoint cannot become a graph, each naming a key; empty when it can */
  readonly errors: readonly string[];
}

/** The layers that can stand at an index a Sequential's keys skip: one-in/one-out modules without weights, from the catalog. */
export const weightlessLayers: readonly string[] = layers
  .filter((spec) => {
    if (spec.torch.kind !== 'module' || spec.category === 'input' || spec.category === 'loss' || spec.inputs.length !== 1 || spec.outputs.length !== 1) return false;
    const defaults = Object.fromEntries(spec.params.map((param) => [param.name, param.default]));
    try {
      return spec.weights(new ParamReader(defaults)).length === 0;
    } catch {
      return false; // weights depend on a derived param, so the layer has some
    }
  })
  .map((spec) => spec.id);

type Params = Record<string, number | boolean | number[]>;
type Inferred = { readonly layer: string; readonly params: Params; readonly choices?: readonly { readonly layer: string; readonly params: Params }[] } | { readonly error: string };

const floatTypes = new Set(['float32', 'float64', 'float16', 'bfloat16']);
const knownTensors = new Set(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const numeric = /^\d+$/;
const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** One module's layer type from its tensors' names and shapes (BatchNorm's dimensionality is settled by its neighbours). */
function inferModule(path: string, tensors: ReadonlyMap<string, TensorData>): Inferred {
  const key = (name: string): string => `${path}.${name}`;
  const names = [...tensors.keys()];
  const recurrent = names.find((name) => /^(weight|bias)_(ih|hh)_l\d+/.test(name));
  if (recurrent !== undefined) return { error: `${key(recurrent)}: a recurrent layer (RNN/LSTM/GRU) returns a tuple, so it is not one step of a Sequential-style model; build the graph on the canvas and load these weights with Import checkpoint…` };
  if (tensors.has('in_proj_weight')) return { error: `${key('in_proj_weight')}: nn.MultiheadAttention takes query, key and value, so it is not one step of a Sequential-style model; build the graph on the canvas and load these weights with Import checkpoint…` };
  const other = names.find((name) => !knownTensors.has(name));
  if (other !== undefined) return { error: `${key(other)}: no layer Netwright can infer stores a tensor named "${other}" (only weight, bias, running_mean, running_var, num_batches_tracked)` };
  const integer = names.find((name) => name !== 'num_batches_tracked' && !floatTypes.has(tensors.get(name)!.dtype));
  if (integer !== undefined) return { error: `${key(integer)}: a ${tensors.get(integer)!.dtype} tensor, but layer weights are floating point` };
  const weight = tensors.get('weight');
  const bias = tensors.get('bias');
  const runningMean = tensors.get('running_mean');
  if (runningMean !== undefined) {
    const features = runningMean.shape[0] ?? 0;
    const wrong = (['weight', 'bias', 'running_var'] as const).find((name) => tensors.has(name) && shapeText(tensors.get(name)!.shape) !== shapeText([features]));
    if (runningMean.shape.length !== 1 || wrong !== undefined) return { error: `${key(wrong ?? 'running_mean')}: BatchNorm statistics and weights must all be [num_features] (running_mean is ${shapeText(runningMean.shape)})` };
    if (!tensors.has('running_var')) return { error: `${key('running_mean')}: running_mean without running_var is not a BatchNorm` };
    return { layer: 'nn.BatchNorm1d', params: { num_features: features, affine: weight !== undefined } };
  }
  if (weight === undefined) return { error: `${key(names[0] ?? 'bias')}: a module with ${names.join(', ')} but no weight does not tell its layer type` };
  const out = weight.shape[0] ?? 0;
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== out)) return { error: `${key('bias')}: shape ${shapeText(bias.shape)} does not fit weight ${shapeText(weight.shape)} (a bias is [${out}])` };
  switch (weight.shape.length) {
    case 1:
      if (bias === undefined) return { error: `${key('weight')}: a [${out}] weight without a bias is not a layer Netwright can infer` };
      return {
        layer: 'nn.LayerNorm',
        params: { normalized_shape: [out], elementwise_affine: true },
        choices: [
          { layer: 'nn.LayerNorm', params: { normalized_shape: [out], elementwise_affine: true } },
          { layer: 'nn.GroupNorm', params: { num_channels: out, num_groups: 1, affine: true } },
        ],
      };
    case 2:
      if (bias === undefined && /emb/i.test(path)) return { layer: 'nn.Embedding', params: { num_embeddings: out, embedding_dim: weight.shape[1]! } };
      return { layer: 'nn.Linear', params: { in_features: weight.shape[1]!, out_features: out, bias: bias !== undefined } };
    case 3:
      return { layer: 'nn.Conv1d', params: { in_channels: weight.shape[1]!, out_channels: out, kernel_size: [weight.shape[2]!], bias: bias !== undefined } };
    case 4:
      return { layer: 'nn.Conv2d', params: { in_channels: weight.shape[1]!, out_channels: out, kernel_size: [weight.shape[2]!, weight.shape[3]!], bias: bias !== undefined } };
    default:
      return { error: `${key('weight')}: a weight of ${weight.shape.length} dims ${shapeText(weight.shape)}; Netwright infers Linear (2 dims), Conv1d (3) and Conv2d (4)` };
  }
}

/** A scope of the module tree: the top level, an nn.Sequential (numbered children) or a named module. */
interface Scope {
  readonly path: string;
  readonly kind: 'sequential' | 'module';
  /** child local names in model order (a Sequential's by index, gaps included) */
  readonly children: readonly string[];
}

interface Tree {
  readonly scopes: ReadonlyMap<string, Scope>;
  /** module path → its tensors (name → tensor), in file order */
  readonly modules: ReadonlyMap<string, ReadonlyMap<string, TensorData>>;
  readonly errors: readonly string[];
}

const parentOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('.')));
const localOf = (path: string): string => path.slice(path.lastIndexOf('.') + 1);
const join = (parent: string, local: string): string => (parent === '' ? local : `${parent}.${local}`);

function moduleTree(state: ReadonlyMap<string, TensorData>): Tree {
  const errors: string[] = [];
  const modules = new Map<string, Map<string, TensorData>>();
  let singleLayer = false;
  for (const [key, tensor] of state) {
    const dot = key.lastIndexOf('.');
    if (dot < 0) {
      if (!singleLayer) errors.push(`${key}: a key without a module name — this is one layer's own state_dict (e.g. nn.Linear(…).state_dict()); save a model that holds it instead, e.g. nn.Sequential(layer).state_dict()`);
      singleLayer = true;
      continue;
    }
    const path = key.slice(0, dot);
    const bad = path.split('.').find((part) => !identifier.test(part) && !numeric.test(part));
    if (bad !== undefined) {
      errors.push(`${key}: "${bad}" is neither a Python attribute name nor a Sequential index`);
      continue;
    }
    const tensors = modules.get(path) ?? new Map<string, TensorData>();
    tensors.set(key.slice(dot + 1), tensor);
    modules.set(path, tensors);
  }
  // Children of every scope in first-appearance order.
  const children = new Map<string, string[]>([['', []]]);
  const firstKey = new Map<string, string>();
  for (const [path, tensors] of modules) {
    const parts = path.split('.');
    for (let depth = 0; depth < parts.length; depth += 1) {
      const parent = parts.slice(0, depth).join('.');
      const local = parts[depth]!;
      const list = children.get(parent) ?? [];
      if (!list.includes(local)) list.push(local);
      children.set(parent, list);
      const childPath = join(parent, local);
      if (!firstKey.has(childPath)) firstKey.set(childPath, `${path}.${[...tensors.keys()][0] ?? ''}`);
    }
  }
  const scopes = new Map<string, Scope>();
  for (const [path, locals] of children) {
    const key = firstKey.get(path) ?? '';
    if (path !== '' && modules.has(path)) {
      errors.push(`${firstKey.get(join(path, locals[0] ?? '')) ?? key}: "${path}" has weights of its own and submodules; Netwright's layers cannot contain other layers`);
      continue;
    }
    if (path !== '' && numeric.test(localOf(path))) {
      errors.push(`${key}: "${path}" is a numbered submodule with layers inside (an nn.Sequential or module inside an nn.Sequential); Netwright names groups and cannot number them yet`);
      continue;
    }
    const numbered = locals.filter((local) => numeric.test(local));
    if (numbered.length > 0 && numbered.length < locals.length) {
      const named = locals.find((local) => !numeric.test(local))!;
      errors.push(`${firstKey.get(join(path, named)) ?? key}: ${path === '' ? 'the top level' : `"${path}"`} mixes numbered children (${numbered.slice(0, 3).join(', ')}) and named ones (${named}); a module is either an nn.Sequential or named`);
      continue;
    }
    if (numbered.length > 0) {
      const last = Math.max(...numbered.map(Number));
      if (last > 10_000) {
        errors.push(`${firstKey.get(join(path, String(last))) ?? key}: index ${last} is not a plausible nn.Sequential position`);
        continue;
      }
      scopes.set(path, { path, kind: 'sequential', children: Array.from({ length: last + 1 }, (_, index) => String(index)) });
    } else {
      scopes.set(path, { path, kind: 'module', children: locals });
    }
  }
  return { scopes, modules, errors };
}

interface ChainItem {
  path: string;
  /** the scope (group path) the node belongs to; "" is the top level */
  scope: string;
  layer: string | null;
  params: Params;
  tensors: readonly CheckpointTensor[];
  source: CheckpointLayer['source'];
  /** for source "question": what the user may pick, and the default */
  choices?: readonly { readonly layer: string; readonly params: Params }[];
  message?: string;
  fallback?: string;
}

const spatialLayers = new Set(['nn.Conv2d', 'nn.Conv1d', 'nn.BatchNorm2d', 'nn.MaxPool2d', 'nn.AvgPool2d', 'nn.AdaptiveAvgPool2d', 'nn.Dropout2d', 'nn.GroupNorm', 'nn.Upsample']);

/** The graph's layers in model order, with the answers applied; errors when the tree cannot be represented. */
function checkpointChain(state: ReadonlyMap<string, TensorData>, answers: Readonly<Record<string, string>>): { items: ChainItem[]; tree: Tree; errors: string[]; notes: string[] } {
  const tree = moduleTree(state);
  const errors = [...tree.errors];
  const notes: string[] = [];
  const items: ChainItem[] = [];
  const walk = (scope: Scope): void => {
    for (const local of scope.children) {
      const path = join(scope.path, local);
      const inner = tree.scopes.get(path);
      if (inner !== undefined) {
        walk(inner);
        continue;
      }
      const tensors = tree.modules.get(path);
      if (tensors === undefined) {
        if (tree.modules.size > 0 && [...tree.modules.keys()].some((p) => p.startsWith(`${path}.`))) continue; // a rejected scope
        items.push({ path, scope: scope.path, layer: null, params: {}, tensors: [], source: 'question', message: `${path}: a layer without weights (an activation, pooling, dropout or flatten)` });
        continue;
      }
      const listed = [...tensors].map(([name, t]) => ({ key: `${path}.${name}`, shape: [...t.shape], dtype: t.dtype }));
      const inferred = inferModule(path, tensors);
      if ('error' in inferred) {
        errors.push(inferred.error);
        continue;
      }
      if (inferred.choices !== undefined) {
        items.push({ path, scope: scope.path, layer: null, params: inferred.params, tensors: listed, source: 'question', choices: inferred.choices, fallback: inferred.layer, message: `${path}: ${listed.map((t) => `${localOf(t.key)} ${shapeText(t.shape)}`).join(', ')} fit ${inferred.choices.map((c) => c.layer).join(' and ')}` });
      } else {
        items.push({ path, scope: scope.path, layer: inferred.layer, params: inferred.params, tensors: listed, source: 'weights' });
      }
    }
  };
  const root = tree.scopes.get('');
  if (root !== undefined) walk(root);

  // BatchNorm1d or 2d: by the layers around it.
  items.forEach((item, index) => {
    if (item.layer !== 'nn.BatchNorm1d') return;
    const before = items.slice(0, index).reverse().find((other) => other.source === 'weights');
    const after = items.slice(index + 1).find((other) => other.source === 'weights');
    if (before?.layer === 'nn.Conv2d' || before?.layer === 'nn.BatchNorm2d' || (before?.layer !== 'nn.Conv1d' && after?.layer === 'nn.Conv2d')) item.layer = 'nn.BatchNorm2d';
  });

  // Gap defaults: ReLU, except a Flatten in the last gap before a Linear that follows convolutions (or an image input).
  const firstWeighted = items.find((item) => item.tensors.length > 0);
  const imageInput = (items[0]?.tensors.length ?? 0) === 0 && (inputDims(answers['input']) ?? inputDims(inputGuess(firstWeighted)) ?? []).length > 1;
  let spatial = imageInput;
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index]!;
    if (item.source === 'question' && item.choices === undefined) {
      const next = items.slice(index + 1).find((other) => !(other.source === 'question' && other.choices === undefined));
      const lastGap = items[index + 1] === next;
      item.fallback = spatial && lastGap && next?.layer === 'nn.Linear' ? 'nn.Flatten' : 'nn.ReLU';
      const answer = answers[item.path];
      if (answer !== undefined && weightlessLayers.includes(answer)) item.layer = answer;
    } else if (item.source === 'question') {
      const picked = item.choices?.find((choice) => choice.layer === answers[item.path]);
      if (picked !== undefined) {
        item.layer = picked.layer;
        item.params = picked.params;
      }
    }
    const layer = item.layer ?? item.fallback ?? '';
    if (spatialLayers.has(layer)) spatial = true;
    if (layer === 'nn.Flatten' || layer === 'nn.Linear' || layer === 'nn.Embedding') spatial = false;
  }

  // A Linear right after convolutions needs a Flatten, which a state_dict does not store (models often flatten in
  // forward()). It can be added where no index moves: in a named module, or before an nn.Sequential group whose
  // layers up to the Linear have no weights and keep any shape (Dropout, activations).
  spatial = imageInput;
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index]!;
    const layer = item.layer ?? item.fallback ?? '';
    if (layer === 'nn.Linear' && spatial) {
      const scope = tree.scopes.get(item.scope);
      const start = items.findIndex((other) => other.scope === item.scope);
      const leadIn = items.slice(start, index).every((other) => other.tensors.length === 0 && !spatialLayers.has(other.layer ?? other.fallback ?? ''));
      const at = scope?.kind === 'module' ? { index, scope: item.scope } : leadIn && item.scope !== '' && tree.scopes.get(parentOf(item.scope))?.kind === 'module' ? { index: start, scope: parentOf(item.scope) } : null;
      if (at !== null) {
        items.splice(at.index, 0, { path: '', scope: at.scope, layer: 'nn.Flatten', params: {}, tensors: [], source: 'added' });
        notes.push(`A Flatten was added before ${at.index === index ? item.path : item.scope} (a state_dict does not store it).`);
        index += 1;
      } else {
        notes.push(`${item.path} follows convolutions without a Flatten, and its nn.Sequential has no free index for one; PyTorch applies a Linear to the last dim, so check the shapes on the canvas.`);
      }
    }
    if (spatialLayers.has(layer)) spatial = true;
    if (layer === 'nn.Flatten' || layer === 'nn.Linear' || layer === 'nn.Embedding') spatial = false;
  }
  // An nn.Sequential's weightless layers after its last weighted one (a final Sigmoid, a pooling) leave no keys.
  const lastOfSequentials = [...tree.scopes.values()].filter((scope) => scope.kind === 'sequential' && scope.children.length > 0).map((scope) => join(scope.path, scope.children[scope.children.length - 1]!));
  if (lastOfSequentials.length > 0 && errors.length === 0) {
    notes.push(`Layers without weights after ${lastOfSequentials.join(', ')} (the last with weights in ${lastOfSequentials.length === 1 ? 'its' : 'their'} nn.Sequential) leave no keys; if the model has some there (a final activation, pooling), add them on the canvas.`);
  }
  if (items.some((item) => ['nn.Conv2d', 'nn.Conv1d', 'nn.MaxPool2d', 'nn.AvgPool2d'].includes(item.layer ?? item.fallback ?? ''))) {
    notes.push('Convolution padding/stride and pooling sizes are not stored in a state_dict (defaults are used); set them before loading, or the first Linear after them reports a shape mismatch.');
  }
  return { items, tree, errors, notes };
}

/**
 * Layer types from weight names and shapes: weight [out, in] → Linear, [out, in, kh, kw] → Conv2d,
 * [out, in, k] → Conv1d, weight/bias/running_mean/running_var → BatchNorm1d/2d (by its neighbours),
 * weight [n, d] alone under an "embedding"-like name → Embedding. Parameterless layers (ReLU, pooling, Flatten)
 * leave gaps in Sequential indices (before the first one too); each gap becomes a question.
 */
export function inferSequentialGraph(state: ReadonlyMap<string, TensorData>): InferredGraph {
  const { items, errors } = checkpointChain(state, {});
  return {
    layers: items.filter((item) => item.source === 'weights' && item.layer !== null).map((item) => ({ path: item.path, layer: item.layer!, params: item.params })),
    questions: [
      ...items.filter((item) => item.source === 'question').map((item) => `${item.message ?? item.path}; pick it`),
      ...errors,
    ],
  };
}

// ---- a project from a checkpoint ---------------------------------------------------------------------

/** Parses an input-shape answer: "F", "C,L" or "C,H,W" (commas, x or spaces). */
function inputDims(answer: string | undefined): number[] | null {
  if (answer === undefined) return null;
  const dims = answer.trim().split(/\s*[,x× ]\s*/).map(Number);
  return dims.length >= 1 && dims.length <= 3 && dims.every((n) => Number.isInteger(n) && n > 0) ? dims : null;
}

/** The input node for dims: [F] features, [C, L] a sequence ([N, C, L] for Conv1d), [C, H, W] an image. */
function inputNode(dims: readonly number[]): { layer: string; params: Record<string, number> } {
  if (dims.length === 3) return { layer: 'input.Image', params: { channels: dims[0]!, height: dims[1]!, width: dims[2]! } };
  if (dims.length === 2) return { layer: 'input.SequenceFeatures', params: { seq_len: dims[0]!, features: dims[1]! } };
  return { layer: 'input.Features', params: { features: dims[0]! } };
}

/** A fair guess of the input shape for the first weighted layer (the dialog's default answer). */
function inputGuess(first: ChainItem | undefined): string {
  const p = first?.params ?? {};
  switch (first?.layer) {
    case 'nn.Conv2d':
      return `${String(p['in_channels'])},28,28`;
    case 'nn.Conv1d':
      return `${String(p['in_channels'])},32`;
    case 'nn.BatchNorm2d':
      return `${String(p['num_features'])},28,28`;
    case 'nn.Linear': {
      const n = Number(p['in_features']);
      const side = Math.round(Math.sqrt(n));
      return side * side === n && n > 1 ? `1,${side},${side}` : String(n);
    }
    default:
      return '1,28,28';
  }
}

const columns = 5;
const spacing = { x: 350, y: 342 };
const positionAt = (index: number): { x: number; y: number } => ({ x: (index % columns) * spacing.x, y: Math.floor(index / columns) * spacing.y });

export interface FromCheckpointOptions {
  /** the project's name */
  readonly name?: string;
  /** set as training.initialWeights (strict), so the new project starts from the checkpoint's weights */
  readonly weightsPath?: string;
}

/**
 * A Sequential-style state_dict as a project: the layers in key order with the user's answers filling what the keys
 * cannot say, an input node, groups for dotted prefixes (nn.Sequential for numbered children) and, when the top level
 * itself is numbered (`0.weight`), a model that is an nn.Sequential (graph.root). Answers are layer ids by module path,
 * plus "input": "F", "C,L" or "C,H,W". No loss node is added. The compiled keys equal the file's.
 */
export function projectFromCheckpoint(state: ReadonlyMap<string, TensorData>, answers: Readonly<Record<string, string>> = {}, options: FromCheckpointOptions = {}): CheckpointGraph {
  const { items, tree, errors, notes } = checkpointChain(state, answers);
  const questions: GraphQuestion[] = [];
  for (const item of items) {
    if (item.source !== 'question' || item.layer !== null) continue;
    const choices = item.choices?.map((choice) => choice.layer) ?? weightlessLayers;
    const given = answers[item.path];
    const message = given === undefined ? item.message ?? item.path : `${item.message ?? item.path} ("${given}" is not one of the choices)`;
    questions.push({ path: item.path, message, choices, default: item.fallback ?? choices[0] ?? '' });
  }
  const firstWeighted = items.find((item) => item.tensors.length > 0);
  const first = items[0];
  const firstLayer = first?.layer ?? first?.fallback;
  const needsShape = first !== undefined && (first.tensors.length === 0 || (firstLayer !== 'nn.Linear' && firstLayer !== 'nn.BatchNorm1d' && firstLayer !== 'nn.LayerNorm' && firstLayer !== 'nn.Embedding'));
  const dims = inputDims(answers['input']);
  if (needsShape && dims === null) {
    const what = firstLayer === 'nn.Conv1d' ? 'C,L' : firstLayer === 'nn.Conv2d' || firstLayer === 'nn.BatchNorm2d' ? 'C,H,W' : 'F, C,L or C,H,W';
    questions.push({ path: 'input', message: `input: the checkpoint does not say the input's shape; answer ${what}${answers['input'] !== undefined ? ` ("${answers['input']}" is not understood)` : ''}`, choices: [], default: inputGuess(firstWeighted) });
  }
  if (items.length === 0 && errors.length === 0) errors.push(`${[...state.keys()][0] ?? '(empty file)'}: the checkpoint has no layer whose type can be inferred`);
  const layersOut: CheckpointLayer[] = items.map((item) => ({ path: item.path, layer: item.layer, params: { ...item.params }, tensors: item.tensors, source: item.source }));
  if (errors.length > 0 || questions.length > 0) return { project: null, layers: layersOut, questions: errors.length > 0 ? [] : questions, notes, errors };

  const nodes: Project['graph']['nodes'] = [];
  const edges: Project['graph']['edges'] = [];
  const groups = new Map<string, Project['graph']['groups'][number]>();
  const groupFor = (scope: string): string | undefined => {
    if (scope === '') return undefined;
    const existing = groups.get(scope);
    if (existing !== undefined) return existing.id;
    const parent = groupFor(parentOf(scope));
    const group = { id: `group_${groups.size + 1}`, name: localOf(scope), kind: tree.scopes.get(scope)?.kind ?? 'module', ...(parent === undefined ? {} : { parent }) };
    groups.set(scope, group);
    return group.id;
  };
  const firstItem = items[0]!;
  const input =
    dims !== null ? inputNode(dims)
      : firstItem.layer === 'nn.Embedding' ? { layer: 'input.Tokens', params: {} }
        : firstItem.layer === 'nn.Linear' ? inputNode([Number(firstItem.params['in_features'])])
          : firstItem.layer === 'nn.LayerNorm' ? inputNode([(firstItem.params['normalized_shape'] as number[])[0]!])
            : inputNode([Number(firstItem.params['num_features'] ?? 1)]);
  nodes.push({ id: 'input', layer: input.layer, params: input.params, position: positionAt(0) });
  let previous = { node: 'input', port: 'out' };
  items.forEach((item, index) => {
    const spec = layerSpec(item.layer ?? '');
    const id = `n${index + 1}`;
    const group = groupFor(item.scope);
    const local = localOf(item.path);
    const named = tree.scopes.get(item.scope)?.kind === 'module' && identifier.test(local) && item.path !== '';
    nodes.push({ id, layer: item.layer ?? '', params: { ...item.params }, ...(named ? { name: local } : {}), ...(group === undefined ? {} : { group }), position: positionAt(index + 1) });
    edges.push({ id: `e${index + 1}`, source: previous, target: { node: id, port: spec?.inputs[0]?.name ?? 'input' } });
    previous = { node: id, port: spec?.outputs[0]?.name ?? 'out' };
  });
  const training = defaultTraining();
  const project: Project = {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    name: options.name ?? 'Imported checkpoint',
    description: 'Built from a checkpoint\'s state_dict keys; add a Target and a loss node to train it.',
    graph: { nodes, edges, groups: [...groups.values()], ...(tree.scopes.get('')?.kind === 'sequential' ? { root: { kind: 'sequential' as const } } : {}) },
    training: options.weightsPath === undefined ? training : { ...training, initialWeights: { path: options.weightsPath, strict: true } },
    ui: { viewport: { x: 0, y: 0, zoom: 1 }, selection: [], collapsedGroups: [] },
  };
  return { project, layers: layersOut, questions: [], notes, errors: [] };
}
