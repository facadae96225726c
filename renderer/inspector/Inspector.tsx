// Inspector: a form generated from the selected node's spec, its errors with one-click fixes, shapes, weights, plot and docs.
import { useEffect, useId, useRef, useState } from 'react';
import { isSequentialRootMember, type Fix, type GraphAnalysis, type GraphError, type GraphNode, type Project } from '../../shared/graph';
import { formatShape, layerSpec, ParamReader, type LayerSpec, type ParamSpec, type ParamValue } from '../../shared/layers';
import { countElements, formatCount, nodeWeights } from '../canvas/nodeView';
import { categoryTitle } from '../palette/Palette';
import type { Selection } from '../store/editor';
import { applyFix, checkConnection, connect, fixLabel, renameGroup, renameNode, setParam, setRoot, toggleCollapsed, ungroup, unpinParam } from '../store/graphOps';
import { Markdown } from './Markdown';
import { describeParam, formatParam, parseParam } from './params';

export type Edit = (project: Project) => Project;

export interface InspectorProps {
  project: Project;
  analysis: GraphAnalysis;
  errors: ReadonlyMap<string, GraphError[]>;
  selection: Selection;
  onEdit: (edit: Edit, key?: string) => void;
  onGroup: () => void;
  onDelete: () => void;
}

export function Inspector(props: InspectorProps) {
  const { project, selection } = props;
  const count = selection.nodes.length + selection.groups.length;
  let body;
  if (selection.nodes.length === 1 && selection.groups.length === 0) {
    const node = project.graph.nodes.find((item) => item.id === selection.nodes[0]);
    body = node === undefined ? null : <NodeInspector key={node.id} node={node} {...props} />;
  } else if (selection.groups.length === 1 && selection.nodes.length === 0) {
    body = <GroupInspector key={selection.groups[0]} groupId={selection.groups[0] ?? ''} {...props} />;
  } else if (count > 1) {
    body = (
      <div className="inspector-section">
        <h3 className="inspector-heading">{count} items selected</h3>
        <div className="button-row">
          <button type="button" onClick={props.onGroup}>
            Group into submodule
          </button>
          <button type="button" className="danger" onClick={props.onDelete}>
            Delete
          </button>
        </div>
      </div>
    );
  } else {
    body = <ProjectInspector {...props} />;
  }
  return (
    <aside className="inspector" aria-label="Inspector">
      <h2 className="panel-title">Inspector</h2>
      <div className="inspector-scroll">{body}</div>
    </aside>
  );
}

