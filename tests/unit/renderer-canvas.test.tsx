// @vitest-environment happy-dom
// Component tests: palette search and keyboard add, inspector forms (validation as you type, pinning, fixes), undo/redo.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useReducer } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeGraph, defaultTraining, defaultUiState, parseProject, PROJECT_VERSION, type Project } from '../../shared/graph';
import { layers } from '../../shared/layers';
import { Inspector } from '../../renderer/inspector/Inspector';
import { parseParam } from '../../renderer/inspector/params';
import { Palette, searchPalette } from '../../renderer/palette/Palette';
import { errorsByNode, keyParams } from '../../renderer/canvas/nodeView';
import { editorReducer, initialEditor, isDirty } from '../../renderer/store/editor';
import { addNode, autoLayout, nodeSize, checkConnection, connect, copyNodes, groupNodes, pasteNodes, setParam } from '../../renderer/store/graphOps';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

afterEach(cleanup);

const items = layers.map((spec) => ({ id: spec.id, title: spec.title, category: spec.category, summary: spec.summary }));
const lenet = (): Project => parseProject(readFileSync(join(import.meta.dirname, '../../samples/lenet.json'), 'utf8')).project;
const empty = (): Project => ({ format: 'netwright-project', version: PROJECT_VERSION, name: 'T', description: '', graph: { nodes: [], edges: [], groups: [] }, training: defaultTraining(), ui: defaultUiState() });

describe('palette', () => {
  it('ranks "lstm" first and adds it on Enter', () => {
    expect(searchPalette(items, 'lstm')[0]?.id).toBe('nn.LSTM');
    const onAdd = vi.fn();
    render(<Palette items={items} onAdd={onAdd} />);
    const search = screen.getByRole('searchbox', { name: 'Search layers' });
    fireEvent.change(search, { target: { value: 'lstm' } });
    expect(screen.getByRole('button', { name: 'LSTM' })).toBeTruthy();
    fireEvent.keyDown(search, { key: 'Enter' });
    expect(onAdd).toHaveBeenCalledWith('nn.LSTM');
  });

  it('groups by category with one-line descriptions; double-click adds', () => {
    const onAdd = vi.fn();
    render(<Palette items={items} onAdd={onAdd} />);
    const convolution = screen.getByRole('region', { name: 'Convolution' });
    const conv = within(convolution).getByRole('button', { name: 'Conv2d' });
    expect(conv.textContent).toContain('2-D convolution');
    fireEvent.doubleClick(conv);
    expect(onAdd).toHaveBeenCalledWith('nn.Conv2d');
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search layers' }), { target: { value: 'zzzz' } });
    expect(screen.getByText(/No layer matches/)).toBeTruthy();
  });
});

function InspectorHarness({ project, select }: { project: Project; select: string }) {
  const [state, dispatch] = useReducer(editorReducer, { ...initialEditor, project, saved: project, selection: { nodes: [select], edges: [], groups: [] } });
  const current = state.project ?? project;
  const analysis = analyzeGraph(current.graph);
  return (
    <>
      <button type="button" onClick={() => dispatch({ type: 'undo' })}>
        test-undo
      </button>
      <output data-testid="dirty">{String(isDirty(state))}</output>
      <Inspector
        project={current}
        analysis={analysis}
        errors={errorsByNode(analysis)}
        selection={state.selection}
        onEdit={(edit, key) => dispatch({ type: 'edit', edit, ...(key !== undefined ? { key } : {}) })}
        onGroup={() => undefined}
        onDelete={() => undefined}
      />
    </>
  );
}

