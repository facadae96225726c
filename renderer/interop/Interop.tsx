// Moving models to and from PyTorch in the window: Import checkpoint… (the per-key load_state_dict report first,
// then training.initialWeights through the editor's normal, undoable edit) and Export… (.mdl, .py, .onnx,
// .safetensors via the host's exportModel; weights: the last run's checkpoint when there is one, else a fresh model).
// useInterop gives App the toolbar buttons, the dialogs, and handles the desktop menu's import/export commands.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { toErrorInfo, type Api, type ImportReportInfo, type MenuCommandName } from '../../shared/api';
import { serializeProject, type Project } from '../../shared/graph';
import { FileDialog } from '../files/FileDialog';
import { Modal } from '../shell/Modal';
import './interop.css';

export const exportFormats = [
  { ext: '.mdl', label: 'PyTorch checkpoint (.mdl, torch.save)' },
  { ext: '.py', label: 'PyTorch code (model.py + train.py)' },
  { ext: '.onnx', label: 'ONNX (.onnx)' },
  { ext: '.safetensors', label: 'safetensors (.safetensors)' },
] as const;
type ExportExt = (typeof exportFormats)[number]['ext'];

const checkpointExtensions = ['.mdl', '.pt', '.pth', '.safetensors'] as const;
const statusLabels: Record<ImportReportInfo['keys'][number]['status'], string> = {
  matched: 'matched',
  missing: 'missing',
  unexpected: 'unexpected',
  'shape-mismatch': 'shape mismatch',
  'dtype-mismatch': 'dtype mismatch',
};

const baseName = (path: string): string => path.replace(/^.*[\\/]/, '');
const folderOf = (path: string | null): string | null => (path === null ? null : path.replace(/[\\/][^\\/]*$/, ''));
const slug = (name: string): string => name.replace(/[^\w.-]+/g, '-').toLowerCase() || 'model';
const shapeText = (info: { shape: number[]; dtype: string } | undefined): string => (info === undefined ? '—' : `[${info.shape.join(', ')}] ${info.dtype}`);

type State =
  | { kind: 'pickCheckpoint' }
  | { kind: 'report'; path: string; report: ImportReportInfo | null; error: string | null }
  | { kind: 'export'; ext: ExportExt; to: string; weights: string | null; useWeights: boolean; busy: boolean; error: string | null }
  | { kind: 'pickTarget'; ext: ExportExt; weights: string | null; useWeights: boolean };

export interface InteropOptions {
  api: Api;
  /** more buttons at the start of the import/export group (New from checkpoint…) */
  leading?: ReactNode;
  project: Project | null;
  /** the project file's path (null: not saved) */
  path: string | null;
  onEdit: (change: (current: Project) => Project, key?: string) => void;
  onNotice: (text: string, kind?: 'info' | 'error') => void;
}

const menuExports: Partial<Record<MenuCommandName, ExportExt>> = { exportCheckpoint: '.mdl', exportPyTorch: '.py', exportOnnx: '.onnx' };

