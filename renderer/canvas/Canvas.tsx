// The graph canvas: project nodes and edges on @xyflow/react, with shapes on edges, connection checks and drop-to-add.
import {
  Background,
  BackgroundVariant,
  Controls,
  ReactFlow,
  useConnection,
  useNodesInitialized,
  useReactFlow,
  useStore,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type IsValidConnection,
  type Node,
  type NodeChange,
  type ReactFlowInstance,
  type Viewport,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MutableRefObject } from 'react';
import type { GraphAnalysis, GraphError, Project } from '../../shared/graph';
import { categories, formatShape, layerSpec } from '../../shared/layers';
import { paletteDragType } from '../palette/Palette';
import type { Selection } from '../store/editor';
import { addNode, checkConnection, collapsedAncestor, connect, moveNodes, nodeSize, type ConnectionCheck, type Endpoint, type Point } from '../store/graphOps';
import { GroupNode, LayerNode, type GroupFlowNode, type LayerFlowNode, type LayerNodeData } from './LayerNode';
import { formatCount, keyParams, nodeWeights, outputText, parameterCount } from './nodeView';
import { Overview } from './Overview';
import './canvas.css';

export type Sizes = Map<string, { width: number; height: number }>;
export interface FitRequest {
  count: number;
  /** a saved view to show instead of fitting */
  viewport: Viewport | null;
}
export interface NoticeAction {
  label: string;
  run: () => void;
}

export interface CanvasProps {
  project: Project;
  analysis: GraphAnalysis;
  errors: ReadonlyMap<string, GraphError[]>;
  selection: Selection;
  snap: boolean;
  colorMode: 'light' | 'dark';
  /** measured node sizes, shared with auto-layout */
  sizes: MutableRefObject<Sizes>;
  onEdit: (edit: (project: Project) => Project, select?: Selection) => void;
  onDrag: (edit: (project: Project) => Project) => void;
  onDragEnd: () => void;
  onSelect: (selection: Selection) => void;
  /** a notice; `action` is a button on it (a refused connection's fix, e.g. "Insert Flatten") */
  onNotice: (text: string, kind: 'info' | 'error', action?: NoticeAction) => void;
  onInit: (instance: ReactFlowInstance) => void;
  /** a new request fits the graph in view once its nodes are measured (after a load or auto-layout), or shows its viewport */
  fitRequest: FitRequest;
}

const nodeTypes = { layer: LayerNode, 'group-box': GroupNode };
// NOTE: props of <ReactFlow> are constants: xyflow copies each into its store, and a new array or object every
// render (defaultEdgeOptions above all) re-renders every edge on every drag frame.
const snapGrid: [number, number] = [20, 20];
const multiSelectionKeys = ['Shift', 'Meta', 'Control'];
const proOptions = { hideAttribution: true };
const arrowDeltas: Readonly<Record<string, Point>> = { ArrowLeft: { x: -1, y: 0 }, ArrowRight: { x: 1, y: 0 }, ArrowUp: { x: 0, y: -1 }, ArrowDown: { x: 0, y: 1 } };
const groupPadding = 20;
const groupLabel = 30;

type FlowNode = LayerFlowNode | GroupFlowNode;

/** The nodes' ids and group memberships, as one string (the display map changes only with it). */
function memberKey(project: Project): string {
  return project.graph.nodes.map((node) => `${node.id}:${node.group ?? ''}`).join('|');
}

