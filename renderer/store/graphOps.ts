// Pure edits of a project: add/move/connect/remove nodes, params, fixes, clipboard, groups and auto-layout. No React here.
import { graphlib, layout } from '@dagrejs/dagre';
import { analyzeGraph, type Fix, type GraphAnalysis, type GraphEdge, type GraphGroup, type GraphNode, type Project } from '../../shared/graph';
import { layerSpec, type ParamValue, type Params } from '../../shared/layers';

export interface Point {
  x: number;
  y: number;
}
export interface Endpoint {
  node: string;
  port: string;
}

/** Nominal node size for layout and group boxes before the canvas has measured a node. */
export const nodeSize = { width: 200, height: 96 };

/** Params as the project file stores them (mutable arrays). */
function toStored(params: Params): GraphNode['params'] {
  const stored: GraphNode['params'] = {};
  for (const [key, value] of Object.entries(params)) stored[key] = Array.isArray(value) ? [...(value as readonly number[])] : (value as Exclude<ParamValue, readonly number[]>);
  return stored;
}

const withGraph = (project: Project, graph: Partial<Project['graph']>): Project => ({ ...project, graph: { ...project.graph, ...graph } });

/** A fresh id: `prefix1`, `prefix2`… skipping ids already taken. */
export function freshId(prefix: string, taken: ReadonlySet<string>): string {
  for (let index = 1; ; index += 1) {
    const id = `${prefix}${index}`;
    if (!taken.has(id)) return id;
  }
}

const nodeIds = (project: Project): Set<string> => new Set(project.graph.nodes.map((node) => node.id));
const edgeIds = (project: Project): Set<string> => new Set(project.graph.edges.map((edge) => edge.id));

export function addNode(project: Project, layer: string, position: Point, params: Params = {}): { project: Project; id: string } {
  const spec = layerSpec(layer);
  if (spec === undefined) throw new Error(`unknown layer ${layer}`);
  const id = freshId(spec.defaultName, nodeIds(project));
  const node: GraphNode = { id, layer, params: toStored(params), position: { x: Math.round(position.x), y: Math.round(position.y) } };
  return { project: withGraph(project, { nodes: [...project.graph.nodes, node] }), id };
}

export function moveNodes(project: Project, positions: ReadonlyMap<string, Point>): Project {
  if (positions.size === 0) return project;
  return withGraph(project, {
    nodes: project.graph.nodes.map((node) => {
      const position = positions.get(node.id);
      return position === undefined ? node : { ...node, position: { x: position.x, y: position.y } };
    }),
  });
}

/** Adds source → target, replacing an edge already in the target port. */
export function connect(project: Project, source: Endpoint, target: Endpoint): Project {
  const kept = project.graph.edges.filter((edge) => !(edge.target.node === target.node && edge.target.port === target.port));
  const id = freshId('e', edgeIds(project));
  return withGraph(project, { edges: [...kept, { id, source: { ...source }, target: { ...target } }] });
}

/** A refusal may come with a fix (e.g. "Insert Flatten"): `apply` makes the connection through it. */
export interface ConnectionFix {
  label: string;
  apply: (project: Project) => Project;
}
export type ConnectionCheck = { ok: true; replaces: string | null; message: string } | { ok: false; message: string; fix?: ConnectionFix };

const errorKey = (error: { code: string; node?: string | undefined; port?: string | undefined }): string => `${error.code}|${error.node ?? ''}|${error.port ?? ''}`;

/**
 * Would source → target be a sound edge? Refuses self-loops, duplicates, cycles and any new error at the target port
 * (rank, kind or shape mismatch), with the analysis' own message. A taken port is replaced, and says so.
 */
