// "Create graph from checkpoint": a Sequential-style state_dict becomes a project whose compiled state_dict keys
// and shapes equal the file's (strictly loadable), after the questions about weightless layers are answered; a bare
// nn.Sequential's keys (0.weight) become a model that is itself an nn.Sequential; unsupported files name the key.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../shared/compile/index';
import { exportPyTorch, matchStateDict, projectFromCheckpoint } from '../../shared/export/index';
import { readStateDict, type TensorData } from '../../shared/formats/index';
import { analyzeGraph, parseProject, serializeProject, type Project } from '../../shared/graph/index';

function stateOf(sample: string): Map<string, TensorData> {
  const { project } = parseProject(readFileSync(new URL(`../../samples/${sample}`, import.meta.url), 'utf8'));
  const compiled = compileGraph(project.graph, { lossNode: project.training.loss });
  if (!compiled.ok) throw new Error(compiled.errors[0]?.message);
  return new Map(compiled.plan.tensors.map((t) => [t.key, { dtype: t.dtype, shape: t.shape, bytes: new Uint8Array(t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'int64' || t.dtype === 'float64' ? 8 : 4)) }]));
}

describe('projectFromCheckpoint', () => {
  it('asks about the gaps and the image size, then builds a project that loads the checkpoint strictly (conv-batchnorm)', () => {
    const state = stateOf('conv-batchnorm.json');
    const asked = projectFromCheckpoint(state);
    expect(asked.project).toBeNull();
    expect(asked.questions.map((q) => q.path)).toEqual(['net.1', 'net.2', 'net.5', 'input']);
    expect(asked.questions[0]!.choices).toContain('nn.MaxPool2d');
    const built = projectFromCheckpoint(state, { 'net.1': 'nn.MaxPool2d', 'net.2': 'nn.ReLU', 'net.5': 'nn.ReLU', input: '1,28,28' });
    expect(built.questions).toEqual([]);
    const project = parseProject(serializeProject(built.project!)).project;
    const compiled = compileGraph(project.graph, { requireLoss: false });
    if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('; '));
    const report = matchStateDict(compiled.plan, state);
    expect(compiled.plan.tensors.map((t) => t.key)).toEqual([...state.keys()]);
    // NOTE: the sample's convs are padded; a state_dict cannot say so, and the report shows where it shows.
    expect(built.notes.join()).toMatch(/padding/);
    expect(report.keys.filter((k) => k.status !== 'matched').map((k) => `${k.key} ${k.status}`)).toEqual(['fc.weight shape-mismatch']);
    const padded = structuredClone(project);
    for (const node of padded.graph.nodes) if (node.layer === 'nn.Conv2d') node.params['padding'] = [1, 1];
    const fixed = compileGraph(padded.graph, { requireLoss: false });
    expect(fixed.ok && matchStateDict(fixed.plan, state).loadable.strict).toBe(true);
  });

  it('needs no answers for an MLP without gaps, and keeps top-level names (linear-regression)', () => {
    const state = stateOf('linear-regression.json');
    const built = projectFromCheckpoint(state);
    expect(built.questions).toEqual([]);
    const compiled = compileGraph(built.project!.graph, { requireLoss: false });
    if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('; '));
    expect(matchStateDict(compiled.plan, state).loadable.strict).toBe(true);
  });
});