/** Per-node display data, reused while the node and its analysis are unchanged (so drags do not re-render every node). */
function useNodeData(project: Project, analysis: GraphAnalysis, errors: ReadonlyMap<string, GraphError[]>): Map<string, LayerNodeData> {
  const cache = useRef(new Map<string, { key: unknown[]; data: LayerNodeData }>());
  return useMemo(() => {
    const result = new Map<string, LayerNodeData>();
    const next = new Map<string, { key: unknown[]; data: LayerNodeData }>();
    for (const node of project.graph.nodes) {
      const info = analysis.nodes.get(node.id);
      const nodeErrors = errors.get(node.id);
      const name = analysis.paths.get(node.id) ?? node.name ?? node.id;
      const key = [node.layer, node.params, node.pinned, info, nodeErrors, name];
      const cached = cache.current.get(node.id);
      if (cached !== undefined && cached.key.every((item, index) => item === key[index])) {
        next.set(node.id, cached);
        result.set(node.id, cached.data);
        continue;
      }
      const spec = layerSpec(node.layer);
      const count = parameterCount(nodeWeights(info));
      const data: LayerNodeData = {
        title: spec?.title ?? node.layer,
        name,
        category: spec?.category ?? 'unknown',
        keyParams: spec === undefined ? '' : keyParams(spec, info?.params ?? node.params),
        output: outputText(info),
        params: count === null ? null : count === 0 ? '' : `${formatCount(count)} params`,
        errors: (nodeErrors ?? []).map((error) => error.message),
        blocked: info?.status === 'blocked',
        inputs: (spec?.inputs ?? []).map((port) => ({ name: port.name, doc: port.doc, optional: port.optional === true })),
        outputs: (spec?.outputs ?? []).map((port) => ({ name: port.name, doc: port.doc })),
      };
      next.set(node.id, { key, data });
      result.set(node.id, data);
    }
    cache.current = next;
    return result;
  }, [project.graph.nodes, analysis, errors]);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where a group shows: an open group's box frames its members with a label bar above; a collapsed group sits where
 * its first members were (not on the label bar, where it would cover an enclosing group's toggle).
 */
function groupPosition(box: Box, collapsed: boolean): Point {
  return collapsed ? { x: box.x, y: box.y } : { x: box.x - groupPadding, y: box.y - groupPadding - groupLabel };
}

function groupBoxes(project: Project, sizes: Sizes): Map<string, Box> {
  const boxes = new Map<string, Box>();
  const parents = new Map(project.graph.groups.map((group) => [group.id, group.parent]));
  const extend = (groupId: string, box: Box): void => {
    const seen = new Set<string>();
    let current: string | undefined = groupId;
    while (current !== undefined && !seen.has(current)) {
      seen.add(current);
      const old = boxes.get(current);
      if (old === undefined) boxes.set(current, { ...box });
      else {
        const x = Math.min(old.x, box.x);
        const y = Math.min(old.y, box.y);
        boxes.set(current, { x, y, width: Math.max(old.x + old.width, box.x + box.width) - x, height: Math.max(old.y + old.height, box.y + box.height) - y });
      }
      current = parents.get(current);
    }
  };
  for (const node of project.graph.nodes) {
    if (node.group === undefined) continue;
    const size = sizes.get(node.id) ?? nodeSize;
    extend(node.group, { x: node.position.x, y: node.position.y, width: size.width, height: size.height });
  }
  // An enclosing group frames its inner groups' boxes and label bars too (deepest first), so labels never overlap.
  const depth = (id: string): number => {
    let count = 0;
    for (let current = parents.get(id); current !== undefined && count < 64; current = parents.get(current)) count += 1;
    return count;
  };
  for (const group of [...project.graph.groups].sort((a, b) => depth(b.id) - depth(a.id))) {
    const box = boxes.get(group.id);
    if (group.parent === undefined || box === undefined) continue;
    extend(group.parent, { x: box.x - groupPadding, y: box.y - groupPadding - groupLabel, width: box.width + groupPadding * 2, height: box.height + groupPadding * 2 + groupLabel });
  }
  return boxes;
}

export function Canvas(props: CanvasProps) {
  const { project, analysis, errors, selection, sizes, onEdit, onDrag, onDragEnd, onSelect, onNotice } = props;
  // NOTE: while a node is dragged its positions live here, not in the project: the app (inspector, summary, training
  // dock) does not re-render every frame, and the move reaches the project (one undo step) when the drag ends.
  const [overlay, setOverlay] = useState<ReadonlyMap<string, Point> | null>(null);
  const overlayRef = useRef(overlay);
  overlayRef.current = overlay;
  const view = useMemo(() => (overlay === null ? project : moveNodes(project, overlay)), [project, overlay]);
  const [measureTick, setMeasureTick] = useState(0);
  const instance = useRef<ReactFlowInstance | null>(null);
  const nodeData = useNodeData(project, analysis, errors);
  const layerNodeCache = useRef(new Map<string, LayerFlowNode>());
  const edgeCache = useRef(new Map<string, Edge>());
  const toggleGroup = useCallback(
    (id: string) => onEdit((current) => ({ ...current, ui: { ...current.ui, collapsedGroups: current.ui.collapsedGroups.includes(id) ? current.ui.collapsedGroups.filter((item) => item !== id) : [...current.ui.collapsedGroups, id] } })),
    [onEdit],
  );

  // node id → the id it shows as (itself or a collapsed group); positions do not matter, so a drag keeps it.
  const displayOf = useMemo(() => {
    const display = new Map<string, string>();
    for (const node of project.graph.nodes) display.set(node.id, collapsedAncestor(project, node) ?? node.id);
    return display;
  }, [project.graph.groups, project.ui.collapsedGroups, memberKey(project)]);

  const { nodes, boxes } = useMemo(() => {
    const project = view;
    const selectedNodes = new Set(selection.nodes);
    const selectedGroups = new Set(selection.groups);
    const display = displayOf;
    const flow: FlowNode[] = [];
    const boxMap = groupBoxes(project, sizes.current);
    const groupErrors = new Map<string, number>();
    for (const node of project.graph.nodes) {
      const hiddenIn = display.get(node.id) ?? node.id;
      if (hiddenIn !== node.id) groupErrors.set(hiddenIn, (groupErrors.get(hiddenIn) ?? 0) + (errors.get(node.id)?.length ?? 0));
    }
    const collapsed = new Set(project.ui.collapsedGroups);
    for (const group of project.graph.groups) {
      const box = boxMap.get(group.id);
      if (box === undefined) continue;
      // Hidden when an enclosing group is collapsed.
      let parent = group.parent;
      let hidden = false;
      const seen = new Set<string>();
      while (parent !== undefined && !seen.has(parent)) {
        seen.add(parent);
        if (collapsed.has(parent)) hidden = true;
        parent = project.graph.groups.find((item) => item.id === parent)?.parent;
      }
      if (hidden) continue;
      const isCollapsed = collapsed.has(group.id);
      // every layer inside, nested groups' too
      const count = project.graph.nodes.filter((node) => {
        for (let current = node.group, depth = 0; current !== undefined && depth < 64; current = project.graph.groups.find((item) => item.id === current)?.parent, depth += 1) if (current === group.id) return true;
        return false;
      }).length;
      const width = box.width + groupPadding * 2;
      const height = box.height + groupPadding * 2 + groupLabel;
      const measured = sizes.current.get(group.id);
      flow.push({
        id: group.id,
        type: 'group-box',
        position: groupPosition(box, isCollapsed),
        data: { name: group.name, kind: group.kind, collapsed: isCollapsed, count, errors: groupErrors.get(group.id) ?? 0, width, height, onToggle: toggleGroup },
        selected: selectedGroups.has(group.id),
        // NOTE: xyflow lifts a selected node by 1000; an open group's box must stay under its members even then.
        zIndex: isCollapsed ? 1 : -2000,
        ariaLabel: `Group ${group.name}`,
        ...(isCollapsed ? {} : { width, height }),
        ...(measured !== undefined ? { measured } : {}),
      });
    }
    const reuse = new Map<string, LayerFlowNode>();
    for (const node of project.graph.nodes) {
      const data = nodeData.get(node.id);
      if (data === undefined) continue;
      const measured = sizes.current.get(node.id);
      const selected = selectedNodes.has(node.id);
      const hidden = display.get(node.id) !== node.id;
      // NOTE: xyflow rebuilds (and re-renders) every node whose object changed; a drag must change one object only.
      const old = layerNodeCache.current.get(node.id);
      const same = old !== undefined && old.position === node.position && old.data === data && old.selected === selected && old.hidden === hidden && old.measured === measured;
      const next: LayerFlowNode = same
        ? old
        : {
            id: node.id,
            type: 'layer',
            position: node.position,
            data,
            selected,
            hidden,
            ariaLabel: `${data.title} ${data.name}`,
            ...(measured !== undefined ? { measured } : {}),
          };
      reuse.set(node.id, next);
      flow.push(next);
    }
    layerNodeCache.current = reuse;
    return { nodes: flow, boxes: boxMap };
    // measureTick: new sizes change group boxes and must reach xyflow
  }, [view, displayOf, nodeData, selection, errors, toggleGroup, measureTick, sizes]);

  const edges = useMemo(() => {
    const selectedEdges = new Set(selection.edges);
    const errorEdges = new Set(analysis.errors.map((error) => error.edge).filter((id): id is string => id !== undefined));
    const flow: Edge[] = [];
    const reuse = new Map<string, Edge>();
    for (const edge of project.graph.edges) {
      const source = displayOf.get(edge.source.node);
      const target = displayOf.get(edge.target.node);
      if (source === undefined || target === undefined || source === target) continue;
      const info = analysis.nodes.get(edge.source.node)?.outputs[edge.source.port];
      const label = info === undefined ? undefined : formatShape(info.shape);
      const selected = selectedEdges.has(edge.id);
      const error = errorEdges.has(edge.id);
      const old = edgeCache.current.get(edge.id);
      if (old !== undefined && old.source === source && old.target === target && old.label === label && old.selected === selected && (old.className === 'edge-error') === error && old.data?.['edge'] === edge) {
        reuse.set(edge.id, old);
        flow.push(old);
        continue;
      }
      const next: Edge = {
        data: { edge },
        id: edge.id,
        source,
        target,
        sourceHandle: source === edge.source.node ? edge.source.port : 'out',
        targetHandle: target === edge.target.node ? edge.target.port : 'in',
        selected,
        ...(error ? { className: 'edge-error' } : {}),
        ariaLabel: `Edge from ${edge.source.node}.${edge.source.port} to ${edge.target.node}.${edge.target.port}${label !== undefined ? `, ${label}` : ''}`,
        ...(label !== undefined ? { label, labelBgPadding: [4, 2] as [number, number], labelBgBorderRadius: 4, labelShowBg: true } : {}),
      };
      reuse.set(edge.id, next);
      flow.push(next);
    }
    edgeCache.current = reuse;
    return flow;
  }, [project.graph.edges, analysis, selection.edges, displayOf]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      let measured = false;
      const positions = new Map<string, Point>();
      let dragging = false;
      let dragEnded = false;
      let selectionChanged = false;
      const nodeSel = new Set(selection.nodes);
      const groupSel = new Set(selection.groups);
      const current = view;
      const groupIds = new Set(current.graph.groups.map((group) => group.id));
      for (const change of changes) {
        if (change.type === 'dimensions' && change.dimensions !== undefined) {
          const old = sizes.current.get(change.id);
          if (old === undefined || old.width !== change.dimensions.width || old.height !== change.dimensions.height) {
            sizes.current.set(change.id, change.dimensions);
            measured = true;
          }
        } else if (change.type === 'position') {
          if (change.position !== undefined) {
            if (groupIds.has(change.id)) {
              // Moving a group box moves its members by the same amount.
              const box = boxes.get(change.id);
              if (box !== undefined) {
                const at = groupPosition(box, current.ui.collapsedGroups.includes(change.id));
                const dx = change.position.x - at.x;
                const dy = change.position.y - at.y;
                const members = new Set([change.id]);
                for (const group of current.graph.groups) if (group.parent !== undefined && members.has(group.parent)) members.add(group.id);
                for (const node of current.graph.nodes) {
                  if (node.group !== undefined && members.has(node.group) && !positions.has(node.id)) positions.set(node.id, { x: node.position.x + dx, y: node.position.y + dy });
                }
              }
            } else positions.set(change.id, change.position);
          }
          if (change.dragging === true) dragging = true;
          if (change.dragging === false) dragEnded = true;
        } else if (change.type === 'select') {
          const target = groupIds.has(change.id) ? groupSel : nodeSel;
          if (change.selected) target.add(change.id);
          else target.delete(change.id);
          selectionChanged = true;
        }
      }
      if (measured) setMeasureTick((tick) => tick + 1);
      if (positions.size > 0 && dragging && !dragEnded) {
        const next = new Map(overlayRef.current ?? []);
        for (const [id, point] of positions) next.set(id, point);
        overlayRef.current = next;
        setOverlay(next);
      } else if (positions.size > 0 || dragEnded) {
        // The drag ended (or a keyboard move): the positions reach the project as one undo step.
        const moved = new Map(overlayRef.current ?? []);
        for (const [id, point] of positions) moved.set(id, point);
        overlayRef.current = null;
        setOverlay(null);
        if (moved.size > 0) onDrag((project) => moveNodes(project, moved));
        onDragEnd();
      }
      if (selectionChanged) onSelect({ nodes: [...nodeSel], edges: selection.edges, groups: [...groupSel] });
    },
    [selection, view, boxes, sizes, onDrag, onDragEnd, onSelect],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const edgeSel = new Set(selection.edges);
      let changed = false;
      for (const change of changes) {
        if (change.type !== 'select') continue;
        if (change.selected) edgeSel.add(change.id);
        else edgeSel.delete(change.id);
        changed = true;
      }
      if (changed) onSelect({ ...selection, edges: [...edgeSel] });
    },
    [selection, onSelect],
  );

  const check = useCallback(
    (connection: Connection | Edge): ConnectionCheck | null => {
      if (connection.sourceHandle == null || connection.targetHandle == null) return null;
      if (!analysis.nodes.has(connection.source) && !project.graph.nodes.some((node) => node.id === connection.source)) return { ok: false, message: 'Collapsed groups cannot be connected; expand the group first.' };
      if (!project.graph.nodes.some((node) => node.id === connection.target)) return { ok: false, message: 'Collapsed groups cannot be connected; expand the group first.' };
      return checkConnection(project, analysis, { node: connection.source, port: connection.sourceHandle }, { node: connection.target, port: connection.targetHandle });
    },
    [project, analysis],
  );

  const refuse = useCallback(
    (result: Extract<ConnectionCheck, { ok: false }>) => {
      const fix = result.fix;
      onNotice(result.message, 'error', fix === undefined ? undefined : { label: fix.label, run: () => onEdit(fix.apply) });
    },
    [onEdit, onNotice],
  );

  const isValidConnection: IsValidConnection = useCallback((connection) => check(connection)?.ok ?? false, [check]);

  const onConnect = useCallback(
    (connection: Connection) => {
      const result = check(connection);
      if (result === null || connection.sourceHandle == null || connection.targetHandle == null) return;
      if (!result.ok) {
        refuse(result);
        return;
      }
      const source: Endpoint = { node: connection.source, port: connection.sourceHandle };
      const target: Endpoint = { node: connection.target, port: connection.targetHandle };
      onEdit((current) => connect(current, source, target));
      if (result.replaces !== null) onNotice(result.message, 'info');
    },
    [check, onEdit, onNotice, refuse],
  );

  const onConnectEnd = useCallback(
    (_event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid !== false || state.fromHandle === null || state.toHandle === null) return;
      const [from, to] = state.fromHandle.type === 'source' ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
      const result = check({ source: from.nodeId, sourceHandle: from.id ?? null, target: to.nodeId, targetHandle: to.id ?? null });
      if (result !== null && !result.ok) refuse(result);
    },
    [check, refuse],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(paletteDragType)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const layer = event.dataTransfer.getData(paletteDragType);
      if (layer === '' || instance.current === null) return;
      event.preventDefault();
      const point = instance.current.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const position = { x: point.x - nodeSize.width / 2, y: point.y - nodeSize.height / 2 };
      const added = addNode(project, layer, position);
      onEdit((current) => (current === project ? added.project : addNode(current, layer, position).project), { nodes: [added.id], edges: [], groups: [] });
    },
    [onEdit, project],
  );

  const onInit = useCallback(
    (flow: ReactFlowInstance<FlowNode, Edge>) => {
      const general = flow as unknown as ReactFlowInstance;
      instance.current = general;
      props.onInit(general);
    },
    [],
  );

  // Arrow keys move the selected nodes (and selected groups' members): 10 px, 50 with Shift, a grid step when snapping.
  // A focused node handles its own arrows (xyflow), so those are left to it.
  const keyState = useRef({ project, selection, snap: props.snap });
  keyState.current = { project, selection, snap: props.snap };
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const delta = arrowDeltas[event.key];
      if (delta === undefined || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      const target = event.target;
      if (target instanceof HTMLElement && (target.isContentEditable || target.closest('input, textarea, select, .react-flow__node, .react-flow__edge, .palette, .inspector, .modal, [role="dialog"], .training-dock') !== null)) return;
      const { project: current, selection: selected, snap } = keyState.current;
      const groups = new Set(selected.groups);
      for (let grown = true; grown; ) {
        grown = false;
        for (const group of current.graph.groups) {
          if (group.parent === undefined || !groups.has(group.parent) || groups.has(group.id)) continue;
          groups.add(group.id);
          grown = true;
        }
      }
      const ids = new Set([...selected.nodes, ...current.graph.nodes.filter((node) => node.group !== undefined && groups.has(node.group)).map((node) => node.id)]);
      if (ids.size === 0) return;
      event.preventDefault();
      const step = snap ? 20 : event.shiftKey ? 50 : 10;
      const positions = new Map<string, Point>();
      for (const node of current.graph.nodes) if (ids.has(node.id)) positions.set(node.id, { x: node.position.x + delta.x * step, y: node.position.y + delta.y * step });
      onEdit((latest) => moveNodes(latest, positions));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onEdit]);

  useEffect(() => {
    // Drop sizes of nodes that no longer exist.
    const ids = new Set([...project.graph.nodes.map((node) => node.id), ...project.graph.groups.map((group) => group.id)]);
    for (const id of sizes.current.keys()) if (!ids.has(id)) sizes.current.delete(id);
  }, [project.graph.nodes, project.graph.groups, sizes]);

  return (
    <section className="canvas" aria-label="Canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<FlowNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onInit={onInit}
        colorMode={props.colorMode}
        snapToGrid={props.snap}
        snapGrid={snapGrid}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={multiSelectionKeys}
        connectionRadius={28}
        minZoom={0.1}
        maxZoom={2.5}
        proOptions={proOptions}
        aria-label="Network graph"
      >
        <CanvasBackground snap={props.snap} />
        <Controls position="bottom-left" aria-label="Zoom controls" />
        <Overview label="Canvas overview" colorOf={miniMapColor} />
        <ConnectionHint check={check} />
        <FitOnRequest request={props.fitRequest} empty={project.graph.nodes.length === 0} />
      </ReactFlow>
      {project.graph.nodes.length === 0 && (
        <div className="canvas-hint" aria-hidden="true">
          Drag layers from the palette, or double-click one to add it here
        </div>
      )}
    </section>
  );
}

