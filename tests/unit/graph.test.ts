// Graph tests: every error code with its fix, derived params and pinning, symbolic dims, names, project files and migration.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  analyzeGraph,
  defaultTraining,
  defaultUiState,
  graphErrorCodes,
  parseProject,
  PROJECT_VERSION,
  ProjectFileError,
  serializeProject,
  type Graph,
  type GraphErrorCode,
  type GraphNode,
  type Project,
} from '../../shared/graph/index';

type Spec = [id: string, layer: string, params?: GraphNode['params'], extra?: Partial<GraphNode>];
function graph(nodes: Spec[], edges: [string, string][], groups: Graph['groups'] = []): Graph {
  return {
    nodes: nodes.map(([id, layer, params = {}, extra = {}], index) => ({ id, layer, params, position: { x: index * 100, y: 0 }, ...extra })),
    edges: edges.map(([from, to], index) => {
      const [sourceNode = '', sourcePort = 'out'] = from.split('.');
      const [targetNode = '', targetPort = 'input'] = to.split('.');
      return { id: `e${index + 1}`, source: { node: sourceNode, port: sourcePort }, target: { node: targetNode, port: targetPort } };
    }),
    groups,
  };
}
const classifierTail: Spec[] = [['t', 'input.Target'], ['loss', 'nn.CrossEntropyLoss']];
const codes = (g: Graph, requireLoss = true): GraphErrorCode[] => analyzeGraph(g, { requireLoss }).errors.map((error) => error.code);
const only = (g: Graph, code: GraphErrorCode, requireLoss = true) => {
  const errors = analyzeGraph(g, { requireLoss }).errors;
  expect(errors.map((error) => error.code)).toContain(code);
  const found = errors.find((error) => error.code === code);
  if (found === undefined) throw new Error('unreachable');
  return found;
};

const mlp = (): Graph =>
  graph(
    [['x', 'input.Image'], ['fc1', 'nn.Linear', { out_features: 10 }], ...classifierTail],
    [['x', 'fc1'], ['fc1', 'loss.input'], ['t', 'loss.target']],
  );

describe('shape inference', () => {
  it('derives in_features from the input and keeps the batch dim symbolic', () => {
    const g = graph([['x', 'input.Features', { features: 7 }], ['fc', 'nn.Linear', { out_features: 3 }], ...classifierTail], [['x', 'fc'], ['fc', 'loss.input'], ['t', 'loss.target']]);
    const analysis = analyzeGraph(g);
    expect(analysis.errors).toEqual([]);
    expect(analysis.nodes.get('fc')?.params['in_features']).toBe(7);
    expect(analysis.nodes.get('fc')?.outputs['out']?.shape).toEqual(['N', 3]);
    expect(analysis.nodes.get('loss')?.outputs['loss']?.shape).toEqual([]);
  });
  it('carries a symbolic sequence dim through Embedding, LSTM and Linear', () => {
    const g = graph(
      [['tok', 'input.Tokens'], ['emb', 'nn.Embedding', { num_embeddings: 50, embedding_dim: 16 }], ['rnn', 'nn.LSTM', { hidden_size: 8, bidirectional: true }], ['fc', 'nn.Linear', { out_features: 4 }]],
      [['tok', 'emb'], ['emb', 'rnn'], ['rnn.output', 'fc']],
    );
    const analysis = analyzeGraph(g, { requireLoss: false });
    expect(analysis.errors).toEqual([]);
    expect(analysis.nodes.get('rnn')?.outputs['output']?.shape).toEqual(['N', 'T', 16]);
    expect(analysis.nodes.get('rnn')?.outputs['h_n']?.shape).toEqual([2, 'N', 8]);
    expect(analysis.nodes.get('fc')?.outputs['out']?.shape).toEqual(['N', 'T', 4]);
  });
  it('follows the input when unpinned and reports a mismatch when pinned', () => {
    const pinned = graph([['x', 'input.Features', { features: 400 }], ['fc', 'nn.Linear', { in_features: 256, out_features: 3 }, { pinned: ['in_features'] }]], [['x', 'fc']]);
    const error = only(pinned, 'E_SHAPE_MISMATCH', false);
    expect(error.message).toContain('[N, 400]');
    expect(error.message).toContain('in_features=256');
    expect(error.fixes).toContainEqual({ kind: 'set-param', node: 'fc', param: 'in_features', value: 400 });
    expect(error.fixes).toContainEqual({ kind: 'unpin-param', node: 'fc', param: 'in_features' });
    const unpinned = graph([['x', 'input.Features', { features: 400 }], ['fc', 'nn.Linear', { in_features: 256, out_features: 3 }]], [['x', 'fc']]);
    expect(analyzeGraph(unpinned, { requireLoss: false }).nodes.get('fc')?.params['in_features']).toBe(400);
  });
  it('marks nodes after an error as blocked without cascading errors', () => {
    const g = graph([['x', 'input.Image'], ['fc', 'nn.Linear'], ['relu', 'nn.ReLU']], [['x', 'fc'], ['fc', 'relu']]);
    const analysis = analyzeGraph(g, { requireLoss: false });
    expect(analysis.errors.map((error) => error.code)).toEqual(['E_RANK_MISMATCH']);
    expect(analysis.nodes.get('relu')?.status).toBe('blocked');
  });
});

