// The run loop: a project (graph + training settings) → compiled Plan, dataset splits and loaders → epochs of train
// steps with validation, LR schedule, clipping, early stopping, pause/resume/stop, metrics, and atomic checkpoints
// from which a resumed run continues bit for bit.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { chooseDevice, type DeviceName, type ErrorInfo, type EpochSummary, type RunMetric, type RunOptions, type RunState } from '../../shared/api';
import type { Plan, PlanDType } from '../../shared/api/plan';
import { compileGraph } from '../../shared/compile';
import { formatImportReport, matchStateDict } from '../../shared/export';
import { typedArray as typedArrayOf, type TensorData } from '../../shared/formats';
import { parseProject, type Project, type Training } from '../../shared/graph';
import type { Batch, BatchSource } from './batch';
import { readCheckpoint, readWeightsFile, writeCheckpoint, type Checkpoint, type StoredTensor } from './checkpoint';
import { resolveDataset, type DataSplits, type Dataset } from './datasets';
import { native, nativeModel, type Model, type NativeModule, type OptimizerConfig, type StepResult } from './engine';
import { DataLoader } from './loader';
import { mixSeed } from './random';
import { evaluationReport } from './report';
import { initialPlateau, learningRate, updatePlateau, type PlateauState } from './schedule';
import { StepLogWriter } from './stepLog';

export class RunError extends Error {
  constructor(
    readonly code: ErrorInfo['code'],
    message: string,
  ) {
    super(message);
  }
}

/** The loop's position and everything else a resumed run needs besides tensors; the checkpoint's `state`. */
export interface LoopState {
  planHash: string;
  seed: number;
  /** optimizer steps taken */
  step: number;
  epoch: number;
  /** next batch of `epoch` in its seeded order (the data order is a pure function of seed and epoch) */
  batch: number;
  batchSize: number;
  plateau: PlateauState;
  earlyStop: { best: number | null; bad: number };
  /** sums for the epoch in progress */
  accum: { loss: number; correct: number; count: number; samples: number; seconds: number };
  history: EpochSummary[];
}

export interface RunUpdate {
  state: RunState;
  message?: string;
  error?: ErrorInfo;
  epochs: number;
  epoch: number;
  step: number;
  lastCheckpoint: string | null;
  lastEpoch: EpochSummary | null;
}

export interface RunCallbacks {
  metric(metric: RunMetric): void;
  update(update: RunUpdate): void;
}

export interface RunArgs {
  projectJson: string;
  dir: string;
  options: RunOptions;
  resumeFrom: string | null;
  baseDir: string | null;
}