/**
 * The dot (or snap-grid line) background, from 40% zoom up: further out the 20 px grid is a few pixels apart, reads as
 * noise, and repainting a few hundred thousand dots on every pan frame is most of the frame.
 */
function CanvasBackground({ snap }: { snap: boolean }) {
  const near = useStore((state) => state.transform[2] >= 0.4);
  if (!near) return null;
  return <Background variant={snap ? BackgroundVariant.Lines : BackgroundVariant.Dots} gap={20} />;
}

/** Fits the view after a request, as soon as xyflow has measured every node. */
function FitOnRequest({ request, empty }: { request: FitRequest; empty: boolean }) {
  const initialized = useNodesInitialized();
  const { fitView, setViewport } = useReactFlow();
  const done = useRef(-1);
  useEffect(() => {
    if (empty) done.current = request.count; // nothing to fit; a later first node must not move the view
    if (!initialized || done.current === request.count) return;
    done.current = request.count;
    if (request.viewport !== null) void setViewport(request.viewport);
    else void fitView({ padding: 0.12, maxZoom: 1.1 });
  }, [initialized, request, fitView, setViewport, empty]);
  return null;
}

const categoryColor = (category: string): string => `var(--cat-${categories.includes(category as (typeof categories)[number]) ? category : 'unknown'})`;