describe('every error code has a test', () => {
  const cases: Record<GraphErrorCode, () => void> = {
    E_UNKNOWN_LAYER: () => {
      const error = only(graph([['x', 'input.Features'], ['weird', 'nn.Quantum']], [['x', 'weird']]), 'E_UNKNOWN_LAYER', false);
      expect(error.fixes).toEqual([{ kind: 'remove-node', node: 'weird' }]);
    },
    E_UNKNOWN_PORT: () => {
      const error = only(graph([['x', 'input.Features'], ['fc', 'nn.Linear']], [['x', 'fc.weights']]), 'E_UNKNOWN_PORT', false);
      expect(error.fixes).toEqual([{ kind: 'remove-edge', edge: 'e1' }]);
    },
    E_CYCLE: () => {
      const error = only(graph([['x', 'input.Features'], ['a', 'op.Add'], ['r', 'nn.ReLU']], [['x', 'a.a'], ['a', 'r'], ['r', 'a.b']]), 'E_CYCLE', false);
      expect(error.message).toContain('loop');
      expect(error.fixes[0]?.kind).toBe('remove-edge');
    },
    E_PORT_UNCONNECTED: () => {
      const error = only(graph([['x', 'input.Features'], ['fc', 'nn.Linear'], ['loss', 'nn.CrossEntropyLoss']], [['x', 'fc'], ['fc', 'loss.input']]), 'E_PORT_UNCONNECTED');
      expect(error).toMatchObject({ node: 'loss', port: 'target' });
      expect(error.fixes).toEqual([{ kind: 'add-node', layer: 'input.Target', params: { dtype: 'class-index', shape: [] }, connectTo: { node: 'loss', port: 'target' } }]);
    },
    E_PORT_MULTIPLE_EDGES: () => {
      const error = only(graph([['x', 'input.Features'], ['y', 'input.Features'], ['fc', 'nn.Linear']], [['x', 'fc'], ['y', 'fc']]), 'E_PORT_MULTIPLE_EDGES', false);
      expect(error.fixes).toEqual([{ kind: 'remove-edge', edge: 'e2' }]);
    },
    E_RANK_MISMATCH: () => {
      const error = only(graph([['x', 'input.Image'], ['fc', 'nn.Linear']], [['x', 'fc']]), 'E_RANK_MISMATCH', false);
      expect(error.message).toContain('[N, 1, 28, 28]');
      expect(error.fixes).toEqual([{ kind: 'insert-node', layer: 'nn.Flatten', between: ['x', 'fc'], edge: 'e1', params: { start_dim: 1, end_dim: -1 } }]);
    },
    E_SHAPE_MISMATCH: () => {
      const g = graph([['x', 'input.Features', { features: 3 }], ['t', 'input.Target', { dtype: 'float', shape: [2] }], ['loss', 'nn.MSELoss']], [['x', 'loss.input'], ['t', 'loss.target']]);
      const error = only(g, 'E_SHAPE_MISMATCH');
      expect(error.message).toContain('[N, 3]');
      expect(error.message).toContain('[N, 2]');
    },
    E_SHAPE_TOO_SMALL: () => {
      const error = only(graph([['x', 'input.Image', { height: 3, width: 3 }], ['conv', 'nn.Conv2d', { kernel_size: [5, 5] }]], [['x', 'conv']]), 'E_SHAPE_TOO_SMALL', false);
      expect(error.fixes).toEqual([{ kind: 'set-param', node: 'conv', param: 'padding', value: [2, 2] }]);
    },
    E_SHAPE_SYMBOLIC: () => {
      only(graph([['x', 'input.SequenceFeatures', { features: 4 }], ['r', 'op.Reshape', { shape: [4] }]], [['x', 'r']]), 'E_SHAPE_SYMBOLIC', false);
    },
    E_KIND_MISMATCH: () => {
      const g = graph(
        [['x', 'input.Features', { features: 4 }], ['fc', 'nn.Linear', { out_features: 3 }], ['t', 'input.Target', { dtype: 'float', shape: [] }], ['loss', 'nn.CrossEntropyLoss']],
        [['x', 'fc'], ['fc', 'loss.input'], ['t', 'loss.target']],
      );
      const error = only(g, 'E_KIND_MISMATCH');
      expect(error.message).toContain('class indices');
      expect(error.fixes).toEqual([{ kind: 'set-param', node: 't', param: 'dtype', value: 'class-index' }]);
      const tokens = only(graph([['tok', 'input.Tokens'], ['fc', 'nn.Linear']], [['tok', 'fc']]), 'E_KIND_MISMATCH', false);
      expect(tokens.fixes).toEqual([{ kind: 'insert-node', layer: 'nn.Embedding', between: ['tok', 'fc'], edge: 'e1' }]);
    },
    E_PARAM_TYPE: () => {
      const error = only(graph([['x', 'input.Features'], ['fc', 'nn.Linear', { out_features: 'ten' }]], [['x', 'fc']]), 'E_PARAM_TYPE', false);
      expect(error.fixes).toEqual([{ kind: 'set-param', node: 'fc', param: 'out_features', value: 10 }]);
    },
    E_PARAM_RANGE: () => {
      const error = only(graph([['x', 'input.Features'], ['d', 'nn.Dropout', { p: 1.5 }]], [['x', 'd']]), 'E_PARAM_RANGE', false);
      expect(error.message).toContain('p=1.5');
      const linear = only(graph([['x', 'input.Features'], ['fc', 'nn.Linear', { out_features: 0 }]], [['x', 'fc']]), 'E_PARAM_RANGE', false);
      expect(linear.fixes).toEqual([{ kind: 'set-param', node: 'fc', param: 'out_features', value: 1 }]);
    },
    E_PARAM_CONSTRAINT: () => {
      const g = graph([['x', 'input.SequenceFeatures', { features: 10 }], ['attn', 'nn.MultiheadAttention', { num_heads: 3 }]], [['x', 'attn.query'], ['x', 'attn.key'], ['x', 'attn.value']]);
      const error = only(g, 'E_PARAM_CONSTRAINT', false);
      expect(error.fixes).toEqual([{ kind: 'set-param', node: 'attn', param: 'num_heads', value: 1 }]);
    },
    E_PORT_PAIR: () => {
      const g = graph([['x', 'input.SequenceFeatures', { features: 4 }], ['h', 'input.SequenceFeatures', { seq_len: 1, features: 20 }], ['lstm', 'nn.LSTM']], [['x', 'lstm'], ['h', 'lstm.h0']]);
      expect(only(g, 'E_PORT_PAIR', false).port).toBe('c0');
    },
    E_NO_INPUT: () => {
      const error = only(graph([['fc', 'nn.Linear']], []), 'E_NO_INPUT', false);
      expect(error.fixes[0]).toMatchObject({ kind: 'add-node', layer: 'input.Features' });
    },
    E_NO_LOSS: () => {
      const error = only(graph([['x', 'input.Features'], ['fc', 'nn.Linear']], [['x', 'fc']]), 'E_NO_LOSS');
      expect(error.fixes).toEqual([{ kind: 'add-node', layer: 'nn.CrossEntropyLoss', connectTo: { node: 'fc', port: 'out' } }]);
      expect(codes(graph([['x', 'input.Features'], ['fc', 'nn.Linear']], [['x', 'fc']]), false)).toEqual([]);
    },
    E_LOSS_AMBIGUOUS: () => {
      const g = graph(
        [['x', 'input.Features'], ['fc', 'nn.Linear', { out_features: 1 }], ['t', 'input.Target', { dtype: 'float', shape: [1] }], ['l1', 'nn.MSELoss'], ['l2', 'nn.L1Loss']],
        [['x', 'fc'], ['fc', 'l1.input'], ['t', 'l1.target'], ['fc', 'l2.input'], ['t', 'l2.target']],
      );
      expect(only(g, 'E_LOSS_AMBIGUOUS').fixes).toEqual([{ kind: 'set-training-loss', node: 'l1' }, { kind: 'set-training-loss', node: 'l2' }]);
      expect(analyzeGraph(g, { lossNode: 'l2' })).toMatchObject({ lossNode: 'l2', errors: [] });
    },
    E_DUPLICATE_NAME: () => {
      const g = graph([['x', 'input.Features'], ['a', 'nn.Linear', {}, { name: 'fc' }], ['b', 'nn.Linear', {}, { name: 'fc' }]], [['x', 'a'], ['a', 'b']]);
      expect(only(g, 'E_DUPLICATE_NAME', false).fixes).toEqual([{ kind: 'rename-node', node: 'b', name: 'fc_2' }]);
    },
    E_GROUP_INVALID: () => {
      only(graph([['x', 'input.Features'], ['fc', 'nn.Linear', {}, { group: 'nope' }]], [['x', 'fc']]), 'E_GROUP_INVALID', false);
      const loop: Graph['groups'] = [{ id: 'a', name: 'a', kind: 'module', parent: 'b' }, { id: 'b', name: 'b', kind: 'module', parent: 'a' }];
      only(graph([['x', 'input.Features']], [], loop), 'E_GROUP_INVALID', false);
    },
    E_GROUP_NOT_CHAIN: () => {
      const g = graph(
        [['x', 'input.Features'], ['fc', 'nn.Linear', { out_features: 1 }, { group: 'g' }], ['sum', 'op.Add', {}, { group: 'g' }]],
        [['x', 'fc'], ['fc', 'sum.a'], ['x', 'sum.b']],
        [{ id: 'g', name: 'block', kind: 'sequential' }],
      );
      expect(only(g, 'E_GROUP_NOT_CHAIN', false).node).toBe('sum');
    },
    E_ROOT_NOT_CHAIN: () => {
      // A model that is an nn.Sequential cannot branch: "b" feeds the loss and "c"; a function op is not a module.
      const branching: Graph = {
        ...graph(
          [['x', 'input.Features', { features: 4 }], ['a', 'nn.Linear', { out_features: 3 }], ['b', 'nn.ReLU'], ['c', 'nn.Linear', { out_features: 3 }], ['t', 'input.Target', { dtype: 'float', shape: [3] }], ['loss', 'nn.MSELoss']],
          [['x', 'a'], ['a', 'b'], ['b', 'c'], ['b', 'loss.input'], ['t', 'loss.target']],
        ),
        root: { kind: 'sequential' },
      };
      const error = only(branching, 'E_ROOT_NOT_CHAIN');
      expect(error.node).toBe('b');
      expect(error.fixes).toEqual([{ kind: 'set-root', root: 'module' }]);
      const withOp: Graph = { ...graph([['x', 'input.Features', { features: 4 }], ['r', 'op.Reshape', { shape: [2, 2] }]], [['x', 'r']]), root: { kind: 'sequential' } };
      expect(only(withOp, 'E_ROOT_NOT_CHAIN', false).node).toBe('r');
      const grouped: Graph = { ...graph([['x', 'input.Features', { features: 4 }], ['a', 'nn.Linear', {}, { group: 'g' }]], [['x', 'a']], [{ id: 'g', name: 'block', kind: 'sequential' }]), root: { kind: 'sequential' } };
      expect(only(grouped, 'E_ROOT_NOT_CHAIN', false).message).toContain('group ("block")');
      // The same chain without the branch is fine.
      const chain: Graph = { ...branching, edges: branching.edges.filter((edge) => !(edge.source.node === 'b' && edge.target.node === 'loss')).concat({ id: 'e9', source: { node: 'c', port: 'out' }, target: { node: 'loss', port: 'input' } }) };
      expect(codes(chain)).toEqual([]);
    },
  };
  it.each([...graphErrorCodes])('%s', (code) => cases[code]());
});

