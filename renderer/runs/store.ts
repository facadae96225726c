// The training store: every run the window knows (history from listRuns, live data from runStatus/runMetrics events),
// which run the dashboard shows, which runs are overlaid, and per-node gradient health for the canvas. Plain TS with a
// subscribe/snapshot pair for useSyncExternalStore; metric bursts notify at most every `throttleMs`.
import { decodeSteps, isFinalRunState, type Api, type RunInfo, type RunMetric, type StartRunRequest, type Unsubscribe } from '../../shared/api';
import { defaultThresholds, healthByNode, type HealthThresholds, type NodeHealth } from './health';
import { RunData } from './runData';

export class TrainingStore {
  readonly runs = new Map<string, RunData>();
  history: RunInfo[] = [];
  currentId: string | null = null;
  overlay = new Set<string>();
  nodeHealth = new Map<string, NodeHealth>();
  thresholds: HealthThresholds = defaultThresholds;
  private paths: ReadonlyMap<string, string> = new Map();
  private listeners = new Set<() => void>();
  private version = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: Unsubscribe[] = [];
  /** logs being read, so concurrent loads of one run share a request */
  private loading = new Map<string, Promise<RunData>>();

  constructor(
    private readonly api: Api,
    private readonly throttleMs = 300,
  ) {}

  /** Subscribes to the host's run events and loads the history; returns a disposer. */
  connect(): () => void {
    this.unsubscribe.push(
      this.api.on('runStatus', (info) => this.onStatus(info)),
      this.api.on('runMetrics', ({ runId, metrics }) => this.onMetrics(runId, metrics)),
    );
    this.refreshHistory();
    return () => {
      for (const u of this.unsubscribe) u();
      this.unsubscribe = [];
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
    };
  }