const f32 = (...shape: number[]): TensorData => ({ dtype: 'float32', shape, bytes: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
const stateFrom = (entries: [string, number[]][]): Map<string, TensorData> => new Map(entries.map(([key, shape]) => [key, f32(...shape)]));
function compiledKeys(project: Project): string[] {
  const compiled = compileGraph(parseProject(serializeProject(project)).project.graph, { requireLoss: false });
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('; '));
  return compiled.plan.tensors.map((t) => t.key);
}

describe('projectFromCheckpoint: a model that is itself an nn.Sequential (keys 0.weight, 2.weight)', () => {
  const state = stateFrom([['0.weight', [8, 4]], ['0.bias', [8]], ['2.weight', [2, 8]], ['2.bias', [2]]]);

  it('asks about index 1 (default ReLU), lists the layers in order with their tensors, then builds graph.root = sequential', () => {
    const asked = projectFromCheckpoint(state);
    expect(asked.errors).toEqual([]);
    expect(asked.questions).toEqual([expect.objectContaining({ path: '1', default: 'nn.ReLU' })]);
    expect(asked.questions[0]!.choices).toEqual(expect.arrayContaining(['nn.ReLU', 'nn.Tanh', 'nn.Flatten', 'nn.Dropout', 'nn.MaxPool2d']));
    expect(asked.questions[0]!.choices).not.toContain('nn.Linear');
    expect(asked.layers.map((l) => `${l.path} ${l.layer ?? '?'} ${l.tensors.map((t) => `${t.key}[${t.shape.join(',')}]`).join(' ')}`.trim())).toEqual([
      '0 nn.Linear 0.weight[8,4] 0.bias[8]',
      '1 ?',
      '2 nn.Linear 2.weight[2,8] 2.bias[2]',
    ]);
    const built = projectFromCheckpoint(state, { '1': 'nn.Tanh' }, { name: 'tiny', weightsPath: '/data/tiny.mdl' });
    const project = built.project!;
    expect(project.graph.root).toEqual({ kind: 'sequential' });
    expect(project.graph.groups).toEqual([]);
    expect(project.training.initialWeights).toEqual({ path: '/data/tiny.mdl', strict: true });
    expect(project.graph.nodes.map((n) => n.layer)).toEqual(['input.Features', 'nn.Linear', 'nn.Tanh', 'nn.Linear']);
    expect(compiledKeys(project)).toEqual([...state.keys()]);
    const { modelPy } = exportPyTorch({ ...project, graph: project.graph });
    expect(modelPy).toContain('class Tiny(nn.Sequential):');
    expect(modelPy).toMatch(/super\(\).__init__\(\n {12}nn\.Linear\(4, 8\),\n {12}nn\.Tanh\(\),\n {12}nn\.Linear\(8, 2\),\n {8}\)/);
    expect(modelPy).not.toContain('def forward');
  });

  it('asks about indices before the first weighted layer too, with a Flatten default after an image input', () => {
    const leading = stateFrom([['1.weight', [10, 784]], ['1.bias', [10]]]);
    const asked = projectFromCheckpoint(leading);
    expect(asked.questions.map((q) => [q.path, q.default])).toEqual([['0', 'nn.Flatten'], ['input', '1,28,28']]);
    const built = projectFromCheckpoint(leading, { '0': 'nn.Flatten', input: '1,28,28' });
    expect(built.project!.graph.nodes.map((n) => n.layer)).toEqual(['input.Image', 'nn.Flatten', 'nn.Linear']);
    expect(compiledKeys(built.project!)).toEqual(['1.weight', '1.bias']);
    expect(analyzeGraph(built.project!.graph, { requireLoss: false }).errors).toEqual([]);
  });

  it('keeps a question open, saying so, when an answer is not one of its choices', () => {
    const asked = projectFromCheckpoint(state, { '1': 'nn.Linear' });
    expect(asked.project).toBeNull();
    expect(asked.questions[0]!.message).toContain('"nn.Linear" is not one of the choices');
  });
});

describe('projectFromCheckpoint: groups, added Flattens and look-alike layers', () => {
  it('adds a Flatten between convolutions and a Linear where no index moves (before a Sequential group)', () => {
    const state = stateFrom([['features.0.weight', [4, 1, 3, 3]], ['features.0.bias', [4]], ['classifier.0.weight', [10, 2704]], ['classifier.0.bias', [10]]]);
    const built = projectFromCheckpoint(state, { input: '1,28,28' });
    const project = built.project!;
    expect(project.graph.root).toBeUndefined();
    expect(project.graph.groups.map((g) => `${g.name}:${g.kind}`)).toEqual(['features:sequential', 'classifier:sequential']);
    expect(project.graph.nodes.map((n) => `${n.layer}${n.group === undefined ? '' : `@${n.group}`}`)).toEqual(['input.Image', 'nn.Conv2d@group_1', 'nn.Flatten', 'nn.Linear@group_2']);
    expect(built.notes.join(' ')).toMatch(/A Flatten was added before classifier\.0/);
    expect(compiledKeys(project)).toEqual([...state.keys()]);
    expect(analyzeGraph(project.graph, { requireLoss: false }).errors).toEqual([]);
  });

  it('asks LayerNorm or GroupNorm for a weight and bias of [n] without running statistics', () => {
    const state = stateFrom([['fc.weight', [6, 3]], ['fc.bias', [6]], ['norm.weight', [6]], ['norm.bias', [6]]]);
    const asked = projectFromCheckpoint(state);
    expect(asked.questions).toEqual([expect.objectContaining({ path: 'norm', choices: ['nn.LayerNorm', 'nn.GroupNorm'], default: 'nn.LayerNorm' })]);
    const built = projectFromCheckpoint(state, { norm: 'nn.GroupNorm' });
    expect(built.project!.graph.nodes.map((n) => n.layer)).toEqual(['input.Features', 'nn.Linear', 'nn.GroupNorm']);
    expect(compiledKeys(built.project!)).toEqual([...state.keys()]);
  });

  it.each([
    [[['weight', [2, 3]], ['bias', [2]]], /^weight: a key without a module name — this is one layer's own state_dict/],
    [[['rnn.weight_ih_l0', [16, 3]], ['rnn.weight_hh_l0', [16, 4]]], /^rnn\.weight_ih_l0: a recurrent layer \(RNN\/LSTM\/GRU\) returns a tuple/],
    [[['0.weight', [2, 3]], ['head.weight', [1, 2]]], /^head\.weight: the top level mixes numbered children \(0\) and named ones \(head\)/],
    [[['0.0.weight', [2, 3]], ['1.weight', [1, 2]]], /^0\.0\.weight: "0" is a numbered submodule with layers inside/],
    [[['fc.weight', [2, 3, 4, 5, 6]]], /^fc\.weight: a weight of 5 dims \[2, 3, 4, 5, 6\]/],
    [[['fc.weight', [2, 3]], ['fc.scale', [2]]], /^fc\.scale: no layer Netwright can infer stores a tensor named "scale"/],
  ] as [[string, number[]][], RegExp][])('names the key and why a checkpoint is not supported: %#', (entries, message) => {
    const result = projectFromCheckpoint(stateFrom(entries));
    expect(result.project).toBeNull();
    expect(result.questions).toEqual([]);
    expect(result.errors.join('\n')).toMatch(message);
  });
});

describe('projectFromCheckpoint on files PyTorch wrote (tests/fixtures/checkpoints, make_checkpoints.py)', () => {
  const fixture = (name: string): Map<string, TensorData> => readStateDict(readFileSync(new URL(`../fixtures/checkpoints/${name}`, import.meta.url)));

  it('a bare nn.Sequential MLP: two questions, then a project with exactly the file\'s keys', () => {
    const state = fixture('mlp-sequential.mdl');
    const { keys } = JSON.parse(readFileSync(new URL('../fixtures/checkpoints/mlp-sequential.json', import.meta.url), 'utf8')) as { keys: string[] };
    expect([...state.keys()]).toEqual(keys);
    const asked = projectFromCheckpoint(state);
    expect(asked.questions.map((q) => `${q.path}=${q.default}`)).toEqual(['1=nn.ReLU', '3=nn.ReLU']);
    const built = projectFromCheckpoint(state, { '1': 'nn.ReLU', '3': 'nn.Tanh' });
    expect(built.project!.graph.root).toEqual({ kind: 'sequential' });
    expect(compiledKeys(built.project!)).toEqual(keys);
  });

  it('a module with an LSTM is refused, naming the key and why', () => {
    const result = projectFromCheckpoint(fixture('lstm-tagger.pt'));
    expect(result.project).toBeNull();
    expect(result.errors).toEqual([expect.stringMatching(/^rnn\.weight_ih_l0: a recurrent layer \(RNN\/LSTM\/GRU\) returns a tuple/)]);
  });
});

describe('projectFromCheckpoint: the Flatten a forward() does between a features and a classifier nn.Sequential', () => {
  it('goes before the classifier group when its layers up to the Linear keep any shape (a Dropout)', () => {
    const state = stateFrom([['features.0.weight', [4, 1, 3, 3]], ['features.0.bias', [4]], ['classifier.1.weight', [10, 2704]], ['classifier.1.bias', [10]]]);
    expect(projectFromCheckpoint(state).questions.map((q) => `${q.path}=${q.default}`)).toEqual(['classifier.0=nn.Flatten', 'input=1,28,28']);
    const built = projectFromCheckpoint(state, { 'classifier.0': 'nn.Dropout', input: '1,28,28' });
    expect(built.project!.graph.nodes.map((n) => `${n.layer}${n.group === undefined ? '' : `@${n.group}`}`)).toEqual(['input.Image', 'nn.Conv2d@group_1', 'nn.Flatten', 'nn.Dropout@group_2', 'nn.Linear@group_2']);
    expect(built.notes.join(' ')).toMatch(/A Flatten was added before classifier \(/);
    expect(compiledKeys(built.project!)).toEqual([...state.keys()]);
    expect(analyzeGraph(built.project!.graph, { requireLoss: false }).errors).toEqual([]);
    // A MaxPool2d there needs the spatial shape: no Flatten can go before the group, and the note says so.
    const pooled = projectFromCheckpoint(state, { 'classifier.0': 'nn.MaxPool2d', input: '1,28,28' });
    expect(pooled.project!.graph.nodes.some((n) => n.layer === 'nn.Flatten')).toBe(false);
    expect(pooled.notes.join(' ')).toMatch(/classifier\.1 follows convolutions without a Flatten/);
  });
});
