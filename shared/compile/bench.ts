// benchCompile(): validates, infers and compiles a generated 1,000-node graph; returns the timings in milliseconds.
import type { Graph, GraphEdge, GraphNode } from '../graph/schema';
import { compileGraph } from './compile';

/** A deep MLP-like chain with residual Adds: Input → (Linear → ReLU → Add)×k → Linear → CrossEntropyLoss ← Target. */
export function makeBenchGraph(nodeCount = 1000): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const at = (index: number) => ({ x: 200 * index, y: 0 });
  const connect = (source: string, sourcePort: string, target: string, targetPort: string): void => {
    edges.push({ id: `e${edges.length + 1}`, source: { node: source, port: sourcePort }, target: { node: target, port: targetPort } });
  };
  nodes.push({ id: 'in', layer: 'input.Features', params: { features: 64 }, position: at(0) });
  let previous = 'in';
  const blocks = Math.max(1, Math.floor((nodeCount - 5) / 3));
  for (let block = 0; block < blocks; block += 1) {
    const fc = `fc${block}`;
    const act = `act${block}`;
    const sum = `sum${block}`;
    nodes.push({ id: fc, layer: 'nn.Linear', params: { out_features: 64 }, position: at(nodes.length) });
    nodes.push({ id: act, layer: 'nn.ReLU', params: {}, position: at(nodes.length) });
    nodes.push({ id: sum, layer: 'op.Add', params: {}, position: at(nodes.length) });
    connect(previous, 'out', fc, 'input');
    connect(fc, 'out', act, 'input');
    connect(act, 'out', sum, 'a');
    connect(previous, 'out', sum, 'b');
    previous = sum;
  }
  nodes.push({ id: 'head', layer: 'nn.Linear', params: { out_features: 10 }, position: at(nodes.length) });
  nodes.push({ id: 'target', layer: 'input.Target', params: { dtype: 'class-index', shape: [] }, position: at(nodes.length) });
  nodes.push({ id: 'loss', layer: 'nn.CrossEntropyLoss', params: {}, position: at(nodes.length) });
  connect(previous, 'out', 'head', 'input');
  connect('head', 'out', 'loss', 'input');
  connect('target', 'out', 'loss', 'target');
  while (nodes.length < nodeCount) {
    const id = `spare${nodes.length}`;
    nodes.push({ id, layer: 'nn.Sigmoid', params: {}, position: at(nodes.length) });
    connect('head', 'out', id, 'input');
  }
  return { nodes, edges, groups: [] };
}

export interface BenchResult {
  readonly nodes: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly samplesMs: readonly number[];
}

/** Runs validate + infer + compile `runs` times on a 1,000-node graph; `now` is a clock in ms (performance.now). */
export function benchCompile(now: () => number, runs = 15): BenchResult {
  const graph = makeBenchGraph(1000);
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const start = now();
    const result = compileGraph(graph);
    samples.push(now() - start);
    if (!result.ok) throw new Error(`bench graph does not compile: ${result.errors[0]?.message ?? ''}`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { nodes: graph.nodes.length, runs, medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0, samplesMs: samples };
}