describe('inspector', () => {
  it('generates the form from the spec, validates as you type, and offers the one-click fix', () => {
    render(<InspectorHarness project={lenet()} select="fc1" />);
    const inspector = screen.getByRole('complementary', { name: 'Inspector' });
    expect(within(inspector).getByRole('heading', { name: 'Linear' })).toBeTruthy();
    const out = within(inspector).getByRole('textbox', { name: 'out_features' }) as HTMLInputElement;
    expect(out.value).toBe('120');
    fireEvent.change(out, { target: { value: '0' } });
    expect(within(inspector).getByRole('alert').textContent).toContain('out_features must be ≥ 1');
    fireEvent.change(out, { target: { value: '12.5' } });
    expect(within(inspector).getByRole('alert').textContent).toContain('whole number');
    const inFeatures = within(inspector).getByRole('textbox', { name: /^in_features/ }) as HTMLInputElement;
    expect(inFeatures.value).toBe('400'); // derived from [N, 400]
    fireEvent.change(inFeatures, { target: { value: '500' } });
    const fix = within(inspector).getByRole('button', { name: 'Set in_features to 400' });
    fireEvent.click(fix);
    expect(within(inspector).queryByRole('button', { name: 'Set in_features to 400' })).toBeNull();
    expect(within(inspector).getByRole('checkbox', { name: 'bias' })).toBeTruthy();
    expect(within(inspector).getByRole('table', { name: 'Weights' }).textContent).toContain('fc1.weight[120, 400]');
    expect(within(inspector).getByLabelText('PyTorch equivalent').textContent).toContain('nn.Linear(400, 120');
  });

  it('connects from the keyboard: Connect to… lists compatible input ports only', () => {
    render(<InspectorHarness project={lenet()} select="flatten" />);
    const inspector = screen.getByRole('complementary', { name: 'Inspector' });
    fireEvent.click(within(inspector).getByRole('button', { name: 'Connect to…' }));
    const targets = within(inspector).getByRole('combobox', { name: 'Connect to' }) as HTMLSelectElement;
    const labels = [...targets.options].map((option) => option.textContent ?? '');
    expect(labels).toContain('fc2 · input (replaces its edge)');
    expect(labels.some((label) => label.startsWith('conv1'))).toBe(false); // [N, 400] is not an image
    fireEvent.change(targets, { target: { value: [...targets.options].find((option) => option.textContent?.startsWith('fc2'))?.value } });
    fireEvent.click(within(inspector).getByRole('button', { name: 'Connect' }));
    expect(within(inspector).queryByRole('combobox', { name: 'Connect to' })).toBeNull();
  });

  it('plots activations, edits enums and tuples, and undo restores the saved state', () => {
    render(<InspectorHarness project={lenet()} select="conv1" />);
    const inspector = screen.getByRole('complementary', { name: 'Inspector' });
    const kernel = within(inspector).getByRole('textbox', { name: 'kernel_size' }) as HTMLInputElement;
    expect(kernel.value).toBe('5, 5');
    fireEvent.change(kernel, { target: { value: '3' } });
    expect(screen.getByTestId('dirty').textContent).toBe('true');
    fireEvent.change(kernel, { target: { value: '3, 1' } }); // same field: one undo step
    fireEvent.click(screen.getByRole('button', { name: 'test-undo' }));
    expect(screen.getByTestId('dirty').textContent).toBe('false');
    cleanup();
    render(<InspectorHarness project={lenet()} select="relu1" />);
    expect(screen.getByRole('img', { name: /Plot of ReLU/ })).toBeTruthy();
    expect(parseParam({ kind: 'ints', name: 'shape', default: [], doc: '', minLength: 0, maxLength: 4 }, '')).toEqual({ ok: true, value: [] });
  });
});

