// Training runs, host side: each run gets its own trainer process (same entry and protocol as the engine's), so a
// crash ends only that run; the host keeps run.json up to date and reports a dead trainer as `crashed`.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  ApiError,
  encodeSteps,
  chooseDevice,
  isFinalRunState,
  readStepLog,
  RunInfoSchema,
  RunMetricSchema,
  type RunInfo,
  type RunLog,
  type RunMetric,
  type RunOptions,
  type StartRunRequest,
  stepLogFileName,
  type EngineInfo,
} from '../../shared/api';
import type { TrainerLauncher } from './launcher';
import { TrainerClient } from './trainerClient';

export interface RunManagerOptions {
  launcher: TrainerLauncher;
  trainerEntry?: string;
  /** where runs live: <runsDir>/<run id>/ (run.json, project.json, metrics.jsonl, steps.f64, checkpoints/) */
  runsDir?: string;
  timeoutMs?: number;
  /** the engine's devices when known: a run asking for a device this machine lacks is refused before it starts */
  engineInfo?: () => EngineInfo | null;
}

export interface RunEvents {
  status(info: RunInfo): void;
  metrics(runId: string, metrics: RunMetric[]): void;
}

interface ActiveRun {
  info: RunInfo;
  client: TrainerClient;
}

export function defaultRunsDir(): string {
  return process.env['NETWRIGHT_RUNS_DIR'] ?? join(homedir(), '.netwright', 'runs');
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A run.json still saying starting/running/paused with no trainer behind it: the app ended during the run. */
function interrupted(info: RunInfo): RunInfo {
  if (isFinalRunState(info.state)) return info;
  const message = 'The app closed while this run was in progress; resume it from its last checkpoint.';
  return { ...info, state: 'crashed', message, error: { code: 'E_TRAINER_EXIT', message }, resumable: info.lastCheckpoint !== null };
}

export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  /** run id → folder, for runs started with their own out dir */
  private readonly dirs = new Map<string, string>();
  readonly runsDir: string;

  constructor(
    private readonly options: RunManagerOptions,
    private readonly events: RunEvents,
  ) {
    this.runsDir = resolve(options.runsDir ?? defaultRunsDir());
  }

  private save(info: RunInfo): void {
    writeJsonAtomic(join(info.dir, 'run.json'), info);
    this.events.status(info);
  }

  /** Starts a run (or, with `resume`, continues one from its checkpoint) in a fresh trainer process. */
  async start(request: StartRunRequest, resume?: RunInfo): Promise<RunInfo> {
    let projectJson: string;
    let baseDir: string | null;
    if (resume !== undefined) {
      projectJson = readFileSync(join(resume.dir, 'project.json'), 'utf8');
      const meta = this.readMeta(resume.dir);
      baseDir = meta.baseDir;
    } else {
      ({ projectJson, baseDir } = resolveProjectRequest(request));
    }
    let projectName = 'project';
    let settings: RunInfo['settings'];
    let deviceSetting: string | undefined;
    try {
      const parsed = JSON.parse(projectJson) as { name?: unknown; training?: { dataset?: { name?: unknown }; optimizer?: { kind?: unknown; lr?: unknown }; batchSize?: unknown; epochs?: unknown; device?: unknown } };
      if (typeof parsed.training?.device === 'string') deviceSetting = parsed.training.device;
      if (typeof parsed.name === 'string') projectName = parsed.name;
      const t = parsed.training;
      if (typeof t?.dataset?.name === 'string' && typeof t.optimizer?.kind === 'string' && typeof t.optimizer.lr === 'number' && Number.isInteger(t.batchSize) && Number.isInteger(t.epochs)) {
        settings = { dataset: t.dataset.name, optimizer: t.optimizer.kind, lr: t.optimizer.lr, batchSize: t.batchSize as number, epochs: request.options?.epochs ?? (t.epochs as number) };
      }
    } catch {
      throw new ApiError('E_PROJECT_INVALID', 'The project is not valid JSON.');
    }
    // A device this machine does not have is refused here, before a run exists (the trainer checks again, with the
    // model's ops, when the engine's devices are not known yet).
    const wanted = (resume !== undefined ? this.readMeta(resume.dir).options.device : request.options?.device) ?? deviceSetting;
    const engine = this.options.engineInfo?.() ?? null;
    if (engine !== null && wanted !== undefined && wanted !== 'auto') {
      const choice = chooseDevice(wanted, engine);
      if (!choice.ok) throw new ApiError('E_RUN', choice.message);
    }
    const id = resume?.id ?? newRunId();
    const dir = resume?.dir ?? resolve(request.outDir ?? join(this.runsDir, id));
    const runOptions: RunOptions = resume !== undefined ? this.readMeta(dir).options : (request.options ?? {});
    mkdirSync(dir, { recursive: true });
    this.dirs.set(id, dir);
    if (resume === undefined) {
      writeFileSync(join(dir, 'project.json'), projectJson);
      writeJsonAtomic(join(dir, 'meta.json'), { baseDir, options: runOptions });
    }
    const info: RunInfo = resume !== undefined
      ? { ...resume, state: 'starting', resumable: false }
      : {
          id, projectName, dir, state: 'starting', startedAt: new Date().toISOString(), epochs: runOptions.epochs ?? 0, epoch: 0, step: 0,
          lastCheckpoint: null, resumable: false, lastEpoch: null, ...(settings !== undefined ? { settings } : {}),
        };
    delete info.message;
    delete info.error;
    delete info.endedAt;
    const client = new TrainerClient({
      launcher: this.options.launcher,
      ...(this.options.trainerEntry !== undefined ? { entry: this.options.trainerEntry } : {}),
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
    });
    const run: ActiveRun = { info, client };
    this.active.set(id, run);
    this.save(info);
    try {
      await client.start();
    } catch (error) {
      this.active.delete(id);
      const e = error instanceof ApiError ? error : new ApiError('E_TRAINER_START', String(error));
      this.save({ ...info, state: 'failed', message: e.message, error: e.toInfo(), endedAt: new Date().toISOString() });
      throw e;
    }
    client.onRunMessage((message) => {
      if (message.runId !== id) return;
      if (message.type === 'runMetrics') {
        // A checkpoint is resumable from the moment it is written, even if the trainer dies before its next state message.
        for (const m of message.metrics) if (m.kind === 'checkpoint') run.info = { ...run.info, lastCheckpoint: m.path, step: m.step, epoch: m.epoch };
        this.events.metrics(id, message.metrics);
        return;
      }
      const { type: _type, runId: _runId, ...update } = message;
      const next: RunInfo = { ...run.info, ...update, resumable: false };
      if (update.message === undefined) delete next.message;
      if (update.error === undefined) delete next.error;
      if (isFinalRunState(update.state)) {
        next.endedAt = new Date().toISOString();
        next.resumable = update.state !== 'completed' && update.lastCheckpoint !== null;
        this.active.delete(id);
        client.stop();
      }
      run.info = next;
      this.save(next);
    });
    client.onUnexpectedExit((error) => {
      if (this.active.get(id) !== run) return;
      this.active.delete(id);
      const reason = `The trainer process died during the run: ${error.message}`;
      const crashed: RunInfo = {
        ...run.info, state: 'crashed', message: reason, error: { code: 'E_TRAINER_EXIT', message: reason },
        endedAt: new Date().toISOString(), resumable: run.info.lastCheckpoint !== null,
      };
      run.info = crashed;
      const metric: RunMetric = { kind: 'state', t: Date.now(), state: 'crashed', message: reason };
      try {
        appendFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify(metric)}\n`);
      } catch {
        /* the log is best effort here; run.json below is what matters */
      }
      this.events.metrics(id, [metric]);
      this.save(crashed);
    });
    client.send({
      type: 'startRun', runId: id, dir, projectJson, baseDir, options: runOptions,
      resumeFrom: resume !== undefined ? resume.lastCheckpoint : null,
    });
    return info;
  }

  private readMeta(dir: string): { baseDir: string | null; options: RunOptions } {
    try {
      return JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { baseDir: string | null; options: RunOptions };
    } catch {
      return { baseDir: null, options: {} };
    }
  }

  private activeRun(id: string): ActiveRun {
    const run = this.active.get(id);
    if (run === undefined) throw new ApiError('E_RUN_NOT_FOUND', `No active run ${JSON.stringify(id)}; listRuns shows the runs.`);
    return run;
  }

  pause(id: string): RunInfo {
    const run = this.activeRun(id);
    run.client.send({ type: 'runControl', runId: id, action: 'pause', save: false });
    return run.info;
  }

  /** Continues a paused run, or resumes a stopped/crashed/diverged run from its last checkpoint in a new trainer. */
  async resume(id: string): Promise<RunInfo> {
    const run = this.active.get(id);
    if (run !== undefined) {
      run.client.send({ type: 'runControl', runId: id, action: 'resume', save: false });
      return run.info;
    }
    const info = this.get(id);
    if (!info.resumable || info.lastCheckpoint === null) {
      throw new ApiError('E_RUN', `Run ${id} is ${info.state} and has no checkpoint to resume from.`);
    }
    return this.start({}, info);
  }

  stop(id: string, save: boolean): RunInfo {
    const run = this.activeRun(id);
    run.client.send({ type: 'runControl', runId: id, action: 'stop', save });
    return run.info;
  }

  /** Kills a run's trainer process (tests: what a crash looks like). */
  killTrainer(id: string): void {
    this.activeRun(id).client.kill();
  }

  get(id: string): RunInfo {
    const active = this.active.get(id);
    if (active !== undefined) return active.info;
    if (!/^[\w.-]+$/.test(id)) throw new ApiError('E_RUN_NOT_FOUND', `No run ${JSON.stringify(id)}.`);
    const file = join(this.dirs.get(id) ?? join(this.runsDir, id), 'run.json');
    if (!existsSync(file)) throw new ApiError('E_RUN_NOT_FOUND', `No run ${JSON.stringify(id)} in ${this.runsDir}.`);
    return interrupted(RunInfoSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
  }

  list(): RunInfo[] {
    const found = new Map<string, RunInfo>();
    if (existsSync(this.runsDir)) {
      for (const name of readdirSync(this.runsDir)) {
        const file = join(this.runsDir, name, 'run.json');
        if (!existsSync(file)) continue;
        try {
          const info = interrupted(RunInfoSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
          found.set(info.id, info);
        } catch {
          /* a damaged run.json is skipped, not fatal */
        }
      }
    }
    for (const [id, run] of this.active) found.set(id, run.info);
    return [...found.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** A past (or running) run with every metric from its log, and every step's loss and lr. */
  open(id: string): RunLog {
    const info = this.get(id);
    const file = join(info.dir, 'metrics.jsonl');
    const metrics: RunMetric[] = [];
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const parsed = RunMetricSchema.safeParse(JSON.parse(line));
          if (parsed.success) metrics.push(parsed.data);
        } catch {
          /* a torn last line after a crash */
        }
      }
    }
    const stepsFile = join(info.dir, stepLogFileName);
    const steps = existsSync(stepsFile) ? encodeSteps(readStepLog(readFileSync(stepsFile))) : undefined;
    return { info, metrics, ...(steps !== undefined ? { steps } : {}) };
  }

  dispose(): void {
    for (const run of this.active.values()) run.client.stop();
    this.active.clear();
  }
}

/** A request's project: JSON text (relative dataset paths resolve against the working folder) or a file (against its folder). */
export function resolveProjectRequest(request: { projectJson?: string | undefined; projectPath?: string | undefined }): { projectJson: string; baseDir: string | null } {
  if (request.projectJson !== undefined && request.projectPath === undefined) return { projectJson: request.projectJson, baseDir: null };
  if (request.projectPath !== undefined && request.projectJson === undefined) {
    const path = resolve(request.projectPath);
    if (!existsSync(path)) throw new ApiError('E_FILE_NOT_FOUND', `Project file ${path} does not exist.`);
    return { projectJson: readFileSync(path, 'utf8'), baseDir: dirname(path) };
  }
  throw new ApiError('E_BAD_REQUEST', 'Give exactly one of projectJson and projectPath.');
}
