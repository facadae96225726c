// The graph canvas: an @xyflow/react surface with background grid, zoom controls and minimap.
import { Background, Controls, MiniMap, ReactFlow, type Edge, type Node } from '@xyflow/react';

export interface CanvasProps {
  nodes: Node[];
  edges: Edge[];
}

export function Canvas({ nodes, edges }: CanvasProps) {
  return (
    <section className="canvas" aria-label="Canvas">
      <ReactFlow nodes={nodes} edges={edges} colorMode="system" fitView proOptions={{ hideAttribution: true }}>
        <Background gap={20} />
        <Controls position="bottom-left" />
        <MiniMap position="bottom-right" pannable zoomable ariaLabel="Canvas overview" />
      </ReactFlow>
      {nodes.length === 0 && (
        <div className="canvas-hint" aria-hidden="true">
          Drag layers from the palette to start a network
        </div>
      )}
    </section>
  );
}