export function checkConnection(project: Project, before: GraphAnalysis, source: Endpoint, target: Endpoint): ConnectionCheck {
  if (source.node === target.node) return { ok: false, message: 'A node cannot feed itself: that would be a cycle.' };
  const existing = project.graph.edges.find((edge) => edge.target.node === target.node && edge.target.port === target.port);
  if (existing !== undefined && existing.source.node === source.node && existing.source.port === source.port) {
    return { ok: false, message: 'These ports are already connected.' };
  }
  const next = connect(project, source, target);
  const after = analyzeGraph(next.graph, { requireLoss: false });
  const old = new Set(before.errors.map(errorKey));
  const fresh = after.errors.filter((error) => !old.has(errorKey(error)));
  const cycle = fresh.find((error) => error.code === 'E_CYCLE');
  if (cycle !== undefined) return { ok: false, message: `Refused: this edge would close a loop. ${cycle.message}` };
  const atPort = fresh.find((error) => error.node === target.node && (error.port === undefined || error.port === target.port) && error.code !== 'E_PORT_UNCONNECTED');
  if (atPort !== undefined) {
    // The analysis of the would-be graph offers fixes for the new edge (Flatten for a rank mismatch): offer the first
    // that inserts a layer, applied to the connected graph so the edge it names exists.
    const fix = atPort.fixes.find((item) => item.kind === 'insert-node');
    if (fix === undefined) return { ok: false, message: atPort.message };
    return { ok: false, message: atPort.message, fix: { label: fixLabel(fix), apply: (current) => applyFix(connect(current, source, target), fix) } };
  }
  if (existing !== undefined) return { ok: true, replaces: existing.id, message: `Replaces the edge from "${existing.source.node}" into ${target.port}.` };
  return { ok: true, replaces: null, message: '' };
}

export function removeItems(project: Project, nodes: ReadonlySet<string>, edges: ReadonlySet<string> = new Set()): Project {
  if (nodes.size === 0 && edges.size === 0) return project;
  const keptNodes = project.graph.nodes.filter((node) => !nodes.has(node.id));
  const keptEdges = project.graph.edges.filter((edge) => !edges.has(edge.id) && !nodes.has(edge.source.node) && !nodes.has(edge.target.node));
  return pruneGroups(withGraph(project, { nodes: keptNodes, edges: keptEdges }));
}

/** Drops groups that no longer hold a node (directly or through a child group). */
function pruneGroups(project: Project): Project {
  const used = new Set(project.graph.nodes.map((node) => node.group).filter((group): group is string => group !== undefined));
  const groups = project.graph.groups;
  let changed = true;
  while (changed) {
    changed = false;
    for (const group of groups) {
      if (used.has(group.id) && group.parent !== undefined && !used.has(group.parent)) {
        used.add(group.parent);
        changed = true;
      }
    }
  }
  const kept = groups.filter((group) => used.has(group.id));
  if (kept.length === groups.length) return project;
  const keptIds = new Set(kept.map((group) => group.id));
  return {
    ...withGraph(project, { groups: kept }),
    ui: { ...project.ui, collapsedGroups: project.ui.collapsedGroups.filter((id) => keptIds.has(id)) },
  };
}

const updateNode = (project: Project, id: string, update: (node: GraphNode) => GraphNode): Project =>
  withGraph(project, { nodes: project.graph.nodes.map((node) => (node.id === id ? update(node) : node)) });

/** Sets a param; setting a derived param pins it (it stops following the input) unless `pin` is false. */
export function setParam(project: Project, id: string, name: string, value: ParamValue, pin = true): Project {
  return updateNode(project, id, (node) => {
    const spec = layerSpec(node.layer);
    const derived = spec?.params.find((param) => param.name === name)?.derived === true;
    const next: GraphNode = { ...node, params: { ...node.params, ...toStored({ [name]: value }) } };
    if (derived && pin && !(node.pinned ?? []).includes(name)) next.pinned = [...(node.pinned ?? []), name];
    return next;
  });
}

/** Lets a derived param follow its input again. */
export function unpinParam(project: Project, id: string, name: string): Project {
  return updateNode(project, id, (node) => {
    const { [name]: _dropped, ...params } = node.params;
    const pinned = (node.pinned ?? []).filter((item) => item !== name);
    const next: GraphNode = { ...node, params };
    if (pinned.length > 0) next.pinned = pinned;
    else delete next.pinned;
    return next;
  });
}

/** The model's own module: a named nn.Module (keys fc1.weight) or an nn.Sequential (keys 0.weight); see graph.root. */
export function setRoot(project: Project, kind: 'module' | 'sequential'): Project {
  if ((project.graph.root?.kind ?? 'module') === kind) return project;
  const { root: _dropped, ...graph } = project.graph;
  return { ...project, graph: kind === 'module' ? graph : { ...graph, root: { kind } } };
}

