// The app shell: start page or editor (palette, canvas, inspector, summary), files, shortcuts and the engine status line.
import { ReactFlowProvider, type ReactFlowInstance } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { toErrorInfo, type Api, type RecentProject, type Recovery, type SampleInfo } from '../shared/api';
import { analyzeGraph, parseProject, serializeProject, type Graph, type GraphAnalysis, type Project } from '../shared/graph';
import { layers } from '../shared/layers';
import { useAppInfo, useEngineStatus } from './api/hooks';
import { Canvas, type FitRequest, type NoticeAction, type Sizes } from './canvas/Canvas';
import { errorsByNode } from './canvas/nodeView';
import { FileDialog } from './files/FileDialog';
import { Inspector } from './inspector/Inspector';
import { Palette, type PaletteItem } from './palette/Palette';
import { Modal } from './shell/Modal';
import { commandFor, shortcuts, type Command } from './shell/shortcuts';
import { StartPage } from './shell/StartPage';
import { TopBar } from './shell/TopBar';
import { StatusLine } from './status/StatusLine';
import { editorReducer, emptySelection, initialEditor, isDirty, type Selection } from './store/editor';
import { addNode, autoLayout, copyNodes, groupNodes, nodeSize, pasteNodes, removeItems, ungroup } from './store/graphOps';
import { ModelSummary } from './summary/ModelSummary';
import { TrainingDock, TrainingProvider } from './runs/Training';
import { MenuTraining } from './shell/MenuTraining';
import { useInterop } from './interop/Interop';
import { useFromCheckpoint } from './interop/FromCheckpoint';

const paletteItems: readonly PaletteItem[] = layers.map((spec) => ({ id: spec.id, title: spec.title, category: spec.category, summary: spec.summary }));

type Theme = 'light' | 'dark';
type Notice = { id: number; text: string; kind: 'info' | 'error'; action?: NoticeAction };
type Dialog =
  | { kind: 'file'; mode: 'open' | 'save' }
  | { kind: 'confirm'; title: string; message: string; actions: { label: string; primary?: boolean; run: () => void }[] }
  | { kind: 'help' };

/** Analysis ignores positions, so a drag (positions only) reuses the last analysis. */
function sameStructure(a: Graph, b: Graph): boolean {
  if (a.edges !== b.edges || a.groups !== b.groups || a.root?.kind !== b.root?.kind || a.nodes.length !== b.nodes.length) return false;
  return a.nodes.every((node, index) => {
    const other = b.nodes[index];
    return other !== undefined && (other === node || (other.id === node.id && other.layer === node.layer && other.params === node.params && other.pinned === node.pinned && other.name === node.name && other.group === node.group));
  });
}

function useAnalysis(project: Project | null): GraphAnalysis | null {
  const last = useRef<{ graph: Graph; loss: string | null; analysis: GraphAnalysis } | null>(null);
  return useMemo(() => {
    if (project === null) return null;
    const cached = last.current;
    if (cached !== null && cached.loss === project.training.loss && sameStructure(cached.graph, project.graph)) {
      last.current = { ...cached, graph: project.graph };
      return cached.analysis;
    }
    const analysis = analyzeGraph(project.graph, { lossNode: project.training.loss });
    last.current = { graph: project.graph, loss: project.training.loss, analysis };
    return analysis;
  }, [project]);
}

function initialTheme(): Theme {
  const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem('netwright.theme');
  if (stored === 'light' || stored === 'dark') return stored;
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

const isTextField = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable);

