// Import onto a graph: the per-key report and strict/non-strict decisions; layer types inferred from a
// Sequential state_dict, with questions where the keys cannot tell.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../shared/compile/index';
import { inferSequentialGraph, matchStateDict } from '../../shared/export/index';
import type { TensorData } from '../../shared/formats/index';
import { parseProject } from '../../shared/graph/index';

const f32 = (...shape: number[]): TensorData => ({ dtype: 'float32', shape, bytes: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });

describe('matchStateDict', () => {
  const { project } = parseProject(readFileSync(new URL('../../samples/two-moons.json', import.meta.url), 'utf8'));
  const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss });
  if (!compiled.ok) throw new Error('two-moons does not compile');
  const plan = compiled.plan;

  it('reports matched, missing, unexpected and shape mismatches per key', () => {
    const state = new Map<string, TensorData>([
      ['fc1.weight', f32(16, 2)], ['fc1.bias', { dtype: 'float64', shape: [16], bytes: new Uint8Array(128) }], ['fc2.weight', f32(16, 3)], ['extra.weight', f32(1)],
    ]);
    const report = matchStateDict(plan, state);
    expect(report.keys.map((k) => `${k.status} ${k.key}`)).toEqual([
      'matched fc1.weight', 'matched fc1.bias', 'shape-mismatch fc2.weight', 'missing fc2.bias', 'missing fc3.weight', 'missing fc3.bias', 'unexpected extra.weight',
    ]);
    expect(report.keys[1]!.converted).toBe(true);
    expect(report.loadable).toEqual({ strict: false, nonStrict: false });
    state.delete('fc2.weight');
    expect(matchStateDict(plan, state).loadable).toEqual({ strict: false, nonStrict: true });
  });
});

describe('inferSequentialGraph', () => {
  it('infers Conv2d, BatchNorm2d and Linear from a Sequential and asks about the weightless gaps', () => {
    const state = new Map<string, TensorData>([
      ['0.weight', f32(8, 1, 3, 3)], ['0.bias', f32(8)],
      ['1.weight', f32(8)], ['1.bias', f32(8)], ['1.running_mean', f32(8)], ['1.running_var', f32(8)], ['1.num_batches_tracked', { dtype: 'int64', shape: [], bytes: new Uint8Array(8) }],
      ['4.weight', f32(10, 200)], ['4.bias', f32(10)],
    ]);
    const graph = inferSequentialGraph(state);
    expect(graph.layers.map((l) => `${l.path} ${l.layer}`)).toEqual(['0 nn.Conv2d', '1 nn.BatchNorm2d', '4 nn.Linear']);
    expect(graph.layers[2]!.params).toEqual({ in_features: 200, out_features: 10, bias: true });
    expect(graph.questions).toEqual([
      '2: a layer without weights (an activation, pooling, dropout or flatten); pick it',
      '3: a layer without weights (an activation, pooling, dropout or flatten); pick it',
    ]);
  });
});