describe('editor and graph edits', () => {
  it('undoes and redoes every change, and a drag is one step', () => {
    let state = editorReducer(initialEditor, { type: 'load', project: empty(), path: null, clean: true });
    state = editorReducer(state, { type: 'edit', edit: (p) => addNode(p, 'nn.Linear', { x: 0, y: 0 }).project });
    state = editorReducer(state, { type: 'edit', edit: (p) => addNode(p, 'nn.ReLU', { x: 300, y: 0 }).project });
    state = editorReducer(state, { type: 'drag', edit: (p) => ({ ...p, graph: { ...p.graph, nodes: p.graph.nodes.map((n) => ({ ...n, position: { x: n.position.x + 1, y: 0 } })) } }) });
    state = editorReducer(state, { type: 'drag', edit: (p) => ({ ...p, graph: { ...p.graph, nodes: p.graph.nodes.map((n) => ({ ...n, position: { x: n.position.x + 1, y: 0 } })) } }) });
    state = editorReducer(state, { type: 'dragEnd' });
    expect(state.past).toHaveLength(3);
    state = editorReducer(state, { type: 'undo' });
    expect(state.project?.graph.nodes[0]?.position.x).toBe(0);
    state = editorReducer(state, { type: 'undo' });
    state = editorReducer(state, { type: 'undo' });
    expect(isDirty(state)).toBe(false);
    state = editorReducer(state, { type: 'redo' });
    expect(state.project?.graph.nodes).toHaveLength(1);
  });

  it('refuses rank mismatches and cycles with a reason, and replaces a taken port', () => {
    const project = lenet();
    const analysis = analyzeGraph(project.graph);
    const rank = checkConnection(project, analysis, { node: 'pool2', port: 'out' }, { node: 'fc2', port: 'input' });
    expect(rank.ok).toBe(false);
    expect(rank.message).toContain('expects 2–3 dims');
    // The refusal offers Insert Flatten, which connects through a new Flatten.
    const fix = rank.ok ? undefined : rank.fix;
    expect(fix?.label).toBe('Insert Flatten');
    const fixed = fix?.apply(project) ?? project;
    const flatten = fixed.graph.nodes.find((item) => item.id === 'flatten1');
    expect(flatten?.layer).toBe('nn.Flatten');
    expect(fixed.graph.edges.some((edge) => edge.source.node === 'pool2' && edge.target.node === 'flatten1')).toBe(true);
    expect(fixed.graph.edges.some((edge) => edge.source.node === 'flatten1' && edge.target.node === 'fc2')).toBe(true);
    const cycle = checkConnection(project, analysis, { node: 'relu3', port: 'out' }, { node: 'fc1', port: 'input' });
    expect(cycle).toMatchObject({ ok: false });
    const replace = checkConnection(project, analysis, { node: 'relu4', port: 'out' }, { node: 'fc3', port: 'input' });
    expect(replace.ok).toBe(false); // already connected
    const other = checkConnection(project, analysis, { node: 'relu3', port: 'out' }, { node: 'fc3', port: 'input' });
    expect(other).toMatchObject({ ok: true, replaces: 'e12' });
    const next = connect(project, { node: 'relu3', port: 'out' }, { node: 'fc3', port: 'input' });
    expect(next.graph.edges.filter((edge) => edge.target.node === 'fc3')).toHaveLength(1);
  });

  it('copies and pastes between projects, groups into nn.Sequential, lays out and summarises params', () => {
    const source = lenet();
    const text = copyNodes(source, new Set(['conv1', 'relu1', 'pool1']));
    const pasted = pasteNodes(empty(), text, { x: 40, y: 40 });
    expect(pasted?.project.graph.nodes.map((node) => node.layer)).toEqual(['nn.Conv2d', 'nn.ReLU', 'nn.MaxPool2d']);
    expect(pasted?.project.graph.edges).toHaveLength(2);
    expect(pasteNodes(empty(), 'hello', { x: 0, y: 0 })).toBeNull();
    const grouped = groupNodes(source, new Set(['conv1', 'relu1', 'pool1']), 'features');
    expect(grouped?.project.graph.groups[0]).toMatchObject({ name: 'features', kind: 'sequential' });
    expect(analyzeGraph(grouped?.project.graph ?? source.graph).paths.get('conv1')).toBe('features.0');
    // Auto-layout wraps LeNet's long chain into rows (a fitted view of one 15-node row is unreadable), left to right.
    const laid = autoLayout(source);
    const xs = laid.graph.nodes.map((node) => node.position.x);
    const ys = laid.graph.nodes.map((node) => node.position.y);
    expect(new Set(xs).size).toBeGreaterThan(3);
    const width = Math.max(...xs) - Math.min(...xs) + nodeSize.width;
    const height = Math.max(...ys) - Math.min(...ys) + nodeSize.height;
    expect(width / height).toBeLessThan(2.5);
    const at = (id: string) => laid.graph.nodes.find((node) => node.id === id)?.position ?? { x: Number.NaN, y: Number.NaN };
    expect(at('conv1').x).toBeLessThan(at('relu1').x);
    expect(at('fc3').y).toBeGreaterThan(at('conv1').y);
    // A group stays on one row: rows get longer instead.
    const withGroup = groupNodes(source, new Set(['conv2', 'relu2', 'pool2', 'flatten', 'fc1', 'relu3']), 'features')?.project ?? source;
    const groupRows = new Set(autoLayout(withGroup).graph.nodes.filter((item) => item.group !== undefined).map((item) => item.position.y));
    expect(groupRows.size).toBe(1);
    const analysis = analyzeGraph(setParam(source, 'conv1', 'out_channels', 8).graph);
    const conv1 = analysis.nodes.get('conv1');
    expect(conv1 !== undefined && keyParams(conv1.spec, conv1.params)).toBe('1→8 k5 p2');
  });
});
