// @vitest-environment happy-dom
// The desktop menu's commands reach the editor: File > New opens a project, Edit > Undo/Redo walk its history,
// File > Export > ONNX writes the file through the host's exportModel, File > New from Checkpoint… opens its dialog.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEventData } from '../../shared/api';
import { projectFromCheckpoint } from '../../shared/export';
import type { TensorData } from '../../shared/formats';
import { defaultTraining, defaultUiState, PROJECT_FORMAT, PROJECT_VERSION, serializeProject } from '../../shared/graph';
import { App } from '../../renderer/App';
import { createFakeApi } from './helpers/fakeApi';

afterEach(cleanup);

function menuApi() {
  const api = createFakeApi();
  const menu = new Set<(data: ApiEventData<'menuCommand'>) => void>();
  const text = serializeProject({ format: PROJECT_FORMAT, version: PROJECT_VERSION, name: 'Menu test', description: '', graph: { nodes: [], edges: [], groups: [] }, training: defaultTraining(), ui: defaultUiState() });
  return {
    ...api,
    newProject: () => Promise.resolve({ path: '', text, migrations: [] }),
    exported: [] as string[],
    asked: [] as Record<string, string>[],
    // The trainer's answer, computed by the same shared function from a bare nn.Sequential's keys.
    graphFromCheckpoint(request: { checkpointPath: string; answers: Record<string, string> }) {
      this.asked.push(request.answers);
      const f32 = (...shape: number[]): TensorData => ({ dtype: 'float32', shape, bytes: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
      const state = new Map([['0.weight', f32(8, 4)], ['0.bias', f32(8)], ['2.weight', f32(2, 8)], ['2.bias', f32(2)]]);
      const graph = projectFromCheckpoint(state, request.answers, { name: 'x', weightsPath: request.checkpointPath });
      return Promise.resolve({
        projectJson: graph.project === null ? null : serializeProject(graph.project),
        layers: graph.layers.map((l) => ({ ...l, params: { ...l.params } as Record<string, number | boolean | number[]>, tensors: l.tensors.map((t) => ({ ...t, shape: [...t.shape] })) })),
        questions: graph.questions.map((q) => ({ ...q, choices: [...q.choices] })),
        notes: [...graph.notes],
        errors: [...graph.errors],
      });
    },
    exportModel(request: { to: string }) {
      this.exported.push(request.to);
      return Promise.resolve({ files: [request.to] });
    },
    on: ((event, listener) => {
      if (event !== 'menuCommand') return api.on(event, listener);
      const typed = listener as (data: ApiEventData<'menuCommand'>) => void;
      menu.add(typed);
      return () => menu.delete(typed);
    }) as typeof api.on,
    send: (data: ApiEventData<'menuCommand'>) => act(() => menu.forEach((listener) => listener(data))),
  };
}

describe('desktop menu commands', () => {
  it('File > New opens a project; Edit > Undo/Redo; File > Export > ONNX exports', async () => {
    const api = menuApi();
    render(<App api={api} />);
    api.send({ command: 'new', path: null });
    expect(await screen.findByRole('region', { name: 'Canvas' })).toBeTruthy();
    const name = screen.getByRole('textbox', { name: 'Project name' }) as HTMLInputElement;
    expect(name.value).toBe('Menu test');
    api.send({ command: 'exportOnnx', path: '/tmp/x.onnx' });
    expect((await screen.findByText(/Exported \/tmp\/x\.onnx/)).textContent).toContain('Exported /tmp/x.onnx');
    expect(api.exported).toEqual(['/tmp/x.onnx']);
    api.send({ command: 'undo', path: null });
    api.send({ command: 'redo', path: null });
    expect(screen.getByRole('region', { name: 'Canvas' })).toBeTruthy();
  });

  it('File > New from Checkpoint… shows the layers and a select for index 1; Create opens the model as an unsaved nn.Sequential', async () => {
    const api = menuApi();
    render(<App api={api} />);
    api.send({ command: 'newFromCheckpoint', path: '/data/x.mdl' });
    const select = (await screen.findByRole('combobox', { name: 'Layer 1' })) as HTMLSelectElement;
    const dialog = screen.getByRole('dialog', { name: 'New from checkpoint' });
    expect(select.value).toBe('nn.ReLU');
    fireEvent.change(select, { target: { value: 'nn.Sigmoid' } });
    expect(within(dialog).getByRole('row', { name: /0 nn\.Linear\(4, 8\) weight \[8, 4\] bias \[8\]/ })).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    expect(await screen.findByRole('region', { name: 'Canvas' })).toBeTruthy();
    expect(api.asked).toEqual([{}, { '1': 'nn.Sigmoid' }]);
    expect((screen.getByRole('combobox', { name: 'Model module' }) as HTMLSelectElement).value).toBe('sequential');
    expect(screen.getByRole('img', { name: 'Unsaved changes' })).toBeTruthy();
    expect(screen.getByRole('status', { name: 'Initial weights' }).textContent).toContain('x.mdl (strict)');
  });
});