export function renameNode(project: Project, id: string, name: string | null): Project {
  return updateNode(project, id, (node) => {
    const next: GraphNode = { ...node };
    if (name === null || name === '') delete next.name;
    else next.name = name;
    return next;
  });
}

function firstPorts(layer: string): { input: string | null; output: string | null } {
  const spec = layerSpec(layer);
  return { input: spec?.inputs[0]?.name ?? null, output: spec?.outputs[0]?.name ?? null };
}

/** Applies one of analysis' fixes; returns the project unchanged when the fix no longer applies. */
export function applyFix(project: Project, fix: Fix): Project {
  const byId = new Map(project.graph.nodes.map((node) => [node.id, node]));
  switch (fix.kind) {
    case 'set-param':
      return setParam(project, fix.node, fix.param, fix.value, false);
    case 'unpin-param':
      return unpinParam(project, fix.node, fix.param);
    case 'remove-edge':
      return removeItems(project, new Set(), new Set([fix.edge]));
    case 'remove-node':
      return removeItems(project, new Set([fix.node]));
    case 'rename-node':
      return renameNode(project, fix.node, fix.name);
    case 'set-training-loss':
      return { ...project, training: { ...project.training, loss: fix.node } };
    case 'set-root':
      return setRoot(project, fix.root);
    case 'insert-node': {
      const edge = project.graph.edges.find((item) => item.id === fix.edge);
      const from = byId.get(fix.between[0]);
      const to = byId.get(fix.between[1]);
      const ports = firstPorts(fix.layer);
      if (edge === undefined || from === undefined || to === undefined || ports.input === null || ports.output === null) return project;
      const position = { x: (from.position.x + to.position.x) / 2, y: (from.position.y + to.position.y) / 2 + nodeSize.height };
      const added = addNode(removeItems(project, new Set(), new Set([edge.id])), fix.layer, position, fix.params ?? {});
      const group = to.group ?? from.group;
      let next = group === undefined ? added.project : updateNode(added.project, added.id, (node) => ({ ...node, group }));
      next = connect(next, edge.source, { node: added.id, port: ports.input });
      return connect(next, { node: added.id, port: ports.output }, edge.target);
    }
    case 'add-node': {
      const anchor = byId.get(fix.connectTo.node);
      const ports = firstPorts(fix.layer);
      const anchorSpec = anchor === undefined ? undefined : layerSpec(anchor.layer);
      if (anchor === undefined || anchorSpec === undefined) return project;
      const intoAnchor = anchorSpec.inputs.some((port) => port.name === fix.connectTo.port);
      const position = { x: anchor.position.x + (intoAnchor ? -nodeSize.width - 60 : nodeSize.width + 60), y: anchor.position.y + (intoAnchor ? nodeSize.height + 40 : 0) };
      const added = addNode(project, fix.layer, position, fix.params ?? {});
      if (intoAnchor && ports.output !== null) return connect(added.project, { node: added.id, port: ports.output }, fix.connectTo);
      if (!intoAnchor && ports.input !== null) return connect(added.project, fix.connectTo, { node: added.id, port: ports.input });
      return added.project;
    }
  }
}

/** A short label for a fix button: "Insert Flatten", "Set in_features to 400". */
export function fixLabel(fix: Fix): string {
  const show = (value: ParamValue): string => (Array.isArray(value) ? `(${value.join(', ')})` : value === null ? 'None' : String(value));
  switch (fix.kind) {
    case 'set-param':
      return `Set ${fix.param} to ${show(fix.value)}`;
    case 'unpin-param':
      return `Let ${fix.param} follow the input`;
    case 'insert-node':
      return `Insert ${layerSpec(fix.layer)?.title ?? fix.layer}`;
    case 'add-node':
      return `Add ${layerSpec(fix.layer)?.title ?? fix.layer}`;
    case 'remove-edge':
      return 'Remove the edge';
    case 'remove-node':
      return 'Remove the node';
    case 'rename-node':
      return `Rename to ${fix.name}`;
    case 'set-training-loss':
      return `Train on ${fix.node}`;
    case 'set-root':
      return fix.root === 'sequential' ? 'Make the model an nn.Sequential' : 'Make the model a named nn.Module';
  }
}

