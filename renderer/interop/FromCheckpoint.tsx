// New from checkpoint…: a Sequential-style state_dict becomes a new, unsaved project. The dialog lists the layers the
// keys tell (module path, PyTorch layer, tensor shapes) in model order, with a select wherever they cannot (a layer
// without weights at an index the keys skip, look-alike layers) and the input's shape, all preselected with defaults;
// Create builds the project (the checkpoint as strict initial weights) and hands it to App, which asks about unsaved
// work first. Unsupported checkpoints show why, naming the key. Parsing happens in the trainer (graphFromCheckpoint).
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { toErrorInfo, type Api, type CheckpointGraphInfo } from '../../shared/api';
import { parseProject, serializeProject } from '../../shared/graph';
import { layerSpec, ParamReader } from '../../shared/layers';
import { FileDialog } from '../files/FileDialog';
import { autoLayout } from '../store/graphOps';
import { Modal } from '../shell/Modal';
import './interop.css';

const checkpointExtensions = ['.mdl', '.pt', '.pth', '.safetensors'] as const;

const baseName = (path: string): string => path.replace(/^.*[\\/]/, '');
const projectName = (path: string): string => baseName(path).replace(/\.[^.]+$/, '') || 'Imported checkpoint';
const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

type Layer = CheckpointGraphInfo['layers'][number];

/** "nn.Linear(4, 8)": the layer as PyTorch code, from its spec (defaults filled in); the title when that fails. */
export function layerCall(layer: string, params: Layer['params']): string {
  const spec = layerSpec(layer);
  if (spec === undefined) return layer;
  if (spec.torch.kind !== 'module') return spec.title;
  try {
    const values = { ...Object.fromEntries(spec.params.map((param) => [param.name, param.default])), ...params };
    return `${spec.torch.module}(${spec.torch.args(new ParamReader(values))})`;
  } catch {
    return spec.torch.module;
  }
}

const choiceLabel = (id: string): string => {
  const spec = layerSpec(id);
  return spec === undefined ? id : `${spec.title} (${spec.torch.kind === 'module' ? spec.torch.module : id})`;
};

/** The canvas' own auto-layout (rows that wrap, groups kept whole) instead of the trainer's plain grid. */
function laidOut(projectJson: string): string {
  try {
    return serializeProject(autoLayout(parseProject(projectJson).project));
  } catch {
    return projectJson;
  }
}

type State =
  | { kind: 'pick' }
  | { kind: 'loading'; path: string }
  | { kind: 'failed'; path: string; error: string }
  | { kind: 'dialog'; path: string; graph: CheckpointGraphInfo; answers: Record<string, string>; name: string; busy: boolean; problems: string[] };

export interface FromCheckpointOptions {
  api: Api;
  /** the folder the file browser starts in (null: the projects folder) */
  startDir: string | null;
  /** a new project's JSON, made from `checkpointPath`; App guards unsaved work and opens it unsaved */
  onCreate: (projectJson: string, checkpointPath: string) => void;
}

export function useFromCheckpoint({ api, startDir, onCreate }: FromCheckpointOptions): { open: () => void; dialogs: ReactNode } {
  const [state, setState] = useState<State | null>(null);
  const onCreateRef = useRef(onCreate);
  onCreateRef.current = onCreate;

  const read = useCallback(
    (path: string) => {
      setState({ kind: 'loading', path });
      api.graphFromCheckpoint({ checkpointPath: path, answers: {}, name: projectName(path) }).then(
        (graph) => {
          const answers = Object.fromEntries(graph.questions.map((question) => [question.path, question.default]));
          setState((s) => (s?.kind === 'loading' && s.path === path ? { kind: 'dialog', path, graph, answers, name: projectName(path), busy: false, problems: [] } : s));
        },
        (error: unknown) => setState((s) => (s?.kind === 'loading' && s.path === path ? { kind: 'failed', path, error: `${toErrorInfo(error).code}: ${toErrorInfo(error).message}` } : s)),
      );
    },
    [api],
  );

  const open = useCallback(() => setState({ kind: 'pick' }), []);

  // The desktop menu: main's native dialog already chose the file.
  useEffect(
    () =>
      api.on('menuCommand', ({ command, path }) => {
        if (command !== 'newFromCheckpoint') return;
        if (path === null) open();
        else read(path);
      }),
    [api, open, read],
  );

  const create = (s: Extract<State, { kind: 'dialog' }>): void => {
    setState({ ...s, busy: true, problems: [] });
    api.graphFromCheckpoint({ checkpointPath: s.path, answers: s.answers, name: s.name.trim() || projectName(s.path) }).then(
      (result) => {
        if (result.projectJson === null) {
          setState({ ...s, busy: false, problems: [...result.errors, ...result.questions.map((question) => question.message)] });
          return;
        }
        setState(null);
        onCreateRef.current(laidOut(result.projectJson), s.path);
      },
      (error: unknown) => setState({ ...s, busy: false, problems: [`${toErrorInfo(error).code}: ${toErrorInfo(error).message}`] }),
    );
  };

  let dialogs: ReactNode = null;
  if (state?.kind === 'pick') {
    dialogs = <FileDialog api={api} mode="open" title="New from checkpoint" accept={checkpointExtensions} startDir={startDir} onCancel={() => setState(null)} onChoose={read} />;
  } else if (state?.kind === 'loading' || state?.kind === 'failed') {
    dialogs = (
      <Modal title="New from checkpoint" onClose={() => setState(null)}>
        <p>
          <strong>{baseName(state.path)}</strong>
        </p>
        {state.kind === 'loading' ? (
          <p className="muted">Reading the checkpoint…</p>
        ) : (
          <p className="field-error" role="alert">
            {state.error}
          </p>
        )}
        <div className="button-row end">
          <button type="button" onClick={() => setState(null)}>
            Cancel
          </button>
        </div>
      </Modal>
    );
  } else if (state?.kind === 'dialog') {
    dialogs = <CheckpointDialog state={state} onChange={setState} onCreate={create} onCancel={() => setState(null)} />;
  }
  return { open, dialogs };
}

