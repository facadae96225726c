// Conv+BatchNorm on the first 20,000 Fashion-MNIST training images: Conv 1→32 k3 p1, MaxPool 2,
// ReLU, BatchNorm2d; Conv 32→64 k3 p1, MaxPool 2, ReLU, BatchNorm2d; Flatten; Linear 3136→128,
// ReLU, Dropout 0.25, Linear 128→10; Adam 1e-3, batch 64. The graph is built here (the
// Conv+BatchNorm sample is the notes' smaller model) and compiled by the project compiler.
// Run: npx tsx bench/convbn/netwright.ts <dataset dir> (NETWRIGHT_NUM_THREADS picks threads).
import type { Graph, GraphNode } from '../../shared/graph/schema';
import { compilePlan, trainImageEpoch } from '../lenet/train';

const layers: [string, string, Record<string, unknown>][] = [
  ['c1', 'nn.Conv2d', { out_channels: 32, kernel_size: [3, 3], padding: [1, 1] }],
  ['p1', 'nn.MaxPool2d', { kernel_size: [2, 2] }],
  ['r1', 'nn.ReLU', {}],
  ['bn1', 'nn.BatchNorm2d', {}],
  ['c2', 'nn.Conv2d', { out_channels: 64, kernel_size: [3, 3], padding: [1, 1] }],
  ['p2', 'nn.MaxPool2d', { kernel_size: [2, 2] }],
  ['r2', 'nn.ReLU', {}],
  ['bn2', 'nn.BatchNorm2d', {}],
  ['flatten', 'nn.Flatten', {}],
  ['fc1', 'nn.Linear', { out_features: 128 }],
  ['r3', 'nn.ReLU', {}],
  ['drop', 'nn.Dropout', { p: 0.25 }],
  ['fc2', 'nn.Linear', { out_features: 10 }],
];
const nodes: GraphNode[] = [
  { id: 'image', layer: 'input.Image', params: { channels: 1, height: 28, width: 28 }, position: { x: 0, y: 0 } },
  ...layers.map(([id, layer, params], i): GraphNode => ({ id, layer, params, name: id, position: { x: 200 * (i + 1), y: 0 } }) as GraphNode),
  { id: 'target', layer: 'input.Target', params: { dtype: 'class-index', shape: [] }, position: { x: 0, y: 200 } },
  { id: 'loss', layer: 'nn.CrossEntropyLoss', params: {}, position: { x: 2800, y: 200 } },
];
const chain = ['image', ...layers.map(([id]) => id)];
const edges: Graph['edges'] = chain.slice(1).map((id, i) => ({ id: `e${i}`, source: { node: chain[i]!, port: 'out' }, target: { node: id, port: 'input' } }));
edges.push({ id: 'e-pred', source: { node: 'fc2', port: 'out' }, target: { node: 'loss', port: 'input' } });
edges.push({ id: 'e-target', source: { node: 'target', port: 'out' }, target: { node: 'loss', port: 'target' } });
const plan = compilePlan({ nodes, edges, groups: [] });

trainImageEpoch({ plan, optimizer: { kind: 'adam', lr: 1e-3 }, limit: 20000 }).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