describe('module names', () => {
  it('numbers the top-level layers of a model that is an nn.Sequential (keys 0.weight), not its input, target or loss', () => {
    const g: Graph = {
      ...graph(
        [['x', 'input.Features', { features: 4 }], ['a', 'nn.Linear', { out_features: 8 }, { name: 'ignored' }], ['r', 'nn.ReLU'], ['b', 'nn.Linear', { out_features: 2 }], ...classifierTail],
        [['x', 'a'], ['a', 'r'], ['r', 'b'], ['b', 'loss.input'], ['t', 'loss.target']],
      ),
      root: { kind: 'sequential' },
    };
    const analysis = analyzeGraph(g);
    expect(analysis.errors).toEqual([]);
    expect(Object.fromEntries(analysis.paths)).toEqual({ x: 'x', t: 'target', a: '0', r: '1', b: '2', loss: 'loss1' });
    expect(Object.fromEntries(analyzeGraph({ ...g, root: { kind: 'module' } }).paths)).toMatchObject({ a: 'ignored', r: 'relu1', b: 'fc1' });
  });

  it('numbers automatic names along the data flow and prefixes groups', () => {
    const g = graph(
      [['x', 'input.Image'], ['c', 'nn.Conv2d', {}, { group: 'g' }], ['r', 'nn.ReLU', {}, { group: 'g' }], ['f', 'nn.Flatten'], ['a', 'nn.Linear'], ['b', 'nn.Linear'], ...classifierTail],
      [['x', 'c'], ['c', 'r'], ['r', 'f'], ['f', 'a'], ['a', 'b'], ['b', 'loss.input'], ['t', 'loss.target']],
      [{ id: 'g', name: 'features', kind: 'sequential' }],
    );
    const analysis = analyzeGraph(g);
    expect(analysis.errors).toEqual([]);
    expect(Object.fromEntries(analysis.paths)).toEqual({ x: 'x', t: 'target', c: 'features.0', r: 'features.1', f: 'flatten1', a: 'fc1', b: 'fc2', loss: 'loss1' });
  });
});