function CheckpointDialog({ state, onChange, onCreate, onCancel }: { state: Extract<State, { kind: 'dialog' }>; onChange: (state: State) => void; onCreate: (state: Extract<State, { kind: 'dialog' }>) => void; onCancel: () => void }) {
  const { graph, answers } = state;
  const questions = new Map(graph.questions.map((question) => [question.path, question]));
  const inputQuestion = questions.get('input');
  const tensorCount = graph.layers.reduce((sum, layer) => sum + layer.tensors.length, 0);
  const weighted = graph.layers.filter((layer) => layer.tensors.length > 0).length;
  const answer = (path: string, value: string): void => onChange({ ...state, answers: { ...answers, [path]: value }, problems: [] });
  const unsupported = graph.errors.length > 0;
  return (
    <Modal title="New from checkpoint" onClose={onCancel} wide>
      <form
        className="from-checkpoint"
        onSubmit={(event) => {
          event.preventDefault();
          if (!unsupported && !state.busy) onCreate(state);
        }}
      >
        <p>
          <strong>{baseName(state.path)}</strong>: {tensorCount} tensors in {weighted} layers with weights.{' '}
          {unsupported ? '' : graph.questions.length > 0 ? 'The keys tell the layers with weights; choose what they cannot tell.' : 'The keys tell every layer.'}
        </p>
        {unsupported && (
          <div className="field-error" role="alert" aria-label="Unsupported checkpoint">
            <p>This checkpoint cannot become a graph:</p>
            <ul>
              {graph.errors.map((error) => (
                <li key={error}>{error}</li>
              ))}
            </ul>
          </div>
        )}
        {!unsupported && (
          <>
            <div className="field-row">
              <label className="field grow">
                <span className="field-label">Project name</span>
                <input type="text" aria-label="Project name" value={state.name} onChange={(event) => onChange({ ...state, name: event.target.value })} />
              </label>
              {inputQuestion !== undefined && (
                <label className="field grow">
                  <span className="field-label">Input shape (per sample)</span>
                  <input
                    type="text"
                    aria-label="Input shape"
                    aria-describedby="from-checkpoint-input-hint"
                    value={answers['input'] ?? inputQuestion.default}
                    onChange={(event) => answer('input', event.target.value)}
                  />
                  <span id="from-checkpoint-input-hint" className="field-hint">
                    F features, C,L a sequence, C,H,W an image; the keys do not say it
                  </span>
                </label>
              )}
            </div>
            <div className="from-checkpoint-layers">
              <table className="checkpoint-layers" aria-label="Checkpoint layers">
                <thead>
                  <tr>
                    <th scope="col">Module</th>
                    <th scope="col">Layer</th>
                    <th scope="col">Tensors</th>
                  </tr>
                </thead>
                <tbody>
                  {graph.layers.map((layer, index) => {
                    const question = questions.get(layer.path);
                    return (
                      <tr key={`${layer.path}:${index}`} className={question !== undefined ? 'asked' : layer.source === 'added' ? 'added' : undefined}>
                        <td>
                          <code>{layer.path === '' ? '—' : layer.path}</code>
                        </td>
                        <td>
                          {question !== undefined ? (
                            <select aria-label={`Layer ${layer.path}`} value={answers[layer.path] ?? question.default} onChange={(event) => answer(layer.path, event.target.value)}>
                              {question.choices.map((choice) => (
                                <option key={choice} value={choice}>
                                  {choiceLabel(choice)}
                                </option>
                              ))}
                            </select>
                          ) : (
                            <code>{layer.layer === null ? '?' : layerCall(layer.layer, layer.params)}</code>
                          )}
                          {layer.source === 'added' && <span className="muted"> added: not in a state_dict</span>}
                        </td>
                        <td className="tensor-list">
                          {layer.tensors.length === 0 ? (
                            <span className="muted">{question !== undefined && question.choices.length > 2 ? 'no weights: pick the layer' : 'no weights'}</span>
                          ) : (
                            layer.tensors.map((tensor) => (
                              <span key={tensor.key} className="tensor">
                                {tensor.key.slice(tensor.key.lastIndexOf('.') + 1)} {shapeText(tensor.shape)}
                                {tensor.dtype === 'float32' ? '' : ` ${tensor.dtype}`}
                              </span>
                            ))
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            {graph.notes.length > 0 && (
              <ul className="muted from-checkpoint-notes" aria-label="Notes">
                {graph.notes.map((note) => (
                  <li key={note}>{note}</li>
                ))}
              </ul>
            )}
            <p className="muted">Creates a new, unsaved project that starts from these weights (strict). Add a Target and a loss node to train it.</p>
          </>
        )}
        {state.problems.length > 0 && (
          <ul className="field-error" role="alert">
            {state.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        )}
        <div className="button-row end">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={unsupported || state.busy}>
            {state.busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