  refreshHistory(): void {
    this.api.listRuns().then(
      (list) => {
        const live = new Map(this.history.map((r) => [r.id, r]));
        this.history = list.map((r) => live.get(r.id) ?? r);
        this.notify(true);
      },
      () => undefined,
    );
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  /** now: notify at once (state changes); otherwise coalesce (metrics). */
  notify(now = false): void {
    if (now) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.emit();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.emit();
    }, this.throttleMs);
  }

  private emit(): void {
    this.version += 1;
    for (const l of [...this.listeners]) l();
  }

  data(id: string): RunData {
    let run = this.runs.get(id);
    if (run === undefined) {
      run = new RunData(this.history.find((r) => r.id === id) ?? null);
      this.runs.set(id, run);
    }
    return run;
  }

  get current(): RunData | null {
    return this.currentId === null ? null : (this.runs.get(this.currentId) ?? null);
  }

  private onStatus(info: RunInfo): void {
    // The trainer reports progress as status too (every epoch): only a change of state re-renders at once.
    const changed = this.runs.get(info.id)?.info?.state !== info.state;
    const at = this.history.findIndex((r) => r.id === info.id);
    if (at >= 0) this.history = this.history.map((r, i) => (i === at ? info : r));
    else this.history = [info, ...this.history];
    const known = this.runs.has(info.id);
    this.data(info.id).info = info;
    this.data(info.id).version += 1;
    if (changed && info.id === this.currentId) this.updateHealth();
    this.notify(changed);
    // The live stream carried ≤ 20 steps a second: a finished run shown here is re-read with every step from its log.
    if (changed && known && isFinalRunState(info.state)) {
      this.load(info.id, true).then(
        () => this.notify(true),
        () => undefined,
      );
    }
  }

  private onMetrics(runId: string, metrics: readonly RunMetric[]): void {
    const run = this.data(runId);
    run.ingest(metrics);
    if (runId === this.currentId && metrics.some((m) => m.kind === 'params')) this.updateHealth();
    this.notify(metrics.some((m) => m.kind === 'evaluation'));
  }

  /** Node id → module path, from the graph analysis, for the canvas indicators. */
  setPaths(paths: ReadonlyMap<string, string>): void {
    if (paths === this.paths) return;
    this.paths = paths;
    this.updateHealth();
  }

  setThresholds(thresholds: HealthThresholds): void {
    this.thresholds = thresholds;
    this.updateHealth();
    this.notify(true);
  }

  private updateHealth(): void {
    const run = this.current;
    const last = run?.lastParams ?? null;
    const health = last === null ? new Map<string, NodeHealth>() : healthByNode(last.params, last.step, this.paths, this.thresholds);
    // A diverged run names the module whose output went NaN/inf ("… in fc2; …"): mark that node non-finite.
    const where = run?.info?.state === 'diverged' ? /NaN\/inf at step (\d+).*? in ([\w.]+)[;,]/.exec(run.info.message ?? '') : null;
    if (where?.[2] !== undefined) {
      for (const [node, path] of this.paths) {
        if (path === where[2]) health.set(node, { level: 'nonfinite', step: Number(where[1]), params: health.get(node)?.params ?? [] });
      }
    }
    this.nodeHealth = health;
  }

  /** true from the Train click until the host answers (starting a trainer process can take seconds) */
  starting = false;

  async start(request: StartRunRequest): Promise<RunInfo> {
    this.starting = true;
    this.notify(true);
    let info: RunInfo;
    try {
      info = await this.api.startRun(request);
    } finally {
      this.starting = false;
      this.notify(true);
    }
    const run = this.data(info.id);
    run.info = info;
    this.currentId = info.id;
    this.onStatus(info);
    this.updateHealth();
    return info;
  }

  /** Shows a run: live data if the window has it, else its whole log from the host. */
  async show(id: string): Promise<void> {
    this.currentId = id;
    await this.load(id);
    this.updateHealth();
    this.notify(true);
  }

  /**
   * Reads a run's whole log (history and overlays: every step from its step log, every metric record), once, or again
   * with `refresh` (a live run's data since the last read came from the rate-limited stream).
   */
  load(id: string, refresh = false): Promise<RunData> {
    const pending = this.loading.get(id);
    if (pending !== undefined) return pending;
    const run = this.data(id);
    if (run.complete && !refresh) return Promise.resolve(run);
    const loading = this.api.openRun(id).then(
      (log) => {
        this.loading.delete(id);
        const live = this.data(id);
        const fresh = new RunData(live.info ?? log.info);
        if (log.steps !== undefined) fresh.ingestSteps(decodeSteps(log.steps));
        fresh.ingest(log.metrics);
        // Live events that arrived while the log was read are newer than it; replaying them is idempotent.
        fresh.ingest(collect(live));
        fresh.complete = true;
        fresh.endedWhenRead = isFinalRunState(log.info.state);
        fresh.version = live.version + 1;
        this.runs.set(id, fresh);
        return fresh;
      },
      (error: unknown) => {
        this.loading.delete(id);
        throw error;
      },
    );
    this.loading.set(id, loading);
    return loading;
  }

  /** A run with every step so far (CSV export): re-read unless it ended and its whole log was read since. */
  full(id: string): Promise<RunData> {
    return this.load(id, !this.data(id).endedWhenRead);
  }

  async toggleOverlay(id: string): Promise<void> {
    if (this.overlay.has(id)) this.overlay.delete(id);
    else {
      await this.load(id);
      this.overlay.add(id);
    }
    this.overlay = new Set(this.overlay);
    this.notify(true);
  }

  pause(id: string): Promise<RunInfo> {
    return this.api.pauseRun(id);
  }

  resume(id: string): Promise<RunInfo> {
    if (id !== this.currentId) this.currentId = id;
    return this.api.resumeRun(id);
  }

  stop(id: string, save: boolean): Promise<RunInfo> {
    return this.api.stopRun(id, { save });
  }
}

/** The metrics a live RunData holds, as records again (for merging with a log read later). */
function collect(run: RunData): RunMetric[] {
  const out: RunMetric[] = [];
  const loss = run.loss;
  for (let i = 0; i < loss.length; i += 1) {
    out.push({ kind: 'step', t: 0, step: loss.x[i]!, epoch: 0, loss: loss.y[i]!, lr: run.lr.y[i] ?? 0, samplesPerSec: 0, etaSec: null, progress: 0 });
  }
  for (const e of run.epochs) out.push({ kind: 'epoch', t: 0, ...e });
  for (const h of run.histograms) out.push(h);
  if (run.lastParams !== null) out.push(run.lastParams);
  if (run.test !== null) out.push(run.test);
  if (run.evaluation !== null) out.push(run.evaluation);
  for (const s of run.states) out.push(s);
  for (const c of run.checkpoints) out.push(c);
  return out;
}
