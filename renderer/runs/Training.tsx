// Training in the editor: the provider (store, Train/Pause/Resume/Stop, Ctrl/⌘+Enter, per-node gradient health for
// the canvas) and the dock under the canvas (run bar with progress and ETA, errors with next actions, and tabs:
// charts, gradients, results, history, settings).
import { useReactFlow } from '@xyflow/react';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { isFinalRunState, toErrorInfo, type Api, type EngineInfo, type RunInfo } from '../../shared/api';
import { compileGraph } from '../../shared/compile';
import { serializeProject, type GraphAnalysis, type Project, type Training } from '../../shared/graph';
import { TrainingSettings, type RunExtras } from '../settings/TrainingSettings';
import { checkTraining } from '../settings/validate';
import { Dashboard } from './Dashboard';
import { healthLabel, type NodeHealth } from './health';
import { TrainingStore } from './store';
import './training.css';

export type DockTab = 'charts' | 'gradients' | 'results' | 'history' | 'settings';

interface TrainingContextValue {
  store: TrainingStore;
  project: Project;
  analysis: GraphAnalysis;
  open: boolean;
  setOpen: (open: boolean) => void;
  tab: DockTab;
  setTab: (tab: DockTab) => void;
  layer: string | null;
  /** opens the gradients tab on one node's parameters */
  openLayer: (nodeId: string | null) => void;
  extras: RunExtras;
  setExtras: (extras: RunExtras) => void;
  train: () => void;
  editTraining: (edit: (training: Training) => Training, key: string) => void;
  notify: (text: string, kind?: 'info' | 'error') => void;
  /** the engine's info when ready (devices for the settings and the device check before a run) */
  engine: EngineInfo | null;
}

const TrainingContext = createContext<TrainingContextValue | null>(null);

export function useTraining(): TrainingContextValue {
  const value = useContext(TrainingContext);
  if (value === null) throw new Error('E_INTERNAL: useTraining outside <TrainingProvider>');
  return value;
}

/** Re-renders on store changes (coalesced for metric bursts). */
export function useStoreVersion(store: TrainingStore): number {
  return useSyncExternalStore(store.subscribe, store.getVersion);
}

export interface TrainingProviderProps {
  api: Api;
  project: Project;
  analysis: GraphAnalysis;
  onEdit: (edit: (project: Project) => Project, key?: string) => void;
  onNotice: (text: string, kind?: 'info' | 'error') => void;
  /** the engine's info when it is ready */
  engine?: EngineInfo | null;
  children: ReactNode;
}

const defaultExtras: RunExtras = { anomaly: false, paramStatsEvery: 25, histogramEvery: 250 };

export function TrainingProvider({ api, project, analysis, onEdit, onNotice, engine = null, children }: TrainingProviderProps) {
  const [store] = useState(() => new TrainingStore(api));
  const [open, setOpen] = useState(false);
  const [tab, setTab] = useState<DockTab>('charts');
  const [layer, setLayer] = useState<string | null>(null);
  const [extras, setExtras] = useState<RunExtras>(defaultExtras);
  useEffect(() => store.connect(), [store]);
  useEffect(() => store.setPaths(analysis.paths), [store, analysis.paths]);

  const editTraining = useCallback((edit: (training: Training) => Training, key: string) => onEdit((p) => ({ ...p, training: edit(p.training) }), key), [onEdit]);

  const train = useCallback(() => {
    const current = store.current?.info;
    if (store.starting) return;
    if (current !== null && current !== undefined && !isFinalRunState(current.state)) {
      onNotice(`A run is already ${current.state}; stop it first.`, 'error');
      return;
    }
    if (analysis.errors.length > 0) {
      const first = analysis.errors[0];
      onNotice(`Fix the graph first (${analysis.errors.length} problem${analysis.errors.length > 1 ? 's' : ''}): ${first?.code ?? ''} ${first?.message ?? ''}`, 'error');
      return;
    }
    const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss, requireLoss: true });
    if (!compiled.ok) {
      const first = compiled.errors[0];
      onNotice(`The graph does not compile: ${first?.code ?? ''} ${first?.message ?? ''}`, 'error');
      return;
    }
    const errors = checkTraining(project.training, engine).filter((i) => i.severity === 'error');
    if (errors.length > 0) {
      setOpen(true);
      setTab('settings');
      onNotice(`Fix the training settings first: ${errors[0]?.field ?? ''} ${errors[0]?.message ?? ''}`, 'error');
      return;
    }
    setOpen(true);
    setTab((t) => (t === 'settings' || t === 'history' ? 'charts' : t));
    store
      .start({
        projectJson: serializeProject(project),
        options: { paramStatsEvery: extras.paramStatsEvery, histogramEvery: extras.histogramEvery, ...(extras.anomaly ? { anomaly: true } : {}) },
      })
      .catch((error: unknown) => {
        const info = toErrorInfo(error);
        onNotice(`${info.code}: ${info.message}`, 'error');
      });
  }, [analysis.errors, engine, extras, onNotice, project, store]);

  // Ctrl/⌘+Enter trains (anywhere but a text field, where Enter commits the field).
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey) || event.shiftKey || event.altKey) return;
      if (document.querySelector('.modal') !== null) return;
      event.preventDefault();
      train();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [train]);

  const openLayer = useCallback((nodeId: string | null) => {
    setLayer(nodeId);
    setOpen(true);
    setTab('gradients');
  }, []);

  const value = useMemo<TrainingContextValue>(
    () => ({ store, project, analysis, open, setOpen, tab, setTab, layer, openLayer, extras, setExtras, train, editTraining, notify: onNotice, engine }),
    [store, project, analysis, open, tab, layer, openLayer, extras, train, editTraining, onNotice, engine],
  );
  return <TrainingContext.Provider value={value}>{children}</TrainingContext.Provider>;
}

