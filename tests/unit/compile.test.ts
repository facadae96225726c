// Compiler tests: topological steps, PyTorch module paths and state_dict keys, determinism, errors, benchmark graph.
import { describe, expect, it } from 'vitest';
import { PlanSchema } from '../../shared/api/plan';
import { benchCompile, compileGraph, makeBenchGraph, planJson } from '../../shared/compile/index';
import type { Graph } from '../../shared/graph/index';

const lenetLike = (): Graph => ({
  nodes: [
    { id: 'img', layer: 'input.Image', params: {}, position: { x: 0, y: 0 } },
    { id: 'c1', layer: 'nn.Conv2d', params: { out_channels: 6, kernel_size: [5, 5], padding: [2, 2] }, position: { x: 1, y: 0 }, group: 'f' },
    { id: 'r1', layer: 'nn.ReLU', params: {}, position: { x: 2, y: 0 }, group: 'f' },
    { id: 'p1', layer: 'nn.MaxPool2d', params: {}, position: { x: 3, y: 0 }, group: 'f' },
    { id: 'flat', layer: 'nn.Flatten', params: {}, position: { x: 4, y: 0 } },
    { id: 'fc', layer: 'nn.Linear', params: { out_features: 10, bias: false }, position: { x: 5, y: 0 }, name: 'classifier' },
    { id: 't', layer: 'input.Target', params: {}, position: { x: 5, y: 1 } },
    { id: 'loss', layer: 'nn.CrossEntropyLoss', params: { label_smoothing: 0.1 }, position: { x: 6, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: { node: 'img', port: 'out' }, target: { node: 'c1', port: 'input' } },
    { id: 'e2', source: { node: 'c1', port: 'out' }, target: { node: 'r1', port: 'input' } },
    { id: 'e3', source: { node: 'r1', port: 'out' }, target: { node: 'p1', port: 'input' } },
    { id: 'e4', source: { node: 'p1', port: 'out' }, target: { node: 'flat', port: 'input' } },
    { id: 'e5', source: { node: 'flat', port: 'out' }, target: { node: 'fc', port: 'input' } },
    { id: 'e6', source: { node: 'fc', port: 'out' }, target: { node: 'loss', port: 'input' } },
    { id: 'e7', source: { node: 't', port: 'out' }, target: { node: 'loss', port: 'target' } },
  ],
  groups: [{ id: 'f', name: 'features', kind: 'sequential' }],
});

describe('compileGraph', () => {
  it('produces a valid Plan with module paths, state_dict keys and topological steps', () => {
    const result = compileGraph(lenetLike());
    if (!result.ok) throw new Error(result.errors.map((error) => error.message).join('\n'));
    const plan = PlanSchema.parse(result.plan);
    expect(plan.inputs).toEqual([{ name: 'x', shape: [null, 1, 28, 28], dtype: 'float32' }]);
    expect(plan.targets).toEqual([{ name: 'target', shape: [null], dtype: 'int64' }]);
    expect(plan.tensors.map((tensor) => [tensor.key, tensor.shape])).toEqual([
      ['features.0.weight', [6, 1, 5, 5]],
      ['features.0.bias', [6]],
      ['classifier.weight', [10, 1176]],
    ]);
    expect(plan.steps.map((step) => [step.op, step.module])).toEqual([
      ['conv2d', 'features.0'],
      ['relu', 'features.1'],
      ['max_pool2d', 'features.2'],
      ['flatten', 'flatten1'],
      ['linear', 'classifier'],
      ['cross_entropy', 'loss1'],
    ]);
    expect(plan.steps[4]).toEqual({ op: 'linear', module: 'classifier', inputs: ['flatten1'], tensors: ['classifier.weight', ''], outputs: ['classifier'], attrs: {} });
    expect(plan.steps[5]?.attrs).toEqual({ ignore_index: -100, label_smoothing: 0.1, reduction: 'mean' });
    expect(plan.outputs).toEqual(['classifier']);
    expect(plan.loss).toBe('loss1');
  });

  it('is deterministic: the same graph gives byte-identical JSON', () => {
    const first = compileGraph(lenetLike());
    const second = compileGraph(structuredClone(lenetLike()));
    if (!first.ok || !second.ok) throw new Error('compile failed');
    expect(planJson(second.plan)).toBe(planJson(first.plan));
  });

  it('returns the analysis errors instead of a plan', () => {
    const graph = lenetLike();
    graph.edges = graph.edges.filter((edge) => edge.id !== 'e4');
    const result = compileGraph(graph);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((error) => error.code)).toContain('E_PORT_UNCONNECTED');
  });

  it('compiles inference-only graphs with loss null, and uses float64 when asked', () => {
    const graph = lenetLike();
    graph.nodes = graph.nodes.filter((node) => node.id !== 'loss' && node.id !== 't');
    graph.edges = graph.edges.filter((edge) => edge.target.node !== 'loss');
    const result = compileGraph(graph, { requireLoss: false, dtype: 'float64' });
    if (!result.ok) throw new Error(result.errors[0]?.message);
    expect(result.plan.loss).toBeNull();
    expect(result.plan.outputs).toEqual(['classifier']);
    expect(result.plan.tensors.every((tensor) => tensor.dtype === 'float64')).toBe(true);
  });

  it('names multi-output values by port and lowers RNN weights in PyTorch order', () => {
    const graph: Graph = {
      nodes: [
        { id: 'x', layer: 'input.SequenceFeatures', params: { features: 3 }, position: { x: 0, y: 0 } },
        { id: 'g', layer: 'nn.GRU', params: { hidden_size: 5, num_layers: 2 }, position: { x: 1, y: 0 } },
        { id: 's', layer: 'op.SelectStep', params: {}, position: { x: 2, y: 0 } },
      ],
      edges: [
        { id: 'e1', source: { node: 'x', port: 'out' }, target: { node: 'g', port: 'input' } },
        { id: 'e2', source: { node: 'g', port: 'output' }, target: { node: 's', port: 'input' } },
      ],
      groups: [],
    };
    const result = compileGraph(graph, { requireLoss: false });
    if (!result.ok) throw new Error(result.errors[0]?.message);
    const [gru, slice, squeeze] = result.plan.steps;
    expect(gru?.outputs).toEqual(['gru1.output', 'gru1.h_n']);
    // An unconnected h0 is passed as '' (no tensor) ahead of the weights, in PyTorch order.
    expect(gru?.tensors).toEqual(['', ...['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1'].map((name) => `gru1.${name}`)]);
    expect(slice).toMatchObject({ op: 'slice', inputs: ['gru1.output'], attrs: { dim: 1, start: -1 } });
    expect(squeeze).toMatchObject({ op: 'squeeze', outputs: ['last1'] });
    expect(result.plan.tensors.find((tensor) => tensor.key === 'gru1.weight_ih_l1')?.shape).toEqual([15, 5]);
  });
});

describe('benchCompile', () => {
  it('builds a 1,000-node graph that compiles', () => {
    const graph = makeBenchGraph(1000);
    expect(graph.nodes).toHaveLength(1000);
    const result = benchCompile(() => performance.now(), 1);
    expect(result.nodes).toBe(1000);
    expect(result.medianMs).toBeGreaterThan(0);
  });
});
