// The Api implementation shared by the Electron app, the browser-mode server and the CLI.
import { platform } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import {
  ApiError,
  toErrorInfo,
  type Api,
  type ApiEventData,
  type ApiEventName,
  type AppInfo,
  type EngineStatus,
  type HostMode,
  type Unsubscribe,
} from '../../shared/api';
import type { TrainerLauncher } from './launcher';
import { findPackageRoot } from './paths';
import { createProjectStore, type ProjectStoreOptions } from './projects';
import { RunManager, resolveProjectRequest } from './runs';
import { TrainerClient } from './trainerClient';

export interface HostOptions {
  mode: HostMode;
  version: string;
  launcher: TrainerLauncher;
  /** Checked before each launch so a missing build says "run npm run build:js". */
  trainerEntry?: string;
  timeoutMs?: number;
  /** Where samples, recent files, the recovery file and the file browser's default folder are (defaults in projects.ts). */
  projects?: Partial<ProjectStoreOptions>;
  /** Where training runs are kept (default $NETWRIGHT_RUNS_DIR or ~/.netwright/runs). */
  runsDir?: string;
}

/** The host: an Api plus lifecycle. `start()` launches the trainer; `dispose()` stops it. */
export interface Host extends Api {
  /** Launches the trainer and resolves with the resulting status (never rejects). */
  start(): Promise<EngineStatus>;
  dispose(): void;
  /** The training runs (each in its own trainer process). */
  readonly runs: RunManager;
}

type Listener<E extends ApiEventName> = (data: ApiEventData<E>) => void;

export function createHost(options: HostOptions): Host {
  let status: EngineStatus = { state: 'starting' };
  let trainer: TrainerClient | null = null;
  let starting: Promise<EngineStatus> | null = null;
  let disposed = false;
  const listeners: { [E in ApiEventName]: Set<Listener<E>> } = {
    engineStatus: new Set(),
    runStatus: new Set(),
    runMetrics: new Set(),
    // The desktop shell (main/app) sends menu commands to its windows itself; the host never emits them.
    menuCommand: new Set(),
  };
  const runs = new RunManager(
    {
      launcher: options.launcher,
      ...(options.trainerEntry !== undefined ? { trainerEntry: options.trainerEntry } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.runsDir !== undefined ? { runsDir: options.runsDir } : {}),
      engineInfo: () => (status.state === 'ready' ? status.info : null),
    },
    {
      status: (info) => {
        for (const listener of listeners.runStatus) listener(info);
      },
      metrics: (runId, metrics) => {
        for (const listener of listeners.runMetrics) listener({ runId, metrics });
      },
    },
  );

  const setStatus = (next: EngineStatus): void => {
    status = next;
    for (const listener of listeners.engineStatus) listener(next);
  };

  const launch = async (): Promise<EngineStatus> => {
    setStatus({ state: 'starting' });
    const client = new TrainerClient({
      launcher: options.launcher,
      ...(options.trainerEntry !== undefined ? { entry: options.trainerEntry } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    trainer = client;
    try {
      await client.start();
      client.onUnexpectedExit((error) => {
        if (trainer === client && !disposed) setStatus({ state: 'error', error: error.toInfo() });
      });
      const info = await client.engineInfo();
      if (trainer === client) setStatus({ state: 'ready', info });
    } catch (error: unknown) {
      if (trainer === client) setStatus({ state: 'error', error: toErrorInfo(error) });
    }
    return status;
  };

  const start = (): Promise<EngineStatus> => {
    if (disposed) return Promise.resolve(status);
    starting ??= launch().finally(() => {
      starting = null;
    });
    return starting;
  };

  const projects = createProjectStore({
    samplesDir: options.projects?.samplesDir ?? join(findPackageRoot(), 'samples'),
    ...(options.projects?.dataDir !== undefined ? { dataDir: options.projects.dataDir } : {}),
    ...(options.projects?.projectsDir !== undefined ? { projectsDir: options.projects.projectsDir } : {}),
  });

  const appInfo: AppInfo = { name: 'Netwright', version: options.version, mode: options.mode, platform: platform() };

  return {
    start,
    dispose() {
      disposed = true;
      runs.dispose();
      trainer?.stop();
      trainer = null;
    },
    getAppInfo: () => Promise.resolve(appInfo),
    getEngineStatus: () => Promise.resolve(status),
    async restartEngine() {
      if (disposed) throw new ApiError('E_INTERNAL', 'The host has been shut down.');
      if (starting !== null) await starting;
      const old = trainer;
      trainer = null;
      old?.stop();
      return start();
    },
    listSamples: () => projects.listSamples(),
    newProject: () => projects.newProject(),
    openProject: (path) => projects.openProject(path),
    saveProject: (path, text) => projects.saveProject(path, text),
    saveProjectAs: (path, text, saveOptions) => projects.saveProjectAs(path, text, saveOptions),
    recentProjects: () => projects.recentProjects(),
    writeRecovery: (text, path) => projects.writeRecovery(text, path),
    readRecovery: () => projects.readRecovery(),
    listDirectory: (path) => projects.listDirectory(path),
    runs,
    startRun: (request) => runs.start(request),
    async previewDataset(request) {
      const { projectJson, baseDir } = resolveProjectRequest(request);
      await start();
      if (trainer === null) throw new ApiError('E_TRAINER_EXIT', 'The engine is not running: restart it.');
      return trainer.previewDataset(projectJson, baseDir, request.count ?? 4);
    },
    async inspectCheckpoint(request) {
      const { projectJson, baseDir } = resolveProjectRequest(request);
      await start();
      if (trainer === null) throw new ApiError('E_TRAINER_EXIT', 'The engine is not running: restart it.');
      return trainer.inspectCheckpoint(projectJson, baseDir, resolvePath(request.checkpointPath));
    },
    async graphFromCheckpoint(request) {
      await start();
      if (trainer === null) throw new ApiError('E_TRAINER_EXIT', 'The engine is not running: restart it.');
      return trainer.graphFromCheckpoint(resolvePath(request.checkpointPath), request.answers, request.name ?? 'Imported checkpoint');
    },
    async exportModel(request) {
      const { projectJson } = resolveProjectRequest(request);
      await start();
      if (trainer === null) throw new ApiError('E_TRAINER_EXIT', 'The engine is not running: restart it.');
      return trainer.exportModel(projectJson, request.weightsPath !== undefined ? resolvePath(request.weightsPath) : null, resolvePath(request.to));
    },
    pauseRun: async (id) => runs.pause(id),
    resumeRun: (id) => runs.resume(id),
    stopRun: async (id, stopOptions) => runs.stop(id, stopOptions.save),
    listRuns: async () => runs.list(),
    openRun: async (id) => runs.open(id),
    on<E extends ApiEventName>(event: E, listener: Listener<E>): Unsubscribe {
      const set = listeners[event] as Set<Listener<E>>;
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}