/** The small live dot on a canvas node: its parameters' gradient health; click opens its charts. */
export function NodeHealthBadge({ nodeId }: { nodeId: string }) {
  const context = useContext(TrainingContext);
  const store = context?.store ?? null;
  const health = useSyncExternalStore(
    store?.subscribe ?? noSubscribe,
    (): NodeHealth | undefined => store?.nodeHealth.get(nodeId),
  );
  if (context === null || health === undefined) return null;
  const detail = health.params.map((p) => `${p.key}: grad ${p.gradNorm.toExponential(1)}, update/weight ${p.weightNorm > 0 ? (p.updateNorm / p.weightNorm).toExponential(1) : '–'}`).join('\n');
  return (
    <button
      type="button"
      className={`health-dot nodrag level-${health.level}`}
      data-testid="gradient-health"
      data-level={health.level}
      aria-label={`Gradient health: ${healthLabel(health.level)} at step ${health.step}. Open layer charts`}
      title={`${healthLabel(health.level)} (step ${health.step})\n${detail}\nClick for this layer's charts`}
      onClick={(event) => {
        event.stopPropagation();
        context.openLayer(nodeId);
      }}
    />
  );
}

const noSubscribe = (): (() => void) => () => undefined;

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const failureStates = new Set(['diverged', 'failed', 'crashed']);

function FailurePanel({ info, step }: { info: RunInfo; step: number | null }) {
  const { store, editTraining, setOpen, setTab, setExtras, extras, notify } = useTraining();
  const code = info.error?.code;
  const headline =
    info.state === 'diverged' ? `Diverged at step ${step ?? info.step}`
      : code === 'E_OOM' ? `Out of memory at step ${info.step}`
        : code === 'E_DATASET' ? 'Dataset error'
          : info.state === 'crashed' ? `Crashed at step ${info.step}`
            : `Failed at step ${info.step}`;
  const resume = (): void => void store.resume(info.id).catch((error: unknown) => notify(toErrorInfo(error).message, 'error'));
  return (
    <div className={`run-failure state-${info.state}`} role="alert" data-testid="run-failure">
      <div className="run-failure-text">
        <strong>{headline}</strong>
        {info.message !== undefined && <span className="run-failure-message">{info.message}</span>}
      </div>
      <div className="button-row">
        {info.resumable && info.lastCheckpoint !== null && (
          <button type="button" onClick={resume}>
            Resume from checkpoint
          </button>
        )}
        {(info.state === 'diverged' || code === 'E_RUN') && (
          <button
            type="button"
            onClick={() => {
              editTraining((t) => ({ ...t, optimizer: { ...t.optimizer, lr: Number((t.optimizer.lr / 10).toPrecision(3)) } }), 'training-optimizer-lr');
              notify('Learning rate divided by 10; press Train to try again.');
            }}
          >
            Lower the learning rate ÷10
          </button>
        )}
        {info.state === 'diverged' && (
          <>
            <button type="button" onClick={() => editTraining((t) => ({ ...t, gradientClipping: t.gradientClipping ?? { maxNorm: 1, normType: 2 } }), 'training-clip')}>
              Turn on gradient clipping
            </button>
            {!extras.anomaly && (
              <button type="button" onClick={() => setExtras({ ...extras, anomaly: true })}>
                Turn on anomaly mode
              </button>
            )}
          </>
        )}
        {code === 'E_OOM' && (
          <button type="button" onClick={() => editTraining((t) => ({ ...t, batchSize: Math.max(1, Math.floor(t.batchSize / 2)) }), 'training-batchSize')}>
            Halve the batch size
          </button>
        )}
        {(code === 'E_DATASET' || code === 'E_PROJECT_INVALID') && (
          <button
            type="button"
            onClick={() => {
              setOpen(true);
              setTab('settings');
            }}
          >
            Open the settings
          </button>
        )}
      </div>
    </div>
  );
}

