// @vitest-environment happy-dom
// The desktop menu's commands reach the editor: File > New opens a project, Edit > Undo/Redo walk its history,
// File > Export > ONNX writes the file through the host's exportModel.
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEventData } from '../../shared/api';
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
});