function ErrorList({ errors, onEdit }: { errors: readonly GraphError[]; onEdit: (edit: Edit) => void }) {
  if (errors.length === 0) return null;
  return (
    <ul className="error-list" aria-label="Errors">
      {errors.map((error, index) => (
        <li key={`${error.code}-${index}`} className="error-item">
          <span className="error-code">{error.code}</span>
          <span className="error-message">{error.message}</span>
          {error.fixes.length > 0 && (
            <span className="button-row">
              {error.fixes.map((fix: Fix, fixIndex) => (
                <button key={fixIndex} type="button" className="fix-button" onClick={() => onEdit((current) => applyFix(current, fix))}>
                  {fixLabel(fix)}
                </button>
              ))}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

function ProjectInspector({ project, analysis, onEdit }: InspectorProps) {
  return (
    <>
      <div className="inspector-section">
        <h3 className="inspector-heading">Project</h3>
        <TextField label="Project name" value={project.name} onCommit={(name) => name !== '' && onEdit((current) => ({ ...current, name }), 'project-name')} />
        <label className="field">
          <span className="field-label">Description</span>
          <textarea
            aria-label="Description"
            value={project.description}
            rows={3}
            onChange={(event) => {
              const description = event.target.value;
              onEdit((current) => ({ ...current, description }), 'project-description');
            }}
          />
        </label>
        <label className="field">
          <span className="field-label">Model module</span>
          <select aria-label="Model module" value={project.graph.root?.kind ?? 'module'} onChange={(event) => onEdit((current) => setRoot(current, event.target.value === 'sequential' ? 'sequential' : 'module'))}>
            <option value="module">nn.Module: layers named fc1, conv1… (keys fc1.weight)</option>
            <option value="sequential">nn.Sequential: layers numbered 0, 1, 2… (keys 0.weight)</option>
          </select>
        </label>
        <p className="muted">Select a node to edit its parameters. {project.graph.nodes.length} nodes, {project.graph.edges.length} edges.</p>
      </div>
      <div className="inspector-section">
        <h3 className="inspector-heading">Problems ({analysis.errors.length})</h3>
        {analysis.errors.length === 0 ? <p className="muted">No problems: the graph is ready to train.</p> : <ErrorList errors={analysis.errors} onEdit={onEdit} />}
      </div>
    </>
  );
}

function GroupInspector({ project, groupId, onEdit }: InspectorProps & { groupId: string }) {
  const group = project.graph.groups.find((item) => item.id === groupId);
  if (group === undefined) return null;
  const collapsed = project.ui.collapsedGroups.includes(group.id);
  const parents = new Map(project.graph.groups.map((item) => [item.id, item.parent]));
  const inside = (id: string | undefined): boolean => {
    for (let current = id, depth = 0; current !== undefined && depth < 64; current = parents.get(current), depth += 1) if (current === group.id) return true;
    return false;
  };
  const members = project.graph.nodes.filter((node) => inside(node.group)).length;
  return (
    <div className="inspector-section">
      <h3 className="inspector-heading">Group · {group.kind === 'sequential' ? 'nn.Sequential' : `nn.Module (${group.className ?? ''})`}</h3>
      <TextField label="Group name" value={group.name} validate={identifierError} onCommit={(name) => onEdit((current) => renameGroup(current, group.id, name), `group-name:${group.id}`)} />
      <p className="muted">{members} layers. Its weights are saved under “{group.name}.”.</p>
      <div className="button-row">
        <button type="button" onClick={() => onEdit((current) => toggleCollapsed(current, group.id))}>
          {collapsed ? 'Expand' : 'Collapse'}
        </button>
        <button type="button" onClick={() => onEdit((current) => ungroup(current, group.id))}>
          Ungroup
        </button>
      </div>
    </div>
  );
}

function identifierError(text: string): string | null {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) ? null : 'a Python identifier: letters, digits and _, not starting with a digit';
}

function TextField({ label, value, placeholder, validate, onCommit }: { label: string; value: string; placeholder?: string; validate?: (text: string) => string | null; onCommit: (text: string) => void }) {
  const [text, setText] = useState(value);
  const focused = useRef(false);
  const errorId = useId();
  useEffect(() => {
    if (!focused.current) setText(value);
  }, [value]);
  const error = text === '' ? null : (validate?.(text) ?? null);
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <input
        type="text"
        aria-label={label}
        value={text}
        placeholder={placeholder}
        aria-invalid={error !== null}
        aria-describedby={error !== null ? errorId : undefined}
        onFocus={() => (focused.current = true)}
        onBlur={() => {
          focused.current = false;
          setText(value);
        }}
        onChange={(event) => {
          const next = event.target.value;
          setText(next);
          if (next === '' || validate?.(next) == null) onCommit(next);
        }}
      />
      {error !== null && (
        <span id={errorId} className="field-error" role="alert">
          {error}
        </span>
      )}
    </label>
  );
}

function NodeInspector({ node, project, analysis, errors, onEdit }: InspectorProps & { node: GraphNode }) {
  const spec = layerSpec(node.layer);
  if (spec === undefined) return <ErrorList errors={errors.get(node.id) ?? []} onEdit={onEdit} />;
  const info = analysis.nodes.get(node.id);
  const path = analysis.paths.get(node.id) ?? node.id;
  const nodeErrors = errors.get(node.id) ?? [];
  const weights = nodeWeights(info);
  const total = weights?.filter((weight) => !weight.buffer).reduce((sum, weight) => sum + countElements(weight.shape), 0) ?? null;
  const local = path.split('.').pop() ?? path;
  // a numbered module (in an nn.Sequential) is an index, not an attribute
  const attribute = /^\d+$/.test(local) ? `[${local}]` : `self.${local}`;
  const torchLine = spec.torch.kind === 'module' && info?.status === 'ok' ? safe(() => `${attribute} = ${(spec.torch as { module: string }).module}(${(spec.torch as { args: (p: ParamReader) => string }).args(new ParamReader(info.params))})`) : null;
  const inGroup = node.group !== undefined && project.graph.groups.find((group) => group.id === node.group)?.kind === 'sequential';
  const inRoot = node.group === undefined && project.graph.root?.kind === 'sequential' && isSequentialRootMember(spec.category);
  return (
    <>
      <div className="inspector-section">
        <div className={`inspector-title cat-${spec.category}`}>
          <h3 className="inspector-heading">{spec.title}</h3>
          <span className="category-chip">{categoryTitle(spec.category)}</span>
        </div>
        <p className="muted">{spec.summary}</p>
        <TextField
          label="Name"
          value={node.name ?? ''}
          placeholder={`${path} (automatic)`}
          validate={identifierError}
          onCommit={(name) => onEdit((current) => renameNode(current, node.id, name === '' ? null : name), `name:${node.id}`)}
        />
        {inGroup && <p className="muted">In an nn.Sequential group, the module is named by its index: {path}.</p>}
        {inRoot && <p className="muted">The model is an nn.Sequential, so the module is named by its index: {path}.</p>}
      </div>
      {nodeErrors.length > 0 && (
        <div className="inspector-section">
          <h3 className="inspector-heading">Errors</h3>
          <ErrorList errors={nodeErrors} onEdit={onEdit} />
        </div>
      )}
      {spec.params.length > 0 && (
        <div className="inspector-section">
          <h3 className="inspector-heading">Parameters</h3>
          <form className="param-form" aria-label={`${spec.title} parameters`} onSubmit={(event) => event.preventDefault()}>
            {spec.params.map((param) => (
              <ParamField key={param.name} spec={param} node={node} effective={info?.params[param.name]} onEdit={onEdit} />
            ))}
          </form>
        </div>
      )}
      <div className="inspector-section">
        <h3 className="inspector-heading">Shapes</h3>
        <dl className="shape-list">
          {spec.inputs.map((port) => (
            <div key={`in-${port.name}`}>
              <dt>in · {port.name}</dt>
              <dd>{info?.inputs[port.name] !== undefined ? formatShape(info.inputs[port.name]?.shape ?? []) : port.optional ? 'not connected (optional)' : 'not connected'}</dd>
            </div>
          ))}
          {spec.outputs.map((port) => (
            <div key={`out-${port.name}`}>
              <dt>out · {port.name}</dt>
              <dd>{info?.outputs[port.name] !== undefined ? formatShape(info.outputs[port.name]?.shape ?? []) : '?'}</dd>
            </div>
          ))}
        </dl>
      </div>
      <ConnectTo node={node} project={project} analysis={analysis} onEdit={onEdit} />
      {weights !== null && weights.length > 0 && (
        <div className="inspector-section">
          <h3 className="inspector-heading">Weights {total !== null && <span className="muted">· {formatCount(total)} params</span>}</h3>
          <table className="weights-table" aria-label="Weights">
            <tbody>
              {weights.map((weight) => (
                <tr key={weight.name}>
                  <td>
                    <code>{path}.{weight.name}</code>
                  </td>
                  <td>{formatShape(weight.shape)}</td>
                  <td className="muted">{weight.buffer ? 'buffer' : countElements(weight.shape).toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {spec.formula !== undefined && info !== undefined && <FunctionPlot spec={spec} params={info.params} />}
      <div className="inspector-section">
        <h3 className="inspector-heading">Documentation</h3>
        {torchLine !== null && (
          <pre className="code torch-line" aria-label="PyTorch equivalent">
            <code>{torchLine}</code>
          </pre>
        )}
        <Markdown source={spec.doc} />
      </div>
    </>
  );
}

/**
 * Connecting from the keyboard: for each output port, the input ports it may feed (checked like a drag; a taken port
 * is replaced). Computed when opened: each candidate is one analysis of the graph.
 */
function ConnectTo({ node, project, analysis, onEdit }: { node: GraphNode; project: Project; analysis: GraphAnalysis; onEdit: (edit: Edit) => void }) {
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<Record<string, string>>({});
  const spec = layerSpec(node.layer);
  const outputs = spec?.outputs ?? [];
  if (outputs.length === 0) return null;
  const name = (id: string): string => analysis.paths.get(id) ?? id;
  const candidates = (port: string): { value: string; label: string }[] => {
    const list: { value: string; label: string }[] = [];
    for (const other of project.graph.nodes) {
      if (other.id === node.id) continue;
      for (const input of layerSpec(other.layer)?.inputs ?? []) {
        const result = checkConnection(project, analysis, { node: node.id, port }, { node: other.id, port: input.name });
        if (!result.ok) continue;
        const label = `${name(other.id)} · ${input.name}${result.replaces !== null ? ' (replaces its edge)' : ''}`;
        list.push({ value: `${other.id}\u0000${input.name}`, label });
      }
    }
    return list;
  };
  return (
    <div className="inspector-section">
      <h3 className="inspector-heading">Connections</h3>
      {!open ? (
        <button type="button" onClick={() => setOpen(true)}>
          Connect to…
        </button>
      ) : (
        outputs.map((port) => {
          const options = candidates(port.name);
          const value = chosen[port.name] ?? options[0]?.value ?? '';
          const label = outputs.length > 1 ? `Connect ${port.name} to` : 'Connect to';
          return (
            <div key={port.name} className="field">
              <label className="field-label" htmlFor={`connect-${node.id}-${port.name}`}>
                {label}
              </label>
              {options.length === 0 ? (
                <p className="muted">No compatible input port.</p>
              ) : (
                <div className="field-row">
                  <select id={`connect-${node.id}-${port.name}`} value={value} onChange={(event) => setChosen({ ...chosen, [port.name]: event.target.value })}>
                    {options.map((option) => (
                      <option key={option.value} value={option.value}>
                        {option.label}
                      </option>
                    ))}
                  </select>
                  <button
                    type="button"
                    onClick={() => {
                      const [target, input] = value.split('\u0000');
                      if (target === undefined || input === undefined) return;
                      onEdit((current) => connect(current, { node: node.id, port: port.name }, { node: target, port: input }));
                      setOpen(false);
                    }}
                  >
                    Connect
                  </button>
                </div>
              )}
            </div>
          );
        })
      )}
    </div>
  );
}

function safe<T>(run: () => T): T | null {
  try {
    return run();
  } catch {
    return null;
  }
}

function ParamField({ spec, node, effective, onEdit }: { spec: ParamSpec; node: GraphNode; effective: ParamValue | undefined; onEdit: (edit: Edit, key?: string) => void }) {
  const stored = node.params[spec.name];
  const pinned = node.pinned?.includes(spec.name) === true;
  const auto = spec.derived === true && !pinned;
  const value = auto ? (effective ?? null) : (stored ?? spec.default);
  const id = useId();
  const key = `param:${node.id}:${spec.name}`;
  const set = (next: ParamValue): void => onEdit((current) => setParam(current, node.id, spec.name, next), key);
  const hint = `${describeParam(spec)} — ${spec.doc}`;

  if (spec.kind === 'bool') {
    return (
      <label className="field field-inline" title={hint}>
        <input type="checkbox" aria-label={spec.name} checked={value === true} onChange={(event) => set(event.target.checked)} />
        <span className="field-label">{spec.name}</span>
      </label>
    );
  }
  if (spec.kind === 'enum') {
    return (
      <label className="field" title={hint}>
        <span className="field-label">{spec.name}</span>
        <select aria-label={spec.name} value={typeof value === 'string' ? value : spec.default} onChange={(event) => set(event.target.value)}>
          {spec.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      </label>
    );
  }
  return <NumberField id={id} spec={spec} value={value} auto={auto} pinned={pinned} hint={hint} onSet={set} onUnpin={() => onEdit((current) => unpinParam(current, node.id, spec.name))} />;
}

function NumberField({ id, spec, value, auto, pinned, hint, onSet, onUnpin }: { id: string; spec: ParamSpec; value: ParamValue; auto: boolean; pinned: boolean; hint: string; onSet: (value: ParamValue) => void; onUnpin: () => void }) {
  const [text, setText] = useState(formatParam(value));
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setText(formatParam(value));
  }, [value]);
  const parsed = parseParam(spec, text);
  const error = parsed.ok ? null : parsed.message;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {spec.name}
        {auto && <span className="auto-chip" title="Follows the input shape">auto</span>}
      </label>
      <div className="field-row">
        <input
          id={id}
          type="text"
          inputMode={spec.kind === 'float' ? 'decimal' : 'numeric'}
          value={text}
          placeholder={spec.nullable ? 'None' : auto ? 'from the input' : ''}
          aria-invalid={error !== null}
          aria-describedby={`${id}-hint`}
          onFocus={() => (focused.current = true)}
          onBlur={() => {
            focused.current = false;
            if (parsed.ok) setText(formatParam(value));
          }}
          onChange={(event) => {
            const next = event.target.value;
            setText(next);
            const result = parseParam(spec, next);
            if (result.ok) onSet(result.value);
          }}
        />
        {pinned && (
          <button type="button" className="small" onClick={onUnpin} aria-label={`Let ${spec.name} follow the input`} title="Let it follow the input shape again">
            auto
          </button>
        )}
      </div>
      <span id={`${id}-hint`} className={error !== null ? 'field-error' : 'field-hint'} role={error !== null ? 'alert' : undefined}>
        {error ?? hint}
      </span>
    </div>
  );
}

/** y = f(x) for activations, from the spec's formula, over x ∈ [-4, 4]. */
function FunctionPlot({ spec, params }: { spec: LayerSpec; params: Readonly<Record<string, ParamValue>> }) {
  const formula = spec.formula;
  if (formula === undefined) return null;
  const reader = new ParamReader(params);
  const width = 260;
  const height = 150;
  const xs = Array.from({ length: 161 }, (_, index) => -4 + index * 0.05);
  const ys = xs.map((x) => safe(() => formula(x, reader)) ?? Number.NaN);
  const finite = ys.filter((y) => Number.isFinite(y));
  let low = Math.min(-1, ...finite);
  let high = Math.max(1, ...finite);
  const pad = (high - low) * 0.08;
  low -= pad;
  high += pad;
  const sx = (x: number): number => ((x + 4) / 8) * width;
  const sy = (y: number): number => height - ((y - low) / (high - low)) * height;
  const path = xs
    .map((x, index) => {
      const y = ys[index] ?? Number.NaN;
      return Number.isFinite(y) ? `${index === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}` : '';
    })
    .join('');
  return (
    <div className="inspector-section">
      <h3 className="inspector-heading">Function</h3>
      <svg className="function-plot" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Plot of ${spec.title} for x from -4 to 4`}>
        <line x1={0} x2={width} y1={sy(0)} y2={sy(0)} className="axis" />
        <line x1={sx(0)} x2={sx(0)} y1={0} y2={height} className="axis" />
        {[-3, -2, -1, 1, 2, 3].map((tick) => (
          <text key={tick} x={sx(tick)} y={Math.min(height - 2, sy(0) + 12)} className="tick" textAnchor="middle">
            {tick}
          </text>
        ))}
        <text x={sx(0) + 4} y={10} className="tick">
          {high.toFixed(1)}
        </text>
        <path d={path} className="curve" />
      </svg>
    </div>
  );
}