function project(g: Graph): Project {
  return { format: 'netwright-project', version: PROJECT_VERSION, name: 'test', description: '', graph: g, training: defaultTraining(), ui: defaultUiState() };
}

describe('project files', () => {
  it('round-trip: load → save → load is equal, and save is stable', () => {
    const text = serializeProject(project(mlp()));
    const first = parseProject(text);
    expect(first.migrations).toEqual([]);
    const again = serializeProject(first.project);
    expect(again).toBe(text);
    expect(parseProject(again).project).toEqual(first.project);
  });
  it('migrates the version-0 fixture', () => {
    const text = readFileSync(new URL('../fixtures/layers/project-v0.json', import.meta.url), 'utf8');
    const { project: migrated, migrations } = parseProject(text);
    expect(migrations).toEqual([
      'v0-to-v1: graph object, port-to-port edges, training settings, ui state',
      'v1-to-v2: graph.root (a model that is itself an nn.Sequential); version-1 graphs stay named nn.Modules',
    ]);
    expect(migrated.version).toBe(PROJECT_VERSION);
    expect(migrated.graph.root).toBeUndefined();
    expect(migrated.graph.nodes.find((node) => node.id === 'h')).toMatchObject({ layer: 'nn.Linear', name: 'net', position: { x: 200, y: 0 } });
    expect(migrated.graph.edges[1]).toEqual({ id: 'e2', source: { node: 'h', port: 'out' }, target: { node: 'act', port: 'input' } });
    expect(migrated.training).toMatchObject({ epochs: 3, batchSize: 16, optimizer: { kind: 'adam', lr: 0.05 }, dataset: { name: 'iris' } });
    expect(analyzeGraph(migrated.graph).errors).toEqual([]);
    expect(parseProject(serializeProject(migrated)).project).toEqual(migrated);
  });
  it('migrates a version-1 file to version 2 without changing its graph, and keeps graph.root through a save', () => {
    const current = project(mlp());
    const v1 = JSON.parse(serializeProject(current)) as Record<string, unknown>;
    v1['version'] = 1;
    const { project: migrated, migrations } = parseProject(JSON.stringify(v1));
    expect(migrations).toEqual(['v1-to-v2: graph.root (a model that is itself an nn.Sequential); version-1 graphs stay named nn.Modules']);
    expect(migrated).toEqual(current);
    const sequential = project({ ...mlp(), root: { kind: 'sequential' } });
    expect(parseProject(serializeProject(sequential)).project.graph.root).toEqual({ kind: 'sequential' });
    const withRootInV1 = { ...v1, graph: { ...(v1['graph'] as object), root: { kind: 'sequential' } } };
    expect(() => parseProject(JSON.stringify({ ...withRootInV1, version: 3 }))).toThrow(/newer Netwright/);
  });
  it('rejects bad files with a coded error', () => {
    const code = (text: string): string => {
      try {
        parseProject(text);
        return 'none';
      } catch (error) {
        return error instanceof ProjectFileError ? error.code : 'other';
      }
    };
    expect(code('{not json')).toBe('E_PROJECT_JSON');
    expect(code('[]')).toBe('E_PROJECT_FORMAT');
    expect(code('{"format":"something-else","version":1}')).toBe('E_PROJECT_FORMAT');
    expect(code('{"format":"netwright-project","version":99}')).toBe('E_PROJECT_VERSION');
    const extra = JSON.parse(serializeProject(project(mlp()))) as Record<string, unknown>;
    extra['surprise'] = true;
    expect(code(JSON.stringify(extra))).toBe('E_PROJECT_SCHEMA');
  });
});
