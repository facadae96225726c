// The canvas overview (minimap): every node as a coloured box, the visible area as a frame; click or drag to pan.
// NOTE: xyflow's <MiniMap> fits its view box to the union of the graph and the visible area, so every pan frame
// re-scaled and repainted all of it (about 7 ms a frame at 300 nodes). Here the boxes are drawn in the graph's own
// bounds and re-render only when nodes change; the visible-area frame is one element moved with a transform.
import { Panel, useReactFlow, useStore, type Node, type ReactFlowState } from '@xyflow/react';
import { memo, useMemo, useRef, type PointerEvent } from 'react';
import { nodeSize } from '../store/graphOps';

const width = 200;
const height = 150;
const padding = 40;

interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

const nodesSelector = (state: ReactFlowState): Node[] => state.nodes;
const viewSelector = (state: ReactFlowState): string => `${state.transform[0]},${state.transform[1]},${state.transform[2]},${state.width},${state.height}`;

function graphBounds(nodes: readonly Node[]): Bounds | null {
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const node of nodes) {
    if (node.hidden === true) continue;
    const size = node.measured ?? nodeSize;
    left = Math.min(left, node.position.x);
    top = Math.min(top, node.position.y);
    right = Math.max(right, node.position.x + (size.width ?? nodeSize.width));
    bottom = Math.max(bottom, node.position.y + (size.height ?? nodeSize.height));
  }
  if (!Number.isFinite(left)) return null;
  return { x: left - padding, y: top - padding, width: right - left + padding * 2, height: bottom - top + padding * 2 };
}

/** Graph → overview pixels: one scale, centred. */
function fit(bounds: Bounds): { scale: number; dx: number; dy: number } {
  const scale = Math.min(width / bounds.width, height / bounds.height);
  return { scale, dx: (width - bounds.width * scale) / 2 - bounds.x * scale, dy: (height - bounds.height * scale) / 2 - bounds.y * scale };
}

/** The SVG view box that shows `bounds` as fit() maps it. */
function viewBox(bounds: Bounds): string {
  const { scale } = fit(bounds);
  return `${bounds.x - (width / scale - bounds.width) / 2} ${bounds.y - (height / scale - bounds.height) / 2} ${width / scale} ${height / scale}`;
}

const Boxes = memo(function Boxes({ nodes, colorOf }: { nodes: readonly Node[]; colorOf: (node: Node) => string }) {
  return (
    <>
      {nodes.map((node) => {
        const collapsedGroup = node.type === 'group-box' && (node.data as { collapsed?: boolean }).collapsed === true;
        if (node.hidden === true || (node.type === 'group-box' && !collapsedGroup)) return null;
        const size = node.measured ?? nodeSize;
        const fill = collapsedGroup ? 'var(--accent)' : colorOf(node);
        return <rect key={node.id} x={node.position.x} y={node.position.y} width={size.width ?? nodeSize.width} height={size.height ?? nodeSize.height} rx={6} style={{ fill }} />;
      })}
    </>
  );
});

/** The visible area, clipped to the overview. */
function ViewFrame({ bounds }: { bounds: Bounds }) {
  const view = useStore(viewSelector);
  const [tx, ty, zoom, viewWidth, viewHeight] = view.split(',').map(Number) as [number, number, number, number, number];
  const { scale, dx, dy } = fit(bounds);
  const left = Math.max(0, (-tx / zoom) * scale + dx);
  const top = Math.max(0, (-ty / zoom) * scale + dy);
  const right = Math.min(width, ((viewWidth - tx) / zoom) * scale + dx);
  const bottom = Math.min(height, ((viewHeight - ty) / zoom) * scale + dy);
  if (right <= left || bottom <= top) return null;
  return <div className="overview-frame" style={{ width: right - left, height: bottom - top, transform: `translate(${left}px, ${top}px)` }} />;
}

export function Overview({ colorOf, label }: { colorOf: (node: Node) => string; label: string }) {
  const nodes = useStore(nodesSelector);
  const bounds = useMemo(() => graphBounds(nodes), [nodes]);
  const { setCenter, getZoom } = useReactFlow();
  const dragging = useRef(false);
  const panTo = (event: PointerEvent<HTMLDivElement>): void => {
    if (bounds === null) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const { scale, dx, dy } = fit(bounds);
    void setCenter((event.clientX - rect.left - dx) / scale, (event.clientY - rect.top - dy) / scale, { zoom: getZoom() });
  };
  return (
    <Panel position="bottom-right" className="react-flow__minimap overview" aria-label={label}>
      <div
        className="overview-surface"
        style={{ width, height }}
        onPointerDown={(event) => {
          dragging.current = true;
          event.currentTarget.setPointerCapture(event.pointerId);
          panTo(event);
        }}
        onPointerMove={(event) => dragging.current && panTo(event)}
        onPointerUp={() => (dragging.current = false)}
      >
        {bounds !== null && (
          <>
            <svg width={width} height={height} viewBox={viewBox(bounds)} aria-hidden="true">
              <Boxes nodes={nodes} colorOf={colorOf} />
            </svg>
            <ViewFrame bounds={bounds} />
          </>
        )}
      </div>
    </Panel>
  );
}