// ---- clipboard ----------------------------------------------------------------------------------

export const clipboardFormat = 'netwright-clipboard';

interface Clipboard {
  format: typeof clipboardFormat;
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: GraphGroup[];
}

/** The selected nodes, the edges between them and their groups, as JSON text (works across projects and windows). */
export function copyNodes(project: Project, ids: ReadonlySet<string>): string {
  const nodes = project.graph.nodes.filter((node) => ids.has(node.id));
  const edges = project.graph.edges.filter((edge) => ids.has(edge.source.node) && ids.has(edge.target.node));
  const groupIds = new Set(nodes.map((node) => node.group).filter((group): group is string => group !== undefined));
  const groups = project.graph.groups.filter((group) => groupIds.has(group.id));
  const clipboard: Clipboard = { format: clipboardFormat, nodes, edges, groups };
  return JSON.stringify(clipboard);
}

function parseClipboard(text: string): Clipboard | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const record = value as Partial<Clipboard>;
    if (record.format !== clipboardFormat || !Array.isArray(record.nodes) || !Array.isArray(record.edges)) return null;
    const nodes = record.nodes.filter((node) => layerSpec(node.layer) !== undefined);
    return { format: clipboardFormat, nodes, edges: record.edges, groups: Array.isArray(record.groups) ? record.groups : [] };
  } catch {
    return null;
  }
}

/** Pastes clipboard JSON with fresh ids and names, offset by `offset`; null when the text is not a Netwright clipboard. */
export function pasteNodes(project: Project, text: string, offset: Point): { project: Project; ids: string[] } | null {
  const clipboard = parseClipboard(text);
  if (clipboard === null || clipboard.nodes.length === 0) return null;
  const takenNodes = nodeIds(project);
  const takenEdges = edgeIds(project);
  const takenGroups = new Set(project.graph.groups.map((group) => group.id));
  const takenNames = new Set([...project.graph.nodes.map((node) => node.name), ...project.graph.groups.map((group) => group.name)].filter((name): name is string => name !== undefined));
  const groupMap = new Map<string, string>();
  const groups: GraphGroup[] = [];
  for (const group of clipboard.groups) {
    const id = freshId('group', takenGroups);
    takenGroups.add(id);
    groupMap.set(group.id, id);
  }
  for (const group of clipboard.groups) {
    const name = takenNames.has(group.name) ? freshId(`${group.name}_`, takenNames) : group.name;
    takenNames.add(name);
    const parent = group.parent === undefined ? undefined : groupMap.get(group.parent);
    const copy: GraphGroup = { ...group, id: groupMap.get(group.id) ?? group.id, name };
    if (parent === undefined) delete copy.parent;
    else copy.parent = parent;
    groups.push(copy);
  }
  const idMap = new Map<string, string>();
  const nodes: GraphNode[] = clipboard.nodes.map((node) => {
    const prefix = layerSpec(node.layer)?.defaultName ?? 'node';
    const id = freshId(prefix, takenNodes);
    takenNodes.add(id);
    idMap.set(node.id, id);
    const copy: GraphNode = { ...node, id, position: { x: node.position.x + offset.x, y: node.position.y + offset.y } };
    if (copy.name !== undefined) {
      if (takenNames.has(copy.name)) delete copy.name;
      else takenNames.add(copy.name);
    }
    const group = node.group === undefined ? undefined : groupMap.get(node.group);
    if (group === undefined) delete copy.group;
    else copy.group = group;
    return copy;
  });
  const edges: GraphEdge[] = [];
  for (const edge of clipboard.edges) {
    const source = idMap.get(edge.source.node);
    const target = idMap.get(edge.target.node);
    if (source === undefined || target === undefined) continue;
    const id = freshId('e', takenEdges);
    takenEdges.add(id);
    edges.push({ id, source: { node: source, port: edge.source.port }, target: { node: target, port: edge.target.port } });
  }
  return {
    project: withGraph(project, { nodes: [...project.graph.nodes, ...nodes], edges: [...project.graph.edges, ...edges], groups: [...project.graph.groups, ...groups] }),
    ids: nodes.map((node) => node.id),
  };
}

