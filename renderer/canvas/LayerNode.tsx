// A layer node on the canvas: category colour, type + key params, module name, output shape, parameter count, error badge.
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { NodeHealthBadge } from '../runs/Training';

export type LayerNodeData = {
  title: string;
  /** PyTorch module path ("conv1", "features.0") */
  name: string;
  category: string;
  keyParams: string;
  output: string;
  /** formatted parameter count, '' when none, null while unknown */
  params: string | null;
  errors: readonly string[];
  blocked: boolean;
  inputs: readonly { name: string; doc: string; optional: boolean }[];
  outputs: readonly { name: string; doc: string }[];
};
export type LayerFlowNode = Node<LayerNodeData, 'layer'>;

function handleTop(index: number, count: number): string {
  return `${((index + 1) / (count + 1)) * 100}%`;
}

export const LayerNode = memo(function LayerNode({ id, data, selected }: NodeProps<LayerFlowNode>) {
  const hasError = data.errors.length > 0;
  const label = `${data.title} ${data.name}${hasError ? `, ${data.errors.length} error${data.errors.length > 1 ? 's' : ''}` : ''}`;
  return (
    <div className={`layer-node cat-${data.category}${hasError ? ' has-error' : ''}${selected ? ' is-selected' : ''}`} aria-label={label} title={hasError ? data.errors.join('\n') : undefined}>
      {data.inputs.map((port, index) => (
        <Handle
          key={port.name}
          type="target"
          position={Position.Left}
          id={port.name}
          style={{ top: handleTop(index, data.inputs.length) }}
          className={port.optional ? 'port optional' : 'port'}
          aria-label={`${data.name} input ${port.name}`}
          title={`${port.name}: ${port.doc}`}
        >
          {data.inputs.length > 1 && <span className="port-label port-label-in">{port.name}</span>}
        </Handle>
      ))}
      <div className="layer-node-head">
        <span className="layer-node-title">{data.title}</span>
        {data.keyParams !== '' && <span className="layer-node-params">{data.keyParams}</span>}
        {hasError && (
          <span className="error-badge" role="img" aria-label={`${data.errors.length} error${data.errors.length > 1 ? 's' : ''}`}>
            !
          </span>
        )}
      </div>
      <NodeHealthBadge nodeId={id} />
      <div className="layer-node-name">{data.name}</div>
      <div className="layer-node-foot">
        <span className="layer-node-shape" data-testid="output-shape">
          {data.output !== '' ? data.output : data.blocked ? '…' : ''}
        </span>
        {data.params !== null && data.params !== '' && <span className="layer-node-count">{data.params}</span>}
      </div>
      {data.outputs.map((port, index) => (
        <Handle
          key={port.name}
          type="source"
          position={Position.Right}
          id={port.name}
          style={{ top: handleTop(index, data.outputs.length) }}
          className="port"
          aria-label={`${data.name} output ${port.name}`}
          title={`${port.name}: ${port.doc}`}
        >
          {data.outputs.length > 1 && <span className="port-label port-label-out">{port.name}</span>}
        </Handle>
      ))}
    </div>
  );
});

export type GroupNodeData = {
  name: string;
  kind: string;
  collapsed: boolean;
  count: number;
  errors: number;
  width: number;
  height: number;
  onToggle: (id: string) => void;
};
export type GroupFlowNode = Node<GroupNodeData, 'group-box'>;

/** A group (submodule): a labelled box behind its members, or one compact node when collapsed. */
export const GroupNode = memo(function GroupNode({ id, data, selected }: NodeProps<GroupFlowNode>) {
  const toggle = (
    <button type="button" className="group-toggle nodrag" aria-label={`${data.collapsed ? 'Expand' : 'Collapse'} group ${data.name}`} aria-expanded={!data.collapsed} onClick={() => data.onToggle(id)}>
      {data.collapsed ? '▸' : '▾'}
    </button>
  );
  if (data.collapsed) {
    return (
      <div className={`group-node collapsed${selected ? ' is-selected' : ''}${data.errors > 0 ? ' has-error' : ''}`} aria-label={`Group ${data.name}, collapsed`}>
        <Handle type="target" position={Position.Left} id="in" className="port" isConnectable={false} />
        <div className="layer-node-head">
          {toggle}
          <span className="layer-node-title">{data.name}</span>
          {data.errors > 0 && <span className="error-badge" role="img" aria-label={`${data.errors} errors`}>!</span>}
        </div>
        <div className="layer-node-name">
          {data.kind === 'sequential' ? 'nn.Sequential' : 'nn.Module'} · {data.count} layers
        </div>
        <Handle type="source" position={Position.Right} id="out" className="port" isConnectable={false} />
      </div>
    );
  }
  return (
    <div className={`group-box${selected ? ' is-selected' : ''}`} style={{ width: data.width, height: data.height }} aria-label={`Group ${data.name}`}>
      <div className="group-box-label">
        {toggle}
        <span>{data.name}</span>
        <span className="group-box-kind">{data.kind === 'sequential' ? 'Sequential' : 'Module'}</span>
      </div>
    </div>
  );
});
