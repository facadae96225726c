// The Plan executor from TypeScript: a Model built from a validated Plan, with
// optimizers, train/eval/predict steps (each one native call on a worker thread),
// and state_dict / optimizer state access for checkpoints.
import { PlanSchema, type Plan } from '../../shared/api/plan';
import { EngineError, Tensor, checkDevice, loadEngine, type TensorHandle } from './index';

export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'rmsprop';

/** torch.optim argument names, camelCased (weight_decay → weightDecay, betas → beta1/beta2). */
export interface OptimizerConfig {
  kind: OptimizerKind;
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
  amsgrad?: boolean;
  alpha?: number;
  centered?: boolean;
}

export interface StepOptions {
  /** learning rate for this step (schedules); the optimizer's otherwise */
  lr?: number;
  /** clip_grad_norm_(max_norm) before the update */
  clipNorm?: number;
  /** clip_grad_norm_'s norm_type (default 2; Infinity for the max norm) */
  clipNormType?: number;
  /** clip_grad_value_(clip_value) before the update */
  clipValue?: number;
  /** per-parameter gradient, weight and update norms */
  paramStats?: boolean;
  /** find the first module whose output is non-finite (slower) */
  anomaly?: boolean;
}

export interface ParamStat {
  key: string;
  gradNorm: number;
  weightNorm: number;
  updateNorm: number;
}

export interface StepResult {
  loss: number;
  /** correct argmax predictions (classification with int64 targets), else -1 */
  correct: number;
  count: number;
  /** false when the loss or a gradient was NaN/inf: the update was skipped */
  finite: boolean;
  nonFiniteWhere?: string;
  totalGradNorm?: number;
  params?: ParamStat[];
}

export interface OptimizerParamState {
  step: number;
  buffers: Record<string, Tensor>;
}

interface NativeOptimizerParamState {
  step: number;
  buffers: Record<string, TensorHandle>;
}

interface NativeModelHandle {
  readonly device: string;
  configureOptimizer(config: OptimizerConfig): void;
  trainStep(inputs: TensorHandle[], targets: TensorHandle[], options: StepOptions): Promise<StepResult>;
  evalStep(inputs: TensorHandle[], targets: TensorHandle[]): Promise<StepResult>;
  predict(inputs: TensorHandle[]): Promise<TensorHandle[]>;
  prefetch(inputs: TensorHandle[], targets: TensorHandle[]): void;
  stateDict(toCpu: boolean): { key: string; tensor: TensorHandle }[];
  loadTensor(key: string, tensor: TensorHandle): void;
  optimizerState(): NativeOptimizerParamState[] | null;
  setOptimizerState(index: number, state: NativeOptimizerParamState): void;
  dispose(): void;
}

export interface ModelOptions {
  /** 'cpu' (default), 'cuda' or 'cuda:N'; parameters are initialised on the CPU generator and then moved, so a seed
   * gives the same initial weights on every device */
  device?: string;
}

interface ModelAddon {
  ModelHandle: new (plan: Plan, device: string) => NativeModelHandle;
  clipGradNorm(tensors: TensorHandle[], maxNorm: number, normType: number): number;
  clipGradValue(tensors: TensorHandle[], clipValue: number): void;
}

function addon(): ModelAddon {
  return loadEngine() as unknown as ModelAddon;
}

function coded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') throw new EngineError(error.code, error.message);
    throw error;
  }
}

async function codedAsync<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') throw new EngineError(error.code, error.message);
    throw error;
  }
}

function checkOptimizer(config: OptimizerConfig): void {
  const kinds: OptimizerKind[] = ['sgd', 'adam', 'adamw', 'rmsprop'];
  if (!kinds.includes(config.kind)) throw new EngineError('E_ARG', `unknown optimizer '${config.kind}': use ${kinds.join(', ')}`);
  if (!(config.lr >= 0) || !Number.isFinite(config.lr)) throw new EngineError('E_ARG', `learning rate must be a finite number >= 0, got ${config.lr}`);
  for (const key of ['momentum', 'dampening', 'weightDecay', 'eps', 'alpha'] as const) {
    const v = config[key];
    if (v !== undefined && !(v >= 0)) throw new EngineError('E_ARG', `${key} must be >= 0, got ${v}`);
  }
  for (const key of ['beta1', 'beta2'] as const) {
    const v = config[key];
    if (v !== undefined && !(v >= 0 && v < 1)) throw new EngineError('E_ARG', `${key} must be in [0, 1), got ${v}`);
  }
}

export class Model {
  readonly plan: Plan;
  /** 'cpu' or 'cuda:N' */
  readonly device: string;
  private handle: NativeModelHandle | null;