/** A stable hash of the Plan, so a checkpoint is only loaded into the model it came from. */
export function planHash(plan: Plan): string {
  const text = JSON.stringify(plan);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i += 1) {
    h1 = Math.imul(h1 ^ text.charCodeAt(i), 0x01000193);
    h2 = Math.imul(h2 ^ text.charCodeAt(i), 0x5bd1e995);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

export function optimizerConfig(o: Training['optimizer']): OptimizerConfig {
  switch (o.kind) {
    case 'sgd':
      return { kind: 'sgd', lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weight_decay, nesterov: o.nesterov };
    case 'adam':
    case 'adamw':
      return { kind: o.kind, lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weight_decay, amsgrad: o.amsgrad };
    case 'rmsprop':
      return { kind: 'rmsprop', lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weight_decay, momentum: o.momentum, centered: o.centered };
  }
}

export interface Prepared {
  project: Project;
  plan: Plan;
  splits: DataSplits;
}

/** Parses and compiles the project and loads its dataset; every problem is a RunError naming what to fix. */
export function prepare(projectJson: string, baseDir: string | null, options: { requireLoss?: boolean } = {}): Prepared {
  const { project, plan } = compileProject(projectJson, options);
  let splits: DataSplits;
  try {
    splits = resolveDataset(project.training, plan, { baseDir: baseDir ?? process.cwd() });
  } catch (error) {
    throw new RunError('E_DATASET', error instanceof Error ? error.message : String(error));
  }
  return { project, plan, splits };
}

/** Parses and compiles the project (no data loaded); every problem is a RunError naming what to fix. */
export function compileProject(projectJson: string, options: { requireLoss?: boolean } = {}): { project: Project; plan: Plan } {
  let project: Project;
  try {
    project = parseProject(projectJson).project;
  } catch (error) {
    throw new RunError('E_PROJECT_INVALID', error instanceof Error ? error.message : String(error));
  }
  const training = project.training;
  const compiled = compileGraph(project.graph, { dtype: training.dtype, lossNode: training.loss, requireLoss: options.requireLoss ?? true });
  if (!compiled.ok) {
    const first = compiled.errors.slice(0, 3).map((e) => `${e.code}: ${e.message}`).join('; ');
    throw new RunError('E_PROJECT_INVALID', `the graph does not compile (${compiled.errors.length} error${compiled.errors.length === 1 ? '' : 's'}): ${first}`);
  }
  if (compiled.plan.inputs.length !== 1 || compiled.plan.targets.length > 1) {
    throw new RunError('E_RUN', `training needs exactly one Input node and one Target node (the graph has ${compiled.plan.inputs.length} inputs and ${compiled.plan.targets.length} targets)`);
  }
  return { project, plan: compiled.plan };
}

/** What the loaders read: the dataset, shaped and typed for the Plan's input and target. */
export function batchSource(d: Dataset, splits: DataSplits, plan: Plan, seed: number): BatchSource {
  const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
  const out = (dtype: string): BatchSource['xOut'] => (dtype === 'int64' ? 'int64' : dtype === 'float64' ? 'float64' : 'float32');
  return {
    xData: d.x.data, xSize: size(d.x.shape), xShape: d.x.shape, xOut: out(plan.inputs[0]?.dtype ?? 'float32'),
    yData: d.y.data, ySize: splits.oneHot ? 1 : size(d.y.shape), yOut: out(plan.targets[0]?.dtype ?? 'float32'),
    oneHot: splits.oneHot, seed: mixSeed(seed, 0xa09),
    mean: splits.normalize?.mean ?? null, std: splits.normalize?.std ?? null,
    flip: splits.augment.flip, cropPadding: splits.augment.cropPadding,
  };
}

/** Batch → engine tensors with the Plan's shapes. */
export function batchTensors(nw: NativeModule, batch: Batch, plan: Plan, d: Dataset, oneHot: number): { x: InstanceType<NativeModule['Tensor']>; y: InstanceType<NativeModule['Tensor']> } {
  const x = nw.tensor(batch.x, { shape: [batch.n, ...d.x.shape], dtype: plan.inputs[0]!.dtype });
  const yShape = oneHot ? [batch.n, oneHot] : [batch.n, ...d.y.shape];
  const y = nw.tensor(batch.y, { shape: yShape, dtype: plan.targets[0]?.dtype ?? 'float32' });
  return { x, y };
}

type EngineTensor = InstanceType<NativeModule['Tensor']>;

interface StagedBatch {
  batch: Batch;
  x: EngineTensor;
  y: EngineTensor;
}

/**
 * A loader's batches as engine tensors, one ahead: while the step for the current batch runs (on the engine's worker
 * thread), `stageNext()` assembles the next one and queues its upload (Model.prefetch: pinned buffers and a copy
 * stream on cuda, nothing on the CPU), so the copy overlaps the step. The data order is the loader's, unchanged.
 */
export class BatchPipe {
  private staged: StagedBatch | null = null;
  private done = false;
  private readonly it: AsyncIterator<Batch>;

  constructor(
    batches: AsyncIterable<Batch>,
    private readonly make: (batch: Batch) => { x: EngineTensor; y: EngineTensor },
    private readonly model: Model,
  ) {
    this.it = batches[Symbol.asyncIterator]();
  }

  /** The next batch (the staged one if any); null at the end. The caller disposes its tensors. */
  async next(): Promise<StagedBatch | null> {
    if (this.staged !== null) {
      const s = this.staged;
      this.staged = null;
      return s;
    }
    if (this.done) return null;
    const n = await this.it.next();
    if (n.done) {
      this.done = true;
      return null;
    }
    return { batch: n.value, ...this.make(n.value) };
  }

  /** Called while a step runs: fetch the following batch and queue its upload. */
  async stageNext(): Promise<void> {
    if (this.staged !== null || this.done) return;
    const n = await this.it.next();
    if (n.done) {
      this.done = true;
      return;
    }
    const staged = { batch: n.value, ...this.make(n.value) };
    this.staged = staged;
    this.model.prefetch([staged.x], [staged.y]);
  }

  /** Runs `step` and, while it runs, stages the next batch; a staging failure is reported after the step settles. */
  async overlap<T>(step: Promise<T>): Promise<T> {
    step.catch(() => undefined);  // settled below; no unhandled rejection while the next batch is staged
    let stageError: unknown = null;
    try {
      await this.stageNext();
    } catch (error) {
      stageError = error;
    }
    const result = await step;
    if (stageError !== null) throw stageError;
    return result;
  }

  async close(): Promise<void> {
    if (this.staged !== null) {
      this.staged.x.dispose();
      this.staged.y.dispose();
      this.staged = null;
    }
    this.done = true;
    await this.it.return?.();
  }
}

/** Loss (sample-weighted mean) and accuracy of the model over a loader's samples, in eval mode. */
export async function evaluate(
  nw: NativeModule, model: Model, loader: DataLoader, plan: Plan, d: Dataset, oneHot: number,
  onBatch?: (result: StepResult, batch: Batch) => void,
): Promise<{ loss: number; accuracy: number | null; count: number }> {
  let loss = 0;
  let samples = 0;
  let correct = 0;
  let predictions = 0;
  const pipe = new BatchPipe(loader.epoch(0), (batch) => batchTensors(nw, batch, plan, d, oneHot), model);
  try {
    for (let cur = await pipe.next(); cur !== null; cur = await pipe.next()) {
      const { batch, x, y } = cur;
      try {
        const r = await pipe.overlap(model.evalStep([x], [y]));
        loss += r.loss * batch.n;
        samples += batch.n;
        if (r.correct >= 0) {
          correct += r.correct;
          predictions += r.count;
        }
        onBatch?.(r, batch);
      } finally {
        x.dispose();
        y.dispose();
      }
    }
  } finally {
    await pipe.close();
  }
  return { loss: samples ? loss / samples : NaN, accuracy: predictions ? correct / predictions : null, count: samples };
}

/**
 * The run's device: the setting (or the run's override) checked against this machine and the model's ops; a device
 * that does not exist or cannot run the model is a RunError naming the available devices, before anything trains.
 */
export function runDevice(nw: NativeModule, plan: Plan, setting: string): { device: DeviceName; reason: string } {
  const ops = [...new Set(plan.steps.map((s) => s.op))];
  const choice = chooseDevice(setting, nw.engineInfo(), (device) => ops.filter((op) => !nw.supports(op, device)));
  if (!choice.ok) throw new RunError('E_RUN', choice.message);
  return { device: choice.device, reason: choice.reason };
}

function toStored(t: InstanceType<NativeModule['Tensor']>): StoredTensor {
  return { dtype: t.dtype as StoredTensor['dtype'], shape: t.shape, data: t.data() as StoredTensor['data'] };
}

export function modelCheckpoint<T>(model: Model, state: T): Checkpoint<T> {
  const weights = new Map([...model.stateDict()].map(([k, t]) => [k, toStored(t)] as const));
  const optimizer = model.optimizerState()?.map((p) => ({ step: p.step, buffers: Object.fromEntries(Object.entries(p.buffers).map(([k, t]) => [k, toStored(t)])) })) ?? null;
  return { state, weights, optimizer };
}

const engineDTypes = new Set<string>(['float32', 'float64', 'int64', 'int32', 'uint8', 'bool']);

/**
 * Starts the model from a weights file (load_state_dict semantics): strict needs every key matched and none
 * unexpected; non-strict loads what matches and leaves the rest initialised. A disagreement is a RunError
 * listing the keys, before anything trains.
 */
export function loadInitialWeights(nw: NativeModule, model: Model, plan: Plan, ref: { path: string; strict: boolean }, baseDir: string | null): void {
  const path = isAbsolute(ref.path) ? ref.path : resolvePath(baseDir ?? process.cwd(), ref.path);
  let state: Map<string, TensorData>;
  try {
    state = readWeightsFile(path);
  } catch (error) {
    throw new RunError('E_CHECKPOINT', `initial weights: ${error instanceof Error ? error.message : String(error)}`);
  }
  const report = matchStateDict(plan, state);
  if (!(ref.strict ? report.loadable.strict : report.loadable.nonStrict)) {
    const problems = formatImportReport(report).filter((line) => !line.startsWith('matched')).slice(0, 6).join('; ');
    throw new RunError('E_CHECKPOINT', `initial weights ${path} do not fit the graph${ref.strict ? ' (strict)' : ''}: ${problems}`);
  }
  const tensors = new Map<string, InstanceType<NativeModule['Tensor']>>();
  for (const entry of report.keys) {
    const data = state.get(entry.key);
    const want = plan.tensors.find((t) => t.key === entry.key);
    if (entry.status !== 'matched' || data === undefined || want === undefined) continue;
    const values = typedArrayOf(data);
    if (!engineDTypes.has(data.dtype) || values instanceof Int16Array || values instanceof Int8Array || values instanceof Uint16Array) {
      throw new RunError('E_CHECKPOINT', `initial weights: '${entry.key}' is ${data.dtype}, which the engine does not load; save it as float32 (tensor.float()) in PyTorch`);
    }
    const t = nw.tensor(values, { shape: [...data.shape], dtype: data.dtype as PlanDType });
    tensors.set(entry.key, t.dtype === want.dtype ? t : t.to(want.dtype));
  }
  model.loadStateDict(tensors, false);
  for (const t of tensors.values()) t.dispose();
}

/** Loads a checkpoint's weights (and optimizer state when present and wanted) into the model. */
export function loadIntoModel(nw: NativeModule, model: Model, checkpoint: Checkpoint, withOptimizer: boolean): void {
  const make = (s: StoredTensor): InstanceType<NativeModule['Tensor']> => nw.tensor(s.data, { shape: s.shape, dtype: s.dtype });
  const weights = new Map([...checkpoint.weights].map(([k, s]) => [k, make(s)] as const));
  model.loadStateDict(weights);
  for (const t of weights.values()) t.dispose();
  if (withOptimizer && checkpoint.optimizer) {
    model.setOptimizerState(checkpoint.optimizer.map((p) => ({ step: p.step, buffers: Object.fromEntries(Object.entries(p.buffers).map(([k, s]) => [k, make(s)])) })));
  }
}

const bins = 32;

function histogram(key: string, of: 'weight' | 'grad', values: ArrayLike<number>): { key: string; of: 'weight' | 'grad'; min: number; max: number; counts: number[] } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  const width = max > min ? (max - min) / bins : 1;
  for (let i = 0; i < values.length; i += 1) counts[Math.min(bins - 1, Math.floor((values[i]! - min) / width))]! += 1;
  return { key, of, min: Number.isFinite(min) ? min : 0, max: Number.isFinite(max) ? max : 0, counts };
}