export function useInterop({ api, project, path, onEdit, onNotice, leading }: InteropOptions): { buttons: ReactNode; dialogs: ReactNode } {
  const [state, setState] = useState<State | null>(null);
  const projectRef = useRef(project);
  projectRef.current = project;
  const fail = useCallback((error: unknown) => onNotice(`${toErrorInfo(error).code}: ${toErrorInfo(error).message}`, 'error'), [onNotice]);

  const inspect = useCallback(
    (checkpointPath: string) => {
      const current = projectRef.current;
      if (current === null) return;
      setState({ kind: 'report', path: checkpointPath, report: null, error: null });
      api.inspectCheckpoint({ projectJson: serializeProject(current), checkpointPath }).then(
        (report) => setState((s) => (s?.kind === 'report' && s.path === checkpointPath ? { ...s, report } : s)),
        (error: unknown) => setState((s) => (s?.kind === 'report' && s.path === checkpointPath ? { ...s, error: `${toErrorInfo(error).code}: ${toErrorInfo(error).message}` } : s)),
      );
    },
    [api],
  );

  /** The newest checkpoint of a run of this project, if any. */
  const lastCheckpoint = useCallback(async (): Promise<string | null> => {
    const name = projectRef.current?.name;
    try {
      const runs = await api.listRuns();
      return runs.find((run) => run.projectName === name && run.lastCheckpoint !== null)?.lastCheckpoint ?? null;
    } catch {
      return null;
    }
  }, [api]);

  const runExport = useCallback(
    async (to: string, weightsPath: string | null): Promise<void> => {
      const current = projectRef.current;
      if (current === null) return;
      const { files } = await api.exportModel({ projectJson: serializeProject(current), to, ...(weightsPath !== null ? { weightsPath } : {}) });
      onNotice(`Exported ${files.join(', ')}${weightsPath !== null ? ` (weights: ${baseName(weightsPath)})` : ''}`);
    },
    [api, onNotice],
  );

  const openImport = useCallback(() => {
    if (projectRef.current !== null) setState({ kind: 'pickCheckpoint' });
  }, []);
  const openExport = useCallback(
    (ext: ExportExt = '.mdl') => {
      if (projectRef.current === null) return;
      setState({ kind: 'export', ext, to: '', weights: null, useWeights: false, busy: false, error: null });
      void lastCheckpoint().then((weights) => setState((s) => (s?.kind === 'export' && s.weights === null ? { ...s, weights, useWeights: weights !== null } : s)));
    },
    [lastCheckpoint],
  );

  // The desktop menu: main's native dialog already chose the file (path set).
  useEffect(
    () =>
      api.on('menuCommand', ({ command, path: chosen }) => {
        if (command === 'importCheckpoint') {
          if (projectRef.current === null) return onNotice('Open a project to import a checkpoint into it.', 'info');
          return chosen === null ? openImport() : inspect(chosen);
        }
        const ext = menuExports[command];
        if (ext === undefined) return;
        if (projectRef.current === null) return onNotice('Open a project to export it.', 'info');
        if (chosen === null) return openExport(ext);
        void lastCheckpoint()
          .then((weights) => runExport(chosen, ext === '.py' ? null : weights))
          .catch(fail);
      }),
    [api, fail, inspect, lastCheckpoint, onNotice, openExport, openImport, runExport],
  );

  const applyWeights = (strict: boolean, checkpointPath: string): void => {
    onEdit((current) => ({ ...current, training: { ...current.training, initialWeights: { path: checkpointPath, strict } } }));
    onNotice(`Initial weights: ${baseName(checkpointPath)} (${strict ? 'strict' : 'non-strict'})`);
    setState(null);
  };

  const initial = project?.training.initialWeights ?? null;
  const buttons =
    project === null ? null : (
      <div className="tool-group" role="group" aria-label="Import and export">
        {leading}
        <button type="button" className="tool" aria-label="Import checkpoint…" title="Import checkpoint…" onClick={openImport}>
          Import…
        </button>
        <button type="button" className="tool" aria-label="Export…" title="Export…" onClick={() => openExport()}>
          Export…
        </button>
        {initial !== null && (
          <span className="app-meta initial-weights" role="status" aria-label="Initial weights" title={initial.path}>
            <span className="initial-weights-text">
              Initial weights: {baseName(initial.path)} ({initial.strict ? 'strict' : 'non-strict'})
            </span>
            <button type="button" className="small" aria-label="Clear initial weights" onClick={() => onEdit((current) => ({ ...current, training: { ...current.training, initialWeights: null } }))}>
              ×
            </button>
          </span>
        )}
      </div>
    );

  let dialogs: ReactNode = null;
  if (state?.kind === 'pickCheckpoint') {
    dialogs = (
      <FileDialog
        api={api}
        mode="open"
        title="Import checkpoint"
        accept={checkpointExtensions}
        startDir={folderOf(path)}
        onCancel={() => setState(null)}
        onChoose={inspect}
      />
    );
  } else if (state?.kind === 'pickTarget') {
    dialogs = (
      <FileDialog
        api={api}
        mode="save"
        title="Export to"
        accept={[state.ext]}
        suggestedName={state.ext === '.py' ? 'model.py' : `${slug(project?.name ?? 'model')}${state.ext}`}
        startDir={folderOf(path)}
        onCancel={() => setState({ kind: 'export', ext: state.ext, to: '', weights: state.weights, useWeights: state.useWeights, busy: false, error: null })}
        onChoose={(to) => setState({ kind: 'export', ext: state.ext, to, weights: state.weights, useWeights: state.useWeights, busy: false, error: null })}
      />
    );
  } else if (state?.kind === 'report') {
    const { report } = state;
    dialogs = (
      <Modal title="Import checkpoint" onClose={() => setState(null)} wide>
        <p>
          <strong>{baseName(state.path)}</strong> against the project’s graph (load_state_dict). Nothing changes until you choose below.
        </p>
        {state.error !== null && (
          <p className="field-error" role="alert">
            {state.error}
          </p>
        )}
        {report === null && state.error === null && <p className="muted">Reading the checkpoint…</p>}
        {report !== null && (
          <>
            <p aria-label="Summary">
              {Object.entries(report.counts)
                .filter(([, n]) => n > 0)
                .map(([status, n]) => `${n} ${statusLabels[status as keyof typeof statusLabels] ?? status}`)
                .join(' · ')}
            </p>
            <table className="shortcut-table" aria-label="Checkpoint keys">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Status</th>
                  <th scope="col">Expected</th>
                  <th scope="col">In the file</th>
                </tr>
              </thead>
              <tbody>
                {report.keys.map((key) => (
                  <tr key={`${key.status}:${key.key}`}>
                    <td>
                      <code>{key.key}</code>
                    </td>
                    <td>{statusLabels[key.status]}{key.converted === true ? ' (converted)' : ''}</td>
                    <td>{shapeText(key.expected)}</td>
                    <td>{shapeText(key.found)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        <div className="button-row end">
          <button type="button" onClick={() => setState(null)}>
            Cancel
          </button>
          <button type="button" disabled={report === null || !report.loadable.nonStrict} onClick={() => applyWeights(false, state.path)}>
            Use as initial weights (non-strict)
          </button>
          <button type="button" className="primary" disabled={report === null || !report.loadable.strict} onClick={() => applyWeights(true, state.path)}>
            Use as initial weights (strict)
          </button>
        </div>
      </Modal>
    );
  } else if (state?.kind === 'export') {
    const s = state;
    const weightsPath = s.ext !== '.py' && s.useWeights ? s.weights : null;
    dialogs = (
      <Modal title="Export" onClose={() => setState(null)}>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (s.to.trim() === '') return setState({ ...s, error: 'Choose where to write the file.' });
            setState({ ...s, busy: true, error: null });
            runExport(s.to.trim(), weightsPath).then(
              () => setState(null),
              (error: unknown) => setState({ ...s, busy: false, error: `${toErrorInfo(error).code}: ${toErrorInfo(error).message}` }),
            );
          }}
        >
          <label className="field">
            <span className="field-label">Format</span>
            <select aria-label="Format" value={s.ext} onChange={(event) => setState({ ...s, ext: event.target.value as ExportExt, to: s.to.replace(/\.[A-Za-z]+$/, event.target.value) })}>
              {exportFormats.map((format) => (
                <option key={format.ext} value={format.ext}>
                  {format.label}
                </option>
              ))}
            </select>
          </label>
          <div className="field-row">
            <label className="field grow">
              <span className="field-label">Target file</span>
              <input type="text" aria-label="Target file" value={s.to} onChange={(event) => setState({ ...s, to: event.target.value })} />
            </label>
            <button type="button" onClick={() => setState({ kind: 'pickTarget', ext: s.ext, weights: s.weights, useWeights: s.useWeights })}>
              Choose…
            </button>
          </div>
          {s.ext === '.py' ? (
            <p className="muted">Code only: train.py is written beside it.</p>
          ) : s.weights !== null ? (
            <label className="field">
              <input type="checkbox" checked={s.useWeights} onChange={(event) => setState({ ...s, useWeights: event.target.checked })} /> Weights of the last run ({baseName(s.weights)}); unchecked: a fresh model (seed {project?.training.seed})
            </label>
          ) : (
            <p className="muted">No run of this project has a checkpoint: a freshly initialised model (seed {project?.training.seed}) is exported.</p>
          )}
          {s.error !== null && (
            <p className="field-error" role="alert">
              {s.error}
            </p>
          )}
          <div className="button-row end">
            <button type="button" onClick={() => setState(null)}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={s.busy}>
              {s.busy ? 'Exporting…' : 'Export'}
            </button>
          </div>
        </form>
      </Modal>
    );
  }
  return { buttons, dialogs };
}