// ---- groups -------------------------------------------------------------------------------------

/** Groups nodes into a named submodule: nn.Sequential when they form a chain of modules, else a named module. */
export function groupNodes(project: Project, ids: ReadonlySet<string>, name?: string): { project: Project; id: string } | null {
  const members = project.graph.nodes.filter((node) => ids.has(node.id));
  if (members.length === 0) return null;
  const taken = new Set(project.graph.groups.map((group) => group.id));
  const id = freshId('group', taken);
  const names = new Set([...project.graph.nodes.map((node) => node.name), ...project.graph.groups.map((group) => group.name)].filter((item): item is string => item !== undefined));
  const groupName = name ?? freshId('block', names);
  const parents = new Set(members.map((node) => node.group));
  const parent = parents.size === 1 ? [...parents][0] : undefined;
  const build = (kind: GraphGroup['kind']): Project => {
    const group: GraphGroup = kind === 'module' ? { id, name: groupName, kind, className: pascal(groupName) } : { id, name: groupName, kind };
    if (parent !== undefined) group.parent = parent;
    return withGraph(project, {
      groups: [...project.graph.groups, group],
      nodes: project.graph.nodes.map((node) => (ids.has(node.id) ? { ...node, group: id } : node)),
    });
  };
  const sequential = build('sequential');
  const chainError = analyzeGraph(sequential.graph, { requireLoss: false }).errors.some((error) => error.code === 'E_GROUP_NOT_CHAIN');
  return { project: chainError ? build('module') : sequential, id };
}

function pascal(name: string): string {
  const words = name.split('_').filter((word) => word !== '');
  const joined = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
  return /^[A-Za-z_]/.test(joined) ? joined : `M${joined}`;
}

export function ungroup(project: Project, groupId: string): Project {
  const group = project.graph.groups.find((item) => item.id === groupId);
  if (group === undefined) return project;
  return {
    ...withGraph(project, {
      groups: project.graph.groups.filter((item) => item.id !== groupId).map((item) => (item.parent === groupId ? withParent(item, group.parent) : item)),
      nodes: project.graph.nodes.map((node) => (node.group === groupId ? withGroup(node, group.parent) : node)),
    }),
    ui: { ...project.ui, collapsedGroups: project.ui.collapsedGroups.filter((id) => id !== groupId) },
  };
}

function withParent(group: GraphGroup, parent: string | undefined): GraphGroup {
  const next = { ...group };
  if (parent === undefined) delete next.parent;
  else next.parent = parent;
  return next;
}

function withGroup(node: GraphNode, group: string | undefined): GraphNode {
  const next = { ...node };
  if (group === undefined) delete next.group;
  else next.group = group;
  return next;
}

export function renameGroup(project: Project, groupId: string, name: string): Project {
  return withGraph(project, { groups: project.graph.groups.map((group) => (group.id === groupId ? { ...group, name, ...(group.kind === 'module' ? { className: pascal(name) } : {}) } : group)) });
}

export function toggleCollapsed(project: Project, groupId: string): Project {
  const collapsed = project.ui.collapsedGroups.includes(groupId);
  return { ...project, ui: { ...project.ui, collapsedGroups: collapsed ? project.ui.collapsedGroups.filter((id) => id !== groupId) : [...project.ui.collapsedGroups, groupId] } };
}

/** The top-level group a node shows in: its outermost collapsed ancestor, or null when it is visible. */
export function collapsedAncestor(project: Project, node: GraphNode): string | null {
  const groups = new Map(project.graph.groups.map((group) => [group.id, group]));
  const collapsed = new Set(project.ui.collapsedGroups);
  let found: string | null = null;
  let current = node.group === undefined ? undefined : groups.get(node.group);
  const seen = new Set<string>();
  while (current !== undefined && !seen.has(current.id)) {
    seen.add(current.id);
    if (collapsed.has(current.id)) found = current.id;
    current = current.parent === undefined ? undefined : groups.get(current.parent);
  }
  return found;
}

// ---- layout -------------------------------------------------------------------------------------

/** Gaps of the auto-layout: `rank` between columns leaves room for an edge's shape label (`[N, 16, 5, 5]`). */
export const layoutGaps = { rank: 130, node: 50, row: 100 };