  /** Instantiates the Plan; parameters initialise like PyTorch's defaults (seed with manualSeed first). */
  constructor(plan: Plan, options: ModelOptions = {}) {
    const parsed = PlanSchema.safeParse(plan);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EngineError('E_PLAN', `invalid Plan at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown problem'}`);
    }
    this.plan = parsed.data;
    this.device = checkDevice(options.device ?? 'cpu');
    const { ModelHandle } = addon();
    this.handle = coded(() => new ModelHandle(this.plan, this.device));
  }

  private native(): NativeModelHandle {
    if (!this.handle) throw new EngineError('E_DISPOSED', 'this model was disposed');
    return this.handle;
  }

  configureOptimizer(config: OptimizerConfig): void {
    checkOptimizer(config);
    coded(() => this.native().configureOptimizer(config));
  }

  private checkInputs(values: Tensor[], specs: Plan['inputs'], what: string): TensorHandle[] {
    if (values.length !== specs.length) {
      throw new EngineError('E_ARG', `the model takes ${specs.length} ${what}(s) (${specs.map((s) => s.name).join(', ')}), got ${values.length}`);
    }
    return values.map((t, i) => {
      const spec = specs[i]!;
      if (t.dtype !== spec.dtype) throw new EngineError('E_DTYPE', `${what} '${spec.name}' must be ${spec.dtype}, got ${t.dtype}`);
      if (t.device !== 'cpu' && t.device !== this.device) {
        throw new EngineError('E_DEVICE', `${what} '${spec.name}' is on ${t.device} but the model is on ${this.device}; pass host (cpu) tensors or tensors on ${this.device}`);
      }
      const fixed = spec.shape;
      if (t.shape.length !== fixed.length || fixed.some((d, k) => d !== null && d !== t.shape[k])) {
        const want = `[${fixed.map((d) => (d === null ? 'N' : String(d))).join(', ')}]`;
        throw new EngineError('E_SHAPE', `${what} '${spec.name}' must have shape ${want}, got [${t.shape.join(', ')}]`);
      }
      return t.handle;
    });
  }

  /** One training step: forward, loss, backward, optional clipping, optimizer update. */
  trainStep(inputs: Tensor[], targets: Tensor[], options: StepOptions = {}): Promise<StepResult> {
    const i = this.checkInputs(inputs, this.plan.inputs, 'input');
    const t = this.checkInputs(targets, this.plan.targets, 'target');
    return codedAsync(this.native().trainStep(i, t, options));
  }

  /**
   * Queues the upload of the next batch (host tensors) while the current step runs: on a cuda model the copy goes
   * through pinned buffers on a second stream, and the trainStep/evalStep given these same tensors (not written
   * since) uses it instead of uploading. A no-op on the CPU; never waits for the running step.
   */
  prefetch(inputs: Tensor[], targets: Tensor[]): void {
    const i = this.checkInputs(inputs, this.plan.inputs, 'input');
    const t = targets.length ? this.checkInputs(targets, this.plan.targets, 'target') : [];
    if (this.device === 'cpu') return;
    coded(() => this.native().prefetch(i, t));
  }

  /** Forward in eval mode without gradients; loss and accuracy when targets are given. */
  evalStep(inputs: Tensor[], targets: Tensor[]): Promise<StepResult> {
    const i = this.checkInputs(inputs, this.plan.inputs, 'input');
    const t = targets.length ? this.checkInputs(targets, this.plan.targets, 'target') : [];
    return codedAsync(this.native().evalStep(i, t));
  }

  async predict(inputs: Tensor[]): Promise<Tensor[]> {
    const i = this.checkInputs(inputs, this.plan.inputs, 'input');
    const out = await codedAsync(this.native().predict(i));
    return out.map((h) => new Tensor(h));
  }

  /**
   * Parameters and buffers by state_dict key, in the Plan's order: views of the live tensors (on the model's device),
   * or with `{ device: 'cpu' }` copies on the CPU, which is what checkpoints hold whatever device trained them.
   */
  stateDict(options: { device?: 'cpu' } = {}): Map<string, Tensor> {
    const toCpu = options.device === 'cpu';
    return new Map(coded(() => this.native().stateDict(toCpu)).map((e) => [e.key, new Tensor(e.tensor)]));
  }

  loadStateDict(entries: Map<string, Tensor>, strict = true): { missing: string[]; unexpected: string[] } {
    const own = new Set(this.plan.tensors.map((t) => t.key));
    const missing = [...own].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length || unexpected.length)) {
      throw new EngineError('E_STATE', `state_dict does not match the model: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(unexpected)}`);
    }
    for (const [key, t] of entries) if (own.has(key)) coded(() => this.native().loadTensor(key, t.handle));
    return { missing, unexpected };
  }

  /** The optimizer's state as CPU copies (checkpoints are device-independent); null before configureOptimizer. */
  optimizerState(): OptimizerParamState[] | null {
    const s = coded(() => this.native().optimizerState());
    return s?.map((p) => ({ step: p.step, buffers: Object.fromEntries(Object.entries(p.buffers).map(([k, h]) => [k, new Tensor(h)])) })) ?? null;
  }

  setOptimizerState(states: OptimizerParamState[]): void {
    states.forEach((s, i) =>
      coded(() =>
        this.native().setOptimizerState(i, { step: s.step, buffers: Object.fromEntries(Object.entries(s.buffers).map(([k, t]) => [k, t.handle])) }),
      ),
    );
  }

  /** Frees the model's tensors now. */
  dispose(): void {
    this.handle?.dispose();
    this.handle = null;
  }
}

/** torch.nn.utils.clip_grad_norm_ over tensors' .grad; returns the total norm. */
export function clipGradNorm(tensors: Tensor[], maxNorm: number, normType = 2): number {
  return coded(() => addon().clipGradNorm(tensors.map((t) => t.handle), maxNorm, normType));
}

/** torch.nn.utils.clip_grad_value_ */
export function clipGradValue(tensors: Tensor[], clipValue: number): void {
  coded(() => addon().clipGradValue(tensors.map((t) => t.handle), clipValue));
}