export function App({ api }: { api: Api }) {
  const appInfo = useAppInfo(api);
  const { status, restart } = useEngineStatus(api);
  const [state, dispatch] = useReducer(editorReducer, initialEditor);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [snap, setSnap] = useState(false);
  const [showSummary, setShowSummary] = useState(false);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [samples, setSamples] = useState<SampleInfo[]>([]);
  const [recent, setRecent] = useState<RecentProject[]>([]);
  const [recovery, setRecovery] = useState<Recovery | null>(null);
  const flow = useRef<ReactFlowInstance | null>(null);
  const sizes = useRef<Sizes>(new Map());
  const fileCallback = useRef<(path: string) => void>(() => undefined);
  const stateRef = useRef(state);
  stateRef.current = state;

  const project = state.project;
  const analysis = useAnalysis(project);
  const errors = useMemo(() => (analysis === null ? new Map() : errorsByNode(analysis)), [analysis]);
  const dirty = isDirty(state);

  const notify = useCallback((text: string, kind: Notice['kind'] = 'info', action?: NoticeAction) => {
    const id = Date.now() + Math.random();
    setNotices((list) => [...list.slice(-2), { id, text, kind, ...(action !== undefined ? { action } : {}) }]);
    setTimeout(() => setNotices((list) => list.filter((notice) => notice.id !== id)), action !== undefined ? 12000 : kind === 'error' ? 7000 : 3500);
  }, []);
  const fail = useCallback((error: unknown) => notify(`${toErrorInfo(error).code}: ${toErrorInfo(error).message}`, 'error'), [notify]);

  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    localStorage.setItem('netwright.theme', theme);
  }, [theme]);

  const refreshStart = useCallback(() => {
    api.listSamples().then(setSamples, fail);
    api.recentProjects().then(setRecent, () => undefined);
    api.readRecovery().then(setRecovery, () => undefined);
  }, [api, fail]);
  useEffect(refreshStart, [refreshStart]);

  // ---- editing --------------------------------------------------------------------------------
  const edit = useCallback((change: (current: Project) => Project, key?: string, select?: Selection) => dispatch({ type: 'edit', edit: change, ...(key !== undefined ? { key } : {}), ...(select !== undefined ? { select } : {}) }), []);
  const canvasEdit = useCallback((change: (current: Project) => Project, select?: Selection) => edit(change, undefined, select), [edit]);
  const onDrag = useCallback((change: (current: Project) => Project) => dispatch({ type: 'drag', edit: change }), []);
  const onDragEnd = useCallback(() => dispatch({ type: 'dragEnd' }), []);
  const onSelect = useCallback((selection: Selection) => dispatch({ type: 'select', selection }), []);

  const [fitRequest, setFitRequest] = useState<FitRequest>({ count: 0, viewport: null });
  /** Fits the graph in view once measured, or shows `viewport` (a file's saved view) instead. */
  const fitSoon = useCallback((viewport: FitRequest['viewport'] = null) => setFitRequest((request) => ({ count: request.count + 1, viewport })), []);

  const canvasCentre = useCallback((): { x: number; y: number } => {
    const element = document.querySelector('.canvas');
    const rect = element?.getBoundingClientRect();
    if (rect === undefined || flow.current === null) return { x: 0, y: 0 };
    return flow.current.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 });
  }, []);

  const addAtCentre = useCallback(
    (layer: string) => {
      const centre = canvasCentre();
      let position = { x: centre.x - nodeSize.width / 2, y: centre.y - nodeSize.height / 2 };
      const taken = (p: { x: number; y: number }) => stateRef.current.project?.graph.nodes.some((node) => Math.abs(node.position.x - p.x) < 12 && Math.abs(node.position.y - p.y) < 12) ?? false;
      while (taken(position)) position = { x: position.x + 30, y: position.y + 30 };
      const base = stateRef.current.project;
      if (base === null) return;
      const added = addNode(base, layer, position);
      edit((current) => (current === base ? added.project : addNode(current, layer, position).project), undefined, { nodes: [added.id], edges: [], groups: [] });
    },
    [canvasCentre, edit],
  );

  // ---- files ----------------------------------------------------------------------------------
  const load = useCallback(
    (text: string, path: string | null, clean = true) => {
      try {
        const parsed = parseProject(text);
        sizes.current.clear();
        dispatch({ type: 'load', project: parsed.project, path, clean: clean && parsed.migrations.length === 0 });
        if (parsed.migrations.length > 0) notify(`Updated from an older file format (${parsed.migrations.join(', ')}); save to keep the update.`);
        // The view and selection saved with the file (a file that never had one, e.g. a sample, is fitted).
        const { ui, graph } = parsed.project;
        const saved = ui.selection;
        if (saved.length > 0) dispatch({ type: 'select', selection: { nodes: graph.nodes.filter((node) => saved.includes(node.id)).map((node) => node.id), edges: [], groups: graph.groups.filter((group) => saved.includes(group.id)).map((group) => group.id) } });
        const isDefault = ui.viewport.x === 0 && ui.viewport.y === 0 && ui.viewport.zoom === 1;
        fitSoon(isDefault ? null : ui.viewport);
      } catch (error: unknown) {
        fail(error);
      }
    },
    [fail, fitSoon, notify],
  );

  /** Runs `action` now, or after the user saves or discards unsaved changes. */
  const guard = useCallback(
    (action: () => void, verb: string) => {
      const current = stateRef.current;
      if (!isDirty(current) || current.project === null) {
        action();
        return;
      }
      setDialog({
        kind: 'confirm',
        title: 'Unsaved changes',
        message: `“${current.project.name}” has unsaved changes. Save them before you ${verb}?`,
        actions: [
          { label: 'Cancel', run: () => undefined },
          { label: 'Don’t save', run: action },
          { label: 'Save', primary: true, run: () => saveRef.current(action) },
        ],
      });
    },
    [],
  );

  const writeTo = useCallback(
    async (path: string, overwrite: boolean, after?: () => void): Promise<void> => {
      const { project: current, selection } = stateRef.current;
      if (current === null) return;
      // The file keeps the view and selection (not an edit: they are not undoable and do not make the project dirty).
      const text = serializeProject({ ...current, ui: { ...current.ui, viewport: flow.current?.getViewport() ?? current.ui.viewport, selection: [...selection.nodes, ...selection.groups] } });
      try {
        const saved = overwrite ? await api.saveProject(path, text) : await api.saveProjectAs(path, text, { overwrite: false });
        dispatch({ type: 'saved', path: saved.path, project: current });
        void api.writeRecovery(null, null).catch(() => undefined);
        notify(`Saved ${saved.path}`);
        after?.();
      } catch (error: unknown) {
        if (toErrorInfo(error).code === 'E_FILE_EXISTS') {
          setDialog({
            kind: 'confirm',
            title: 'Replace file?',
            message: `${path} already exists. Replace it?`,
            actions: [
              { label: 'Cancel', run: () => undefined },
              { label: 'Replace', primary: true, run: () => void writeTo(path, true, after) },
            ],
          });
        } else fail(error);
      }
    },
    [api, fail, notify],
  );

  const saveAs = useCallback(
    (after?: () => void) => {
      fileCallback.current = (path) => void writeTo(path, false, after);
      setDialog({ kind: 'file', mode: 'save' });
    },
    [writeTo],
  );
  const save = useCallback(
    (after?: () => void) => {
      const path = stateRef.current.path;
      if (path === null) saveAs(after);
      else void writeTo(path, true, after);
    },
    [saveAs, writeTo],
  );
  const saveRef = useRef(save);
  saveRef.current = save;

  const openPath = useCallback(
    (path: string) => {
      api.openProject(path).then((file) => load(file.text, file.path), fail);
    },
    [api, fail, load],
  );
  const open = useCallback(() => {
    guard(() => {
      fileCallback.current = openPath;
      setDialog({ kind: 'file', mode: 'open' });
    }, 'open another project');
  }, [guard, openPath]);
  const newProject = useCallback(() => {
    guard(() => {
      api.newProject().then((file) => load(file.text, null), fail);
    }, 'start a new project');
  }, [api, fail, guard, load]);
  // New from checkpoint…: the project arrives unsaved (dirty, so autosave keeps it), after the usual unsaved-work question.
  const fromCheckpoint = useFromCheckpoint({
    api,
    startDir: state.path === null ? null : state.path.replace(/[\\/][^\\/]*$/, ''),
    onCreate: (text, checkpointPath) =>
      guard(() => {
        load(text, null, false);
        notify(`New project from ${checkpointPath.replace(/^.*[\\/]/, '')}; its weights are the initial weights (strict). Save it to keep it.`);
      }, 'create a project from the checkpoint'),
  });
  const interop = useInterop({
    api, project, path: state.path, onEdit: edit, onNotice: notify,
    leading: (
      <button type="button" className="tool" aria-label="New from checkpoint…" title="A new project whose graph is inferred from a checkpoint’s state_dict…" onClick={fromCheckpoint.open}>
        From checkpoint…
      </button>
    ),
  });
  const goHome = useCallback(() => {
    guard(() => {
      dispatch({ type: 'close' });
      refreshStart();
    }, 'close this project');
  }, [guard, refreshStart]);

  // Autosave unsaved work to the host's recovery file.
  useEffect(() => {
    if (project === null || !dirty) return;
    const timer = setTimeout(() => {
      try {
        void api.writeRecovery(serializeProject(project), stateRef.current.path).catch(() => undefined);
      } catch {
        // an invalid intermediate state is not worth recovering
      }
    }, 1500);
    return () => clearTimeout(timer);
  }, [api, project, dirty]);

  // The desktop menu (File, Edit; Run is handled by <MenuTraining> inside the dashboard's provider).
  useEffect(
    () =>
      api.on('menuCommand', ({ command, path }) => {
        const hasProject = stateRef.current.project !== null;
        switch (command) {
          case 'new':
            return newProject();
          case 'open':
            return path === null ? open() : guard(() => openPath(path), 'open another project');
          case 'save':
            return hasProject ? save() : undefined;
          case 'saveAs':
            // main's native dialog already asked before replacing a file
            return !hasProject ? undefined : path === null ? saveAs() : void writeTo(path, true);
          case 'undo':
            return dispatch({ type: 'undo' });
          case 'redo':
            return dispatch({ type: 'redo' });
          case 'train':
          case 'pause':
          case 'stop':
            return hasProject ? undefined : notify('Open a project to train it.', 'info');
          case 'newFromCheckpoint': // renderer/interop (useFromCheckpoint)
          case 'importCheckpoint':
          case 'exportCheckpoint':
          case 'exportPyTorch':
          case 'exportOnnx':
            return; // renderer/interop (useInterop) handles these
        }
      }),
    [api, guard, newProject, notify, open, openPath, save, saveAs, writeTo],
  );

  useEffect(() => {
    const beforeUnload = (event: BeforeUnloadEvent): void => {
      if (isDirty(stateRef.current)) event.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => window.removeEventListener('beforeunload', beforeUnload);
  }, []);

  // ---- commands -------------------------------------------------------------------------------
  const deleteSelection = useCallback(() => {
    const { selection, project: current } = stateRef.current;
    if (current === null) return;
    const groupIds = new Set(selection.groups);
    const nodes = new Set([...selection.nodes, ...current.graph.nodes.filter((node) => node.group !== undefined && groupIds.has(node.group)).map((node) => node.id)]);
    edit((p) => removeItems(p, nodes, new Set(selection.edges)), undefined, emptySelection);
  }, [edit]);

  const selectedNodeIds = useCallback((): Set<string> => {
    const { selection, project: current } = stateRef.current;
    const groupIds = new Set(selection.groups);
    return new Set([...selection.nodes, ...(current?.graph.nodes.filter((node) => node.group !== undefined && groupIds.has(node.group)).map((node) => node.id) ?? [])]);
  }, []);

  const paste = useCallback(
    (text: string) => {
      const base = stateRef.current.project;
      if (base === null) return;
      const pasted = pasteNodes(base, text, { x: 40, y: 40 });
      if (pasted === null) return;
      edit((current) => (current === base ? pasted.project : (pasteNodes(current, text, { x: 40, y: 40 })?.project ?? current)), undefined, { nodes: pasted.ids, edges: [], groups: [] });
    },
    [edit],
  );

  const group = useCallback(() => {
    const ids = selectedNodeIds();
    const base = stateRef.current.project;
    if (ids.size === 0 || base === null) return;
    const grouped = groupNodes(base, ids);
    if (grouped === null) return;
    edit((current) => (current === base ? grouped.project : (groupNodes(current, ids)?.project ?? current)), undefined, { nodes: [], edges: [], groups: [grouped.id] });
  }, [edit, selectedNodeIds]);

  const ungroupSelection = useCallback(() => {
    const { selection, project: current } = stateRef.current;
    if (current === null) return;
    const groups = new Set(selection.groups);
    for (const id of selection.nodes) {
      const node = current.graph.nodes.find((item) => item.id === id);
      if (node?.group !== undefined) groups.add(node.group);
    }
    if (groups.size === 0) return;
    edit((p) => [...groups].reduce((acc, id) => ungroup(acc, id), p));
  }, [edit]);

  const run = useCallback(
    (command: Command) => {
      const current = stateRef.current.project;
      switch (command) {
        case 'new':
          return newProject();
        case 'open':
          return open();
        case 'help':
          return setDialog({ kind: 'help' });
        case 'escape':
          return onSelect(emptySelection);
      }
      if (current === null) return;
      switch (command) {
        case 'save':
          return save();
        case 'saveAs':
          return saveAs();
        case 'undo':
          return dispatch({ type: 'undo' });
        case 'redo':
          return dispatch({ type: 'redo' });
        case 'delete':
          return deleteSelection();
        case 'duplicate': {
          const ids = selectedNodeIds();
          if (ids.size > 0) paste(copyNodes(current, ids));
          return;
        }
        case 'selectAll':
          return onSelect({ nodes: current.graph.nodes.map((node) => node.id), edges: current.graph.edges.map((edge) => edge.id), groups: [] });
        case 'group':
          return group();
        case 'ungroup':
          return ungroupSelection();
        case 'layout':
          edit((p) => autoLayout(p, sizes.current));
          fitSoon();
          return;
        case 'fitView':
          return void flow.current?.fitView({ padding: 0.15, duration: 200, maxZoom: 1.2 });
        case 'search':
          return document.querySelector<HTMLInputElement>('.palette-search')?.focus();
        case 'summary':
          return setShowSummary((shown) => !shown);
        case 'copy':
        case 'cut':
        case 'paste':
          return; // handled by the clipboard events below
      }
    },
    [deleteSelection, edit, fitSoon, group, newProject, onSelect, open, paste, save, saveAs, selectedNodeIds, ungroupSelection],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (dialog !== null) return;
      const command = commandFor(event);
      if (command === null) return;
      const global = command === 'save' || command === 'saveAs' || command === 'open' || command === 'new';
      if (isTextField(event.target) && !global) return;
      if (event.target instanceof HTMLElement && event.target.closest('.palette, .inspector, .start-page') !== null && !global && command !== 'undo' && command !== 'redo' && command !== 'help') {
        if (command === 'delete' || command === 'selectAll' || command === 'escape') return;
      }
      event.preventDefault();
      run(command);
    };
    const inCanvas = (event: ClipboardEvent): boolean => !isTextField(event.target) && stateRef.current.project !== null && dialog === null;
    const onCopy = (event: ClipboardEvent): void => {
      const current = stateRef.current.project;
      if (!inCanvas(event) || current === null) return;
      const ids = selectedNodeIds();
      if (ids.size === 0) return;
      event.clipboardData?.setData('text/plain', copyNodes(current, ids));
      event.preventDefault();
      if (event.type === 'cut') deleteSelection();
    };
    const onPaste = (event: ClipboardEvent): void => {
      if (!inCanvas(event)) return;
      const text = event.clipboardData?.getData('text/plain') ?? '';
      if (text === '') return;
      event.preventDefault();
      paste(text);
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    document.addEventListener('cut', onCopy);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('cut', onCopy);
      document.removeEventListener('paste', onPaste);
    };
  }, [deleteSelection, dialog, paste, run, selectedNodeIds]);

  const hasSelection = state.selection.nodes.length + state.selection.edges.length + state.selection.groups.length > 0;

  return (
    <div className="app">
      <TopBar
        appInfo={appInfo}
        project={project === null ? null : { name: project.name, path: state.path, dirty, canUndo: state.past.length > 0, canRedo: state.future.length > 0, hasSelection, snap, summary: showSummary }}
        theme={theme}
        onCommand={run}
        onToggleSnap={() => setSnap((on) => !on)}
        onToggleTheme={() => setTheme((current) => (current === 'dark' ? 'light' : 'dark'))}
        onHome={goHome}
        extra={interop.buttons}
      />
      {project === null || analysis === null ? (
        <StartPage
          samples={samples}
          recent={recent}
          recovery={recovery}
          onNew={newProject}
          onNewFromCheckpoint={fromCheckpoint.open}
          onOpen={open}
          onOpenPath={openPath}
          onSample={(sample) => load(sample.text, null)}
          onRecover={(found) => {
            load(found.text, found.path, false);
            setRecovery(null);
          }}
          onDiscardRecovery={() => {
            void api.writeRecovery(null, null);
            setRecovery(null);
          }}
        />
      ) : (
        <ReactFlowProvider>
          <TrainingProvider api={api} project={project} analysis={analysis} onEdit={edit} onNotice={notify} engine={status.state === 'ready' ? status.info : null}>
          <MenuTraining api={api} />
          <main className={`workspace${showSummary ? ' with-summary' : ''}`}>
            <Palette items={paletteItems} onAdd={addAtCentre} />
            <Canvas
              project={project}
              analysis={analysis}
              errors={errors}
              selection={state.selection}
              snap={snap}
              colorMode={theme}
              sizes={sizes}
              onEdit={canvasEdit}
              onDrag={onDrag}
              onDragEnd={onDragEnd}
              onSelect={onSelect}
              onNotice={notify}
              fitRequest={fitRequest}
              onInit={(instance) => {
                flow.current = instance;
              }}
            />
            <Inspector project={project} analysis={analysis} errors={errors} selection={state.selection} onEdit={edit} onGroup={group} onDelete={deleteSelection} />
            {showSummary && <ModelSummary project={project} analysis={analysis} onClose={() => setShowSummary(false)} />}
          </main>
          <TrainingDock />
          </TrainingProvider>
        </ReactFlowProvider>
      )}
      <div className="notices" aria-live="polite">
        {notices.map((notice) => (
          <div key={notice.id} className={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
            {notice.text}
            {notice.action !== undefined && (
              <button
                type="button"
                className="fix-button notice-action"
                onClick={() => {
                  notice.action?.run();
                  setNotices((list) => list.filter((item) => item.id !== notice.id));
                }}
              >
                {notice.action.label}
              </button>
            )}
          </div>
        ))}
      </div>
      <StatusLine status={status} onRestart={restart} />
      {interop.dialogs}
      {fromCheckpoint.dialogs}
      {dialog?.kind === 'file' && (
        <FileDialog
          api={api}
          mode={dialog.mode}
          suggestedName={dialog.mode === 'save' ? `${(project?.name ?? 'untitled').replace(/[^\w.-]+/g, '-').toLowerCase()}.nwproj` : ''}
          startDir={state.path === null ? null : state.path.replace(/[\\/][^\\/]*$/, '')}
          onCancel={() => setDialog(null)}
          onChoose={(path) => {
            setDialog(null);
            fileCallback.current(path);
          }}
        />
      )}
      {dialog?.kind === 'confirm' && (
        <Modal title={dialog.title} onClose={() => setDialog(null)}>
          <p>{dialog.message}</p>
          <div className="button-row end">
            {dialog.actions.map((action) => (
              <button
                key={action.label}
                type="button"
                className={action.primary === true ? 'primary' : undefined}
                onClick={() => {
                  setDialog(null);
                  action.run();
                }}
              >
                {action.label}
              </button>
            ))}
          </div>
        </Modal>
      )}
      {dialog?.kind === 'help' && (
        <Modal title="Keyboard shortcuts" onClose={() => setDialog(null)} wide>
          <table className="shortcut-table">
            <tbody>
              {shortcuts.map((shortcut) => (
                <tr key={shortcut.command}>
                  <td>
                    <kbd>{shortcut.keys}</kbd>
                  </td>
                  <td>{shortcut.description}</td>
                </tr>
              ))}
              <tr>
                <td>
                  <kbd>Shift</kbd> + click / drag
                </td>
                <td>Add to the selection / box-select</td>
              </tr>
              <tr>
                <td>
                  <kbd>←↑→↓</kbd> (<kbd>Shift</kbd> for more)
                </td>
                <td>Move the selected nodes</td>
              </tr>
              <tr>
                <td>Inspector › Connect to…</td>
                <td>Connect the selected node’s output from the keyboard</td>
              </tr>
              <tr>
                <td>
                  <kbd>Enter</kbd> in the layer search
                </td>
                <td>Add the first match at the centre</td>
              </tr>
            </tbody>
          </table>
        </Modal>
      )}
    </div>
  );
}