/**
 * Left-to-right layered layout (dagre); `sizes` are measured node sizes where known. A long chain (LeNet: 15 ranks)
 * would be one row far wider than the window, so its ranks wrap into rows, read left to right then down, about 7:5
 * overall, so a fitted view stays readable. A group is never split across rows (its box would cover the rows
 * between): rows get longer until every group fits in one.
 */
export function autoLayout(project: Project, sizes: ReadonlyMap<string, { width: number; height: number }> = new Map()): Project {
  const graph = new graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: layoutGaps.node, ranksep: layoutGaps.rank, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of project.graph.nodes) {
    const size = sizes.get(node.id) ?? nodeSize;
    graph.setNode(node.id, { width: size.width, height: size.height });
  }
  for (const edge of project.graph.edges) {
    if (graph.hasNode(edge.source.node) && graph.hasNode(edge.target.node)) graph.setEdge(edge.source.node, edge.target.node);
  }
  layout(graph);
  type Laid = { id: string; x: number; y: number; width: number; height: number };
  const laid: Laid[] = [];
  for (const node of project.graph.nodes) {
    const box = graph.node(node.id) as { x: number; y: number; width: number; height: number } | undefined;
    if (box !== undefined) laid.push({ id: node.id, x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height });
  }
  const positions = new Map<string, Point>();
  // Every group a node is in, directly or through nested groups.
  const parents = new Map(project.graph.groups.map((group) => [group.id, group.parent]));
  const memberOf = new Map<string, string[]>();
  for (const node of project.graph.nodes) {
    const chain: string[] = [];
    for (let group = node.group; group !== undefined && !chain.includes(group); group = parents.get(group)) chain.push(group);
    memberOf.set(node.id, chain);
  }
  for (const item of wrapRanks(laid, (id) => memberOf.get(id) ?? [])) positions.set(item.id, { x: Math.round(item.x), y: Math.round(item.y) });
  return moveNodes(project, positions);
}

/** Folds the columns (ranks) of a left-to-right layout into rows when that brings it nearer 16:10. */
function wrapRanks<T extends { id: string; x: number; y: number; width: number; height: number }>(laid: readonly T[], groupsOf: (id: string) => readonly string[]): T[] {
  if (laid.length === 0) return [...laid];
  // Ranks: nodes whose left edges line up (dagre centres each rank on one x).
  const ranks: T[][] = [];
  for (const item of [...laid].sort((a, b) => a.x + a.width / 2 - (b.x + b.width / 2))) {
    const last = ranks[ranks.length - 1];
    const first = last?.[0];
    if (last !== undefined && first !== undefined && Math.abs(first.x + first.width / 2 - (item.x + item.width / 2)) < 1) last.push(item);
    else ranks.push([item]);
  }
  const top = Math.min(...laid.map((item) => item.y));
  const height = Math.max(...laid.map((item) => item.y + item.height)) - top;
  const columnWidth = Math.max(...laid.map((item) => item.width)) + layoutGaps.rank;
  const rowHeight = height + layoutGaps.row;
  // Columns per row so that width ≈ 1.4 × height (the canvas between palette and inspector): cols · columnWidth = 1.4 · (ranks / cols) · rowHeight.
  let columns = Math.max(4, Math.ceil(Math.sqrt((1.4 * ranks.length * rowHeight) / columnWidth)));
  const splitsGroup = (count: number): boolean => {
    const rowOf = new Map<string, number>();
    return ranks.some((rank, index) =>
      rank.some((item) =>
        groupsOf(item.id).some((group) => {
          const row = Math.floor(index / count);
          if ((rowOf.get(group) ?? row) !== row) return true;
          rowOf.set(group, row);
          return false;
        }),
      ),
    );
  };
  while (columns < ranks.length && splitsGroup(columns)) columns += 1;
  if (ranks.length <= columns + 1) return [...laid];
  const result: T[] = [];
  ranks.forEach((rank, index) => {
    const row = Math.floor(index / columns);
    const column = index % columns;
    const rankLeft = Math.min(...rank.map((item) => item.x));
    for (const item of rank) result.push({ ...item, x: column * columnWidth + (item.x - rankLeft), y: row * rowHeight + (item.y - top) });
  });
  return result;
}
