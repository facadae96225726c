// "Create graph from checkpoint": a Sequential-style state_dict becomes a project whose compiled state_dict keys
// and shapes equal the file's (strictly loadable), after the questions about weightless layers are answered.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../shared/compile/index';
import { matchStateDict, projectFromCheckpoint } from '../../shared/export/index';
import type { TensorData } from '../../shared/formats/index';
import { parseProject, serializeProject } from '../../shared/graph/index';

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