/** One training run in this process. `control` pauses, resumes and stops it between steps. */
export class TrainingRun {
  private paused: { promise: Promise<void>; release: () => void } | null = null;
  private stopRequest: { save: boolean } | null = null;
  private lastCheckpoint: string | null = null;
  private epochs = 0;
  private state: LoopState | null = null;
  /** every step's loss and lr, appended to <dir>/steps.f64 in batches */
  private stepLog: StepLogWriter | null = null;

  constructor(
    private readonly args: RunArgs,
    private readonly callbacks: RunCallbacks,
  ) {}

  pause(): void {
    if (this.paused !== null) return;
    let release = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.paused = { promise, release };
  }

  resume(): void {
    const p = this.paused;
    this.paused = null;
    p?.release();
  }

  stop(save: boolean): void {
    this.stopRequest = { save };
    this.resume();
  }

  private update(state: RunState, extra: { message?: string; error?: ErrorInfo } = {}): void {
    // The step log is never behind what a state change reports.
    this.stepLog?.flush();
    const s = this.state;
    this.callbacks.update({
      state, ...extra, epochs: this.epochs, epoch: s?.epoch ?? 0, step: s?.step ?? 0, lastCheckpoint: this.lastCheckpoint,
      lastEpoch: s?.history[s.history.length - 1] ?? null,
    });
    this.callbacks.metric({ kind: 'state', t: Date.now(), state, ...(extra.message !== undefined ? { message: extra.message } : {}) });
  }