function miniMapColor(node: Node): string {
  if (node.type === 'group-box') return 'transparent';
  const data = node.data as Partial<LayerNodeData>;
  return categoryColor(data.category ?? 'unknown');
}

/** While a connection is dragged over a port: why it would be refused (or what it replaces), next to the cursor. */
function ConnectionHint({ check }: { check: (connection: Connection) => ConnectionCheck | null }) {
  const connection = useConnection();
  const [pointer, setPointer] = useState<{ x: number; y: number } | null>(null);
  useEffect(() => {
    if (!connection.inProgress) return;
    const move = (event: PointerEvent | MouseEvent): void => setPointer({ x: event.clientX, y: event.clientY });
    window.addEventListener('pointermove', move);
    window.addEventListener('mousemove', move);
    return () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('mousemove', move);
    };
  }, [connection.inProgress]);
  if (!connection.inProgress || connection.toHandle === null || pointer === null) return null;
  const [from, to] = connection.fromHandle.type === 'source' ? [connection.fromHandle, connection.toHandle] : [connection.toHandle, connection.fromHandle];
  const result = check({ source: from.nodeId, sourceHandle: from.id ?? null, target: to.nodeId, targetHandle: to.id ?? null });
  if (result === null || (result.ok && result.message === '')) return null;
  return (
    <div className={`connection-hint ${result.ok ? 'ok' : 'refused'}`} role="tooltip" style={{ left: pointer.x + 14, top: pointer.y + 14 }}>
      {result.message}
    </div>
  );
}
