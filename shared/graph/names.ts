// PyTorch module paths for nodes: group prefixes, nn.Sequential indices, user names, automatic names (fc1, conv2…).
import { layerSpec } from '../layers/index';
import { graphError, type GraphError } from './errors';
import type { Graph, GraphGroup } from './schema';

export interface Naming {
  /** node id → module path ("features.0", "fc1", "x") */
  readonly paths: ReadonlyMap<string, string>;
  /** group id → module path ("features", "encoder.block") */
  readonly groupPaths: ReadonlyMap<string, string>;
  readonly errors: readonly GraphError[];
}

/** Whether a top-level node of this category is one of the layers of a model that is an nn.Sequential (graph.root). */
export function isSequentialRootMember(category: string): boolean {
  return category !== 'input' && category !== 'loss';
}

/** Assigns names in `order` (topological), so automatic numbering follows the data flow. */
export function nameNodes(graph: Graph, order: readonly string[]): Naming {
  const errors: GraphError[] = [];
  const groups = new Map(graph.groups.map((group) => [group.id, group]));
  const groupPaths = new Map<string, string>();
  for (const group of graph.groups) {
    const names: string[] = [];
    const seen = new Set<string>();
    let current: GraphGroup = group;
    let valid = true;
    for (;;) {
      if (seen.has(current.id)) {
        errors.push(graphError('E_GROUP_INVALID', `Groups nest in a loop through "${group.name}"; move one of them to the top level.`));
        valid = false;
        break;
      }
      seen.add(current.id);
      names.unshift(current.name);
      if (current.parent === undefined) break;
      const parent = groups.get(current.parent);
      if (parent === undefined) {
        errors.push(graphError('E_GROUP_INVALID', `Group "${current.name}" names a parent group "${current.parent}" that does not exist; move it to the top level.`));
        valid = false;
        break;
      }
      current = parent;
    }
    if (valid) groupPaths.set(group.id, names.join('.'));
  }

  const nodes = new Map(graph.nodes.map((node) => [node.id, node]));
  const scopeOf = (nodeId: string): string => {
    const group = nodes.get(nodeId)?.group;
    if (group !== undefined && !groups.has(group)) {
      errors.push(graphError('E_GROUP_INVALID', `Node "${nodeId}" is in group "${group}", which does not exist; ungroup it.`, { node: nodeId }));
      return '';
    }
    return group ?? '';
  };
  const taken = new Map<string, Map<string, string>>(); // scope → local name → node id
  const userNames = new Map<string, Set<string>>();
  for (const id of order) {
    const node = nodes.get(id);
    if (node?.name !== undefined) {
      const scope = node.group ?? '';
      userNames.set(scope, (userNames.get(scope) ?? new Set()).add(node.name));
    }
  }
  const counters = new Map<string, number>();
  const paths = new Map<string, string>();
  const sequentialIndex = new Map<string, number>();
  const rootSequential = graph.root?.kind === 'sequential';
  for (const id of order) {
    const node = nodes.get(id);
    const spec = node === undefined ? undefined : layerSpec(node.layer);
    if (node === undefined || spec === undefined) continue;
    const scope = scopeOf(id);
    const group = groups.get(scope);
    // A model that is itself an nn.Sequential numbers its top-level layers; inputs and losses are not its children.
    const rootMember = scope === '' && rootSequential && isSequentialRootMember(spec.category);
    let local: string;
    if (group?.kind === 'sequential' || rootMember) {
      local = String(sequentialIndex.get(scope) ?? 0);
      sequentialIndex.set(scope, Number(local) + 1);
    } else if (node.name !== undefined) {
      local = node.name;
    } else {
      const prefix = spec.defaultName;
      const bare = spec.category === 'input';
      const key = `${scope}/${prefix}`;
      let count = counters.get(key) ?? 0;
      const reserved = userNames.get(scope) ?? new Set<string>();
      do {
        count += 1;
        local = bare && count === 1 ? prefix : `${prefix}${count}`;
      } while (reserved.has(local) || taken.get(scope)?.has(local));
      counters.set(key, count);
    }
    const scopeNames = taken.get(scope) ?? new Map<string, string>();
    const clash = scopeNames.get(local);
    if (clash !== undefined) {
      errors.push(graphError('E_DUPLICATE_NAME', `Nodes "${clash}" and "${id}" are both named "${local}"; PyTorch attribute names must be unique — rename one.`, { node: id }, [{ kind: 'rename-node', node: id, name: `${local}_2` }]));
    }
    scopeNames.set(local, id);
    taken.set(scope, scopeNames);
    const prefix = groupPaths.get(scope);
    paths.set(id, prefix ? `${prefix}.${local}` : local);
  }
  for (const group of graph.groups) {
    const scope = group.parent ?? '';
    const clash = taken.get(scope)?.get(group.name);
    if (clash !== undefined) {
      errors.push(graphError('E_DUPLICATE_NAME', `Group "${group.name}" has the same name as node "${clash}"; rename one of them.`, { node: clash }, [{ kind: 'rename-node', node: clash, name: `${group.name}_2` }]));
    }
  }
  return { paths, groupPaths, errors };
}
