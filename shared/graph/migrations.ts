// Project file migrations: an ordered list of named steps, each taking version n to n + 1.
import { defaultUiState } from './schema';

type Json = Record<string, unknown>;

export interface Migration {
  readonly name: string;
  readonly from: number;
  migrate(project: Json): Json;
}

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** "node:port" as written by version 0 links. */
function endpoint(text: unknown, fallbackPort: string): { node: string; port: string } {
  const [node = '', port = fallbackPort] = String(text).split(':');
  return { node, port };
}

/**
 * Version 0 (the prototype) kept nodes with `type`, `x`, `y`; links as "node:port" strings;
 * and flat `settings` (lr, epochs, batch_size, optimizer name). Version 1 nests the graph,
 * names ports on both ends, adds groups, full training settings and UI state.
 */
const v0ToV1: Migration = {
  name: 'v0-to-v1: graph object, port-to-port edges, training settings, ui state',
  from: 0,
  migrate(project) {
    const settings = isRecord(project['settings']) ? project['settings'] : {};
    const nodes = array(project['nodes']).filter(isRecord).map((node) => {
      const migrated: Json = {
        id: String(node['id']),
        layer: String(node['type']),
        params: isRecord(node['params']) ? node['params'] : {},
        position: { x: Number(node['x'] ?? 0), y: Number(node['y'] ?? 0) },
      };
      if (typeof node['label'] === 'string') migrated['name'] = node['label'];
      return migrated;
    });
    const edges = array(project['links']).filter(isRecord).map((link, index) => ({
      id: `e${index + 1}`,
      source: endpoint(link['from'], 'out'),
      target: endpoint(link['to'], 'input'),
    }));
    const lr = typeof settings['lr'] === 'number' ? settings['lr'] : 0.01;
    const optimizer =
      settings['optimizer'] === 'adam'
        ? { kind: 'adam', lr, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false }
        : { kind: 'sgd', lr, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false };
    return {
      format: 'netwright-project',
      version: 1,
      name: typeof project['name'] === 'string' ? project['name'] : 'Untitled',
      description: '',
      graph: { nodes, edges, groups: [] },
      training: {
        dataset: { source: 'builtin', name: typeof settings['dataset'] === 'string' ? settings['dataset'] : 'fashion-mnist', options: {}, validationSplit: 0 },
        loss: null,
        optimizer,
        schedule: { kind: 'constant' },
        epochs: typeof settings['epochs'] === 'number' ? settings['epochs'] : 10,
        batchSize: typeof settings['batch_size'] === 'number' ? settings['batch_size'] : 64,
        shuffle: true,
        workers: 0,
        seed: 0,
        gradientClipping: null,
        device: 'auto',
        dtype: 'float32',
      },
      ui: defaultUiState(),
    };
  },
};

/**
 * Version 2 adds `graph.root` (the model itself may be an nn.Sequential with keys 0.weight, 1.bias…). Absent means a
 * named nn.Module, which is what every version-1 file describes, so the step only moves the version forward; it exists
 * so that an older Netwright refuses a version-2 file ("saved by a newer Netwright") instead of misreading it.
 */
const v1ToV2: Migration = {
  name: 'v1-to-v2: graph.root (a model that is itself an nn.Sequential); version-1 graphs stay named nn.Modules',
  from: 1,
  migrate(project) {
    return { ...project, version: 2 };
  },
};

/** Every migration, oldest first; `migrations[i].from === i`. */
export const migrations: readonly Migration[] = [v0ToV1, v1ToV2];

/** Runs the migrations from the file's version up to the current one; returns the names applied. */
export function migrate(project: Json): { project: Json; applied: string[] } {
  let current = project;
  const applied: string[] = [];
  let version = typeof current['version'] === 'number' ? current['version'] : 0;
  for (const migration of migrations) {
    if (migration.from !== version) continue;
    current = migration.migrate(current);
    applied.push(migration.name);
    version += 1;
  }
  return { project: current, applied };
}