export function TrainingDock() {
  const { store, project, open, setOpen, tab, setTab, train, editTraining, extras, setExtras, notify, engine } = useTraining();
  useStoreVersion(store);
  const flow = useReactFlow();
  // The canvas changes height with the dock: keep the graph in view.
  // NOTE: only when `open` changes: useReactFlow() returns a new object once the viewport is initialised, and
  // fitting then moved the view under the user (a second palette drop landed elsewhere than dropped).
  const flowRef = useRef(flow);
  flowRef.current = flow;
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const frame = requestAnimationFrame(() => void flowRef.current.fitView({ padding: 0.15, duration: 200, maxZoom: 1.2 }));
    return () => cancelAnimationFrame(frame);
  }, [open]);
  const [saveOnStop, setSaveOnStop] = useState(true);
  const run = store.current;
  const info = run?.info ?? null;
  const state = info?.state ?? null;
  const active = store.starting || (state !== null && !isFinalRunState(state));
  const step = run?.lastStep ?? null;
  const progress = state === 'completed' ? 1 : (step?.progress ?? 0);
  const epochs = info?.epochs || info?.settings?.epochs || project.training.epochs;
  const epochNow = step !== null ? step.epoch + 1 : (info?.epoch ?? 0);
  const call = (promise: Promise<unknown>): void => void promise.catch((error: unknown) => notify(`${toErrorInfo(error).code}: ${toErrorInfo(error).message}`, 'error'));
  const last = run?.epochs[run.epochs.length - 1];
  const tabs: [DockTab, string][] = [['charts', 'Charts'], ['gradients', 'Gradients'], ['results', 'Results'], ['history', 'History'], ['settings', 'Settings']];

  return (
    <section className={`training-dock${open ? ' open' : ''}`} aria-label="Training">
      <div className="run-bar" role="toolbar" aria-label="Training controls">
        <div className="run-buttons">
          <button type="button" className="primary train-button" onClick={train} disabled={active} title="Validate, compile and train with the project's settings (Ctrl/⌘+Enter)">
            ▶ Train
          </button>
          {state === 'paused' ? (
            <button type="button" onClick={() => info !== null && call(store.resume(info.id))}>
              Resume
            </button>
          ) : (
            <button type="button" onClick={() => info !== null && call(store.pause(info.id))} disabled={state !== 'running'}>
              Pause
            </button>
          )}
          <button type="button" onClick={() => info !== null && call(store.stop(info.id, saveOnStop))} disabled={!active}>
            Stop
          </button>
          <label className="save-on-stop" title="Write a checkpoint when stopping, so the run can be resumed">
            <input type="checkbox" checked={saveOnStop} onChange={(event) => setSaveOnStop(event.target.checked)} /> save checkpoint
          </label>
        </div>
        {store.starting && (info === null || isFinalRunState(info.state)) && (
          <div className="run-progress">
            <span className="run-state state-starting" data-testid="run-state">
              starting
            </span>
            <span className="run-numbers">starting a trainer process…</span>
          </div>
        )}
        {info !== null && !(store.starting && isFinalRunState(info.state)) && (
          <div className="run-progress" data-testid="run-progress">
            <span className={`run-state state-${info.state}`} data-testid="run-state">
              {info.state}
            </span>
            <div className="progress" role="progressbar" aria-label="Run progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)}>
              <div className="progress-fill" style={{ transform: `scaleX(${Math.min(1, Math.max(0, progress))})` }} />
            </div>
            <span className="run-numbers">
              epoch {Math.min(epochNow, epochs)}/{epochs} · step {step?.step ?? info.step}
              {active && step?.etaSec != null ? ` · ETA ${formatDuration(step.etaSec)}` : ''}
              {step !== null ? ` · loss ${step.loss.toPrecision(4)}` : ''}
              {last?.valAccuracy != null ? ` · val acc ${(last.valAccuracy * 100).toFixed(1)}%` : ''}
            </span>
          </div>
        )}
        <div className="dock-tabs" role="tablist" aria-label="Training views">
          {tabs.map(([id, label]) => (
            <button
              key={id}
              type="button"
              role="tab"
              aria-selected={open && tab === id}
              className={`dock-tab${open && tab === id ? ' selected' : ''}`}
              onClick={() => {
                setTab(id);
                setOpen(true);
              }}
            >
              {label}
            </button>
          ))}
          <button type="button" className="dock-toggle" aria-label={open ? 'Hide the training panel' : 'Show the training panel'} aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? '▾' : '▴'}
          </button>
        </div>
      </div>
      {info !== null && failureStates.has(info.state) && <FailurePanel info={info} step={run?.failureStep() ?? null} />}
      {open && (
        <div className="dock-body" role="tabpanel" aria-label={tabs.find(([id]) => id === tab)?.[1]}>
          {tab === 'settings' ? <TrainingSettings project={project} onChange={editTraining} extras={extras} onExtras={setExtras} engine={engine} /> : <Dashboard tab={tab} />}
        </div>
      )}
    </section>
  );
}

export { formatDuration };
