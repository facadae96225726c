// One trainer process: waits for its hello, sends typed requests and matches the replies.
import { existsSync } from 'node:fs';
import { ApiError, TrainerToHostSchema, type CheckpointGraphInfo, type DatasetPreview, type ExportedFilesInfo, type EngineInfo, type ImportReportInfo, type HostToTrainer, type TrainerToHost } from '../../shared/api';
import type { TrainerExit, TrainerLauncher, TrainerProcess } from './launcher';

export interface TrainerClientOptions {
  launcher: TrainerLauncher;
  /** If set, checked before launching so a missing build gives a clear error instead of a crash log. */
  entry?: string;
  /** How long to wait for the trainer's hello and for each reply. */
  timeoutMs?: number;
}

/** The trainer's messages about runs (metrics and state changes). */
export type TrainerRunMessage = Extract<TrainerToHost, { type: 'runMetrics' | 'runState' }>;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: ApiError) => void;
  timer: NodeJS.Timeout;
}

export class TrainerClient {
  private process: TrainerProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitError: ApiError | null = null;
  private readonly exitListeners: ((error: ApiError) => void)[] = [];
  private readonly runListeners: ((message: TrainerRunMessage) => void)[] = [];
  private readonly timeoutMs: number;

  constructor(private readonly options: TrainerClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Starts the process and resolves once it has said hello. */
  async start(): Promise<void> {
    const { entry, launcher } = this.options;
    if (entry !== undefined && !existsSync(entry)) {
      throw new ApiError(
        'E_TRAINER_START',
        `Trainer entry ${entry} not found: run \`npm run build:js\` (or \`npm start\`, which builds it).`,
      );
    }
    const child = launcher.launch();
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let helloSeen = false;
      const timer = setTimeout(() => {
        reject(new ApiError('E_TRAINER_TIMEOUT', `Trainer (${launcher.description}) did not start within ${this.timeoutMs} ms.`));
        child.kill();
      }, this.timeoutMs);
      child.onMessage((raw) => {
        const parsed = TrainerToHostSchema.safeParse(raw);
        if (!parsed.success) {
          console.error(`[host] ignoring malformed trainer message: ${parsed.error.message}`);
          return;
        }
        const message = parsed.data;
        if (message.type === 'hello') {
          helloSeen = true;
          clearTimeout(timer);
          resolve();
          return;
        }
        if (message.type === 'runMetrics' || message.type === 'runState') {
          for (const listener of this.runListeners) listener(message);
          return;
        }
        const pending = this.pending.get(message.id);
        if (pending === undefined) return;
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.type === 'result') pending.resolve(message.info);
        else if (message.type === 'preview') pending.resolve(message.preview);
        else if (message.type === 'importReport') pending.resolve(message.report);
        else if (message.type === 'checkpointGraph') pending.resolve(message.graph);
        else if (message.type === 'exported') pending.resolve(message.exported);
        else pending.reject(ApiError.from(message.error));
      });
      child.onExit((exit) => {
        const error = this.describeExit(exit, child);
        this.exitError = error;
        this.process = null;
        if (!helloSeen) {
          clearTimeout(timer);
          reject(error);
        }
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          pending.reject(error);
          this.pending.delete(id);
        }
        if (helloSeen) for (const listener of this.exitListeners) listener(error);
      });
    });
  }

  /** Called when the trainer exits after a successful start. */
  onUnexpectedExit(listener: (error: ApiError) => void): void {
    this.exitListeners.push(listener);
  }

  /** Run metrics and state changes from this trainer. */
  onRunMessage(listener: (message: TrainerRunMessage) => void): void {
    this.runListeners.push(listener);
  }

  /** Sends a run request or control message; false when the trainer is not running. */
  send(message: HostToTrainer): boolean {
    if (this.process === null) return false;
    this.process.send(message);
    return true;
  }

  /** Kills the process at once (no shutdown message): what a crash looks like, for tests. */
  kill(): void {
    this.process?.kill();
  }

  engineInfo(): Promise<EngineInfo> {
    return this.request<EngineInfo>('engineInfo', (id) => ({ type: 'engineInfo', id }));
  }

  /** A preview of the project's dataset, computed in the trainer process (it holds the dataset readers). */
  previewDataset(projectJson: string, baseDir: string | null, count: number): Promise<DatasetPreview> {
    return this.request<DatasetPreview>('previewDataset', (id) => ({ type: 'previewDataset', id, projectJson, baseDir, count }));
  }

  inspectCheckpoint(projectJson: string, baseDir: string | null, checkpointPath: string): Promise<ImportReportInfo> {
    return this.request<ImportReportInfo>('inspectCheckpoint', (id) => ({ type: 'inspectCheckpoint', id, projectJson, baseDir, checkpointPath }));
  }

  graphFromCheckpoint(checkpointPath: string, answers: Record<string, string>, name: string): Promise<CheckpointGraphInfo> {
    return this.request<CheckpointGraphInfo>('graphFromCheckpoint', (id) => ({ type: 'graphFromCheckpoint', id, checkpointPath, answers, name }));
  }

  /** Writes the project (and weights) to `to`; the trainer loads the engine for a fresh model when weightsPath is null. */
  exportModel(projectJson: string, weightsPath: string | null, to: string): Promise<ExportedFilesInfo> {
    return this.request<ExportedFilesInfo>('exportModel', (id) => ({ type: 'exportModel', id, projectJson, weightsPath, to }));
  }

  // One request/reply exchange matched by id, with the client's timeout.
  private request<T>(what: string, make: (id: number) => HostToTrainer): Promise<T> {
    const child = this.process;
    if (child === null) {
      return Promise.reject(this.exitError ?? new ApiError('E_TRAINER_EXIT', 'Trainer is not running: restart the engine.'));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError('E_TRAINER_TIMEOUT', `Trainer did not answer ${what} within ${this.timeoutMs} ms.`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: (value) => resolve(value as T), reject, timer });
      child.send(make(id));
    });
  }

  stop(): void {
    const child = this.process;
    this.process = null;
    if (child === null) return;
    child.send({ type: 'shutdown' });
    child.kill();
  }

  private describeExit(exit: TrainerExit, child: TrainerProcess): ApiError {
    const launched = this.options.launcher.description;
    if (exit.spawnError !== undefined) {
      return new ApiError('E_TRAINER_START', `Could not start the trainer (${launched}): ${exit.spawnError}.`);
    }
    const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
    const tail = child.stderrTail();
    const detail = tail === '' ? '' : `\n${tail}`;
    return new ApiError(
      'E_TRAINER_EXIT',
      `The trainer process (${launched}) exited with ${how}. Check the output above; if the build is stale run \`npm run build\`.${detail}`,
    );
  }
}