  /** Runs to the end (completed, stopped, diverged or failed) and returns the final state; never throws. */
  async run(): Promise<RunState> {
    try {
      return await this.loop();
    } catch (error) {
      const code = error instanceof RunError ? error.code
        : typeof error === 'object' && error !== null && 'code' in error && error.code === 'E_OOM' ? 'E_OOM'
          : typeof error === 'object' && error !== null && 'code' in error && error.code === 'E_CHECKPOINT' ? 'E_CHECKPOINT'
            : typeof error === 'object' && error !== null && 'code' in error && error.code === 'E_DATASET' ? 'E_DATASET'
              : 'E_RUN';
      const text = error instanceof Error ? error.message : String(error);
      // A CUDA out-of-memory message already names the allocation, the free memory and what to do.
      const message = code === 'E_OOM'
        ? (/out of memory/i.test(text) && /batch size/i.test(text) ? text : `out of memory: ${text}; use a smaller batch size or model`)
        : text;
      this.update('failed', { message, error: { code, message } });
      return 'failed';
    }
  }

  private async loop(): Promise<RunState> {
    const { args, callbacks } = this;
    this.update('starting');
    const { project, plan, splits } = prepare(args.projectJson, args.baseDir);
    const training = project.training;
    const options = args.options;
    this.epochs = options.epochs ?? training.epochs;
    const nw = await native();
    const { Model } = await nativeModel();
    const { device, reason } = runDevice(nw, plan, options.device ?? training.device);
    const hash = planHash(plan);
    const seed = training.seed;
    nw.manualSeed(seed);
    nw.setNumThreads(training.threads ?? 0);
    // Initial weights come from the CPU generator on every device: a seed gives the same model on cpu and cuda.
    const model = new Model(plan, { device });
    const loaders: DataLoader[] = [];
    try {
      const optimizer = optimizerConfig(training.optimizer);
      model.configureOptimizer(optimizer);
      let state: LoopState = {
        planHash: hash, seed, step: 0, epoch: 0, batch: 0, batchSize: training.batchSize, plateau: initialPlateau(),
        earlyStop: { best: null, bad: 0 }, accum: { loss: 0, correct: 0, count: 0, samples: 0, seconds: 0 }, history: [],
      };
      if (args.resumeFrom === null && training.initialWeights) loadInitialWeights(nw, model, plan, training.initialWeights, args.baseDir);
      if (args.resumeFrom !== null) {
        if (!existsSync(args.resumeFrom)) throw new RunError('E_CHECKPOINT', `checkpoint ${args.resumeFrom} does not exist`);
        const checkpoint = readCheckpoint<LoopState>(args.resumeFrom);
        if (checkpoint.state.planHash !== hash) {
          throw new RunError('E_CHECKPOINT', `${args.resumeFrom} was written for a different model (the graph or its dtype changed); start a new run instead`);
        }
        if (checkpoint.state.batchSize !== training.batchSize || checkpoint.state.seed !== seed) {
          throw new RunError('E_CHECKPOINT', `${args.resumeFrom} was written with batch size ${checkpoint.state.batchSize} and seed ${checkpoint.state.seed}; resume with the same settings`);
        }
        loadIntoModel(nw, model, checkpoint, true);
        state = checkpoint.state;
        this.lastCheckpoint = args.resumeFrom;
      }
      this.state = state;
      // A resumed run keeps the steps up to its checkpoint and logs the rest again.
      this.stepLog = new StepLogWriter(args.dir, args.resumeFrom !== null ? state.step : null);
      const stepLog = this.stepLog;
      const d = splits.train;
      const trainLoader = new DataLoader(batchSource(d, splits, plan, seed), splits.trainIndices, {
        batchSize: training.batchSize, shuffle: training.shuffle, dropLast: training.dataset.options['dropLast'] === true, seed, workers: training.workers, augment: true,
      });
      loaders.push(trainLoader);
      const evalOptions = { batchSize: Math.max(training.batchSize, 256), shuffle: false, dropLast: false, seed, workers: 0, augment: false };
      const valLoader = splits.valIndices.length ? new DataLoader(batchSource(d, splits, plan, seed), splits.valIndices, evalOptions) : null;
      const test = splits.test;
      const testLoader = test ? new DataLoader(batchSource(test, splits, plan, seed), Int32Array.from({ length: test.count }, (_, i) => i), evalOptions) : null;
      const perEpoch = trainLoader.batchesPerEpoch();
      const totalSteps = perEpoch * this.epochs;
      const clip = training.gradientClipping;
      const paramEvery = options.paramStatsEvery ?? 100;
      const histEvery = options.histogramEvery ?? 500;
      const early = options.earlyStopping ?? training.earlyStopping ?? null;
      const checkpointPath = join(args.dir, 'checkpoints', 'last.mdl');
      const save = (): void => {
        stepLog.flush();
        writeCheckpoint(checkpointPath, modelCheckpoint(model, state));
        this.lastCheckpoint = checkpointPath;
        callbacks.metric({ kind: 'checkpoint', t: Date.now(), step: state.step, epoch: state.epoch, path: checkpointPath });
      };

      this.update('running');
      callbacks.metric({ kind: 'state', t: Date.now(), state: 'running', message: `device: ${reason}` });
      let lastStepMetric = 0;
      let rate = 0;
      // Mid-run evaluation reports (confusion matrix, sample predictions on the validation split): after an epoch, at
      // most one every 2 s and every 20× its own cost, so even tiny epochs spend ≤ 5 % of the time on them.
      let reportAt = -Infinity;
      let reportCost = 0;
      let windowStart = performance.now();
      let windowSamples = 0;
      while (state.epoch < this.epochs) {
        const epoch = state.epoch;
        const lr = learningRate(training.schedule, training.optimizer.lr, epoch, state.plateau);
        let batchNo = state.batch;
        const pipe = new BatchPipe(trainLoader.epoch(epoch, state.batch), (b) => batchTensors(nw, b, plan, d, splits.oneHot), model);
        try {
          for (let cur = await pipe.next(); cur !== null; cur = await pipe.next()) {
            const { batch, x, y } = cur;
            if (this.paused !== null) {
              this.update('paused');
              await this.paused.promise;
              if (this.stopRequest === null) this.update('running');
              windowStart = performance.now();
              windowSamples = 0;
            }
            if (this.stopRequest !== null) {
              x.dispose();
              y.dispose();
              break;
            }
            const started = performance.now();
            let r: StepResult;
            const stats = paramEvery > 0 && (state.step + 1) % paramEvery === 0;
            const stepOptions = {
              lr,
              ...(clip ? { clipNorm: clip.maxNorm, clipNormType: clip.normType } : {}),
              ...(stats ? { paramStats: true } : {}),
              ...(options.anomaly ? { anomaly: true } : {}),
            };
            try {
              // The engine RNG (dropout) is reseeded from (seed, step): a resumed run draws the same numbers.
              nw.manualSeed(mixSeed(seed, 0xd40, state.step));
              // The next batch is assembled (and on cuda uploaded) while this step runs.
              r = await pipe.overlap(model.trainStep([x], [y], stepOptions));
              if (!r.finite && r.nonFiniteWhere === undefined) {
                // The update was skipped; run the same step again in anomaly mode to name the module.
                nw.manualSeed(mixSeed(seed, 0xd40, state.step));
                const again = await model.trainStep([x], [y], { ...stepOptions, anomaly: true });
                if (again.nonFiniteWhere !== undefined) r = { ...r, nonFiniteWhere: again.nonFiniteWhere };
              }
            } finally {
              x.dispose();
              y.dispose();
            }
            if (!r.finite) {
              const where = r.nonFiniteWhere ? ` in ${r.nonFiniteWhere}` : '';
              const message = `the loss or a gradient became NaN/inf at step ${state.step + 1} (epoch ${epoch + 1}, batch ${batchNo + 1})${where}; the update was skipped and ${this.lastCheckpoint ? `the last good checkpoint (${this.lastCheckpoint}) is kept` : 'no checkpoint was written'}. Lower the learning rate or enable gradient clipping.`;
              this.update('diverged', { message });
              return 'diverged';
            }
            const seconds = (performance.now() - started) / 1000;
            state.step += 1;
            batchNo += 1;
            state.batch = batchNo;
            state.accum.loss += r.loss * batch.n;
            state.accum.samples += batch.n;
            state.accum.seconds += seconds;
            stepLog.add(state.step, r.loss, lr);
            if (r.correct >= 0) {
              state.accum.correct += r.correct;
              state.accum.count += r.count;
            }
            windowSamples += batch.n;
            const now = performance.now();
            if (now - windowStart > 250) {
              const current = (windowSamples * 1000) / (now - windowStart);
              rate = rate === 0 ? current : 0.7 * rate + 0.3 * current;
              windowStart = now;
              windowSamples = 0;
            }
            if (r.params && r.params.length) callbacks.metric({ kind: 'params', t: Date.now(), step: state.step, params: r.params });
            if (histEvery > 0 && state.step % histEvery === 0) {
              const histograms = [];
              for (const [key, t] of model.stateDict()) {
                if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
                histograms.push(histogram(key, 'weight', t.data() as Float32Array));
                const g = t.grad;
                if (g !== null) histograms.push(histogram(key, 'grad', g.data() as Float32Array));
              }
              callbacks.metric({ kind: 'histograms', t: Date.now(), step: state.step, histograms });
            }
            const last = batchNo === perEpoch;
            if (now - lastStepMetric >= 50 || last) {
              lastStepMetric = now;
              // The log gets its batch first, so it always holds every step the live stream has shown.
              stepLog.flush();
              const remaining = totalSteps - state.step;
              callbacks.metric({
                kind: 'step', t: Date.now(), step: state.step, epoch, loss: r.loss, lr, samplesPerSec: rate,
                etaSec: rate > 0 ? (remaining * training.batchSize) / rate : null, progress: totalSteps ? state.step / totalSteps : 1,
              });
            }
            if (options.maxSteps !== undefined && state.step >= options.maxSteps) {
              this.stopRequest = { save: true };
              break;
            }
          }
        } finally {
          await pipe.close();
        }
        if (this.stopRequest !== null) {
          const { save: wantSave } = this.stopRequest;
          if (wantSave) save();
          this.update('stopped', { message: options.maxSteps !== undefined && state.step >= options.maxSteps ? `stopped after ${state.step} steps (maxSteps)` : `stopped at step ${state.step}` });
          return 'stopped';
        }
        // End of epoch: validation, summary, schedule, checkpoint, early stopping.
        const val = valLoader ? await evaluate(nw, model, valLoader, plan, d, splits.oneHot) : null;
        const a = state.accum;
        const summary: EpochSummary = {
          epoch: epoch + 1, trainLoss: a.samples ? a.loss / a.samples : NaN, trainAccuracy: a.count ? a.correct / a.count : null,
          valLoss: val?.loss ?? null, valAccuracy: val?.accuracy ?? null, lr, seconds: a.seconds,
        };
        callbacks.metric({ kind: 'epoch', t: Date.now(), ...summary });
        const reportNow = performance.now();
        if (valLoader !== null && d.task !== 'language' && epoch + 1 < this.epochs && reportNow - reportAt >= Math.max(2000, 20 * reportCost)) {
          callbacks.metric(await evaluationReport(nw, model, valLoader, plan, d, splits.oneHot, state.step, 'validation'));
          reportAt = performance.now();
          reportCost = reportAt - reportNow;
        }
        const monitored = summary.valLoss ?? summary.trainLoss;
        state.history.push(summary);
        state.plateau = updatePlateau(training.schedule, state.plateau, monitored);
        let stopEarly = false;
        if (early !== null) {
          if (state.earlyStop.best === null || monitored < state.earlyStop.best - early.minDelta) state.earlyStop = { best: monitored, bad: 0 };
          else state.earlyStop = { ...state.earlyStop, bad: state.earlyStop.bad + 1 };
          stopEarly = state.earlyStop.bad >= early.patience;
        }
        state.epoch += 1;
        state.batch = 0;
        state.accum = { loss: 0, correct: 0, count: 0, samples: 0, seconds: 0 };
        save();
        this.update('running');
        if (stopEarly) {
          callbacks.metric({ kind: 'state', t: Date.now(), state: 'running', message: `early stopping: no improvement of ${early!.minDelta} in ${early!.patience} epochs` });
          break;
        }
      }
      if (testLoader !== null && test !== null) {
        const r = await evaluate(nw, model, testLoader, plan, test, splits.oneHot);
        callbacks.metric({ kind: 'test', t: Date.now(), loss: r.loss, accuracy: r.accuracy, count: r.count });
      }
      // Predictions for the dashboard's confusion matrix / sample grid (test set, else validation split).
      // Without a test set or validation split, up to 2,000 training samples (in order, no augmentation).
      const trainSample = (): DataLoader => {
        const loader = new DataLoader(batchSource(d, splits, plan, seed), splits.trainIndices.subarray(0, 2000), evalOptions);
        loaders.push(loader);
        return loader;
      };
      const reportOn = testLoader !== null && test !== null ? { loader: testLoader, d: test, split: 'test' as const }
        : valLoader !== null ? { loader: valLoader, d, split: 'validation' as const }
          : { loader: trainSample(), d, split: 'train' as const };
      if (reportOn.d.task !== 'language') {
        callbacks.metric(await evaluationReport(nw, model, reportOn.loader, plan, reportOn.d, splits.oneHot, state.step, reportOn.split));
      }
      const lastEpoch = state.history[state.history.length - 1];
      this.update('completed', { message: state.epoch < this.epochs ? `early stopping after epoch ${state.epoch}` : `completed ${state.epoch} epochs${lastEpoch ? `, loss ${lastEpoch.trainLoss.toPrecision(4)}` : ''}` });
      return 'completed';
    } finally {
      this.stepLog?.close();
      for (const l of loaders) l.close();
      model.dispose();
    }
  }
}
