// The training settings panel: dataset, loss, optimizer and its parameters, schedule, epochs, batch size, workers,
// seed, clipping, device, early stopping — validated as you type (field errors, then whole-settings errors/warnings).
import { useEffect, useId, useState, type ReactNode } from 'react';
import { describeDevice, type EngineInfo } from '../../shared/api';
import type { Project, Training } from '../../shared/graph';
import { layerSpec } from '../../shared/layers';
import { checkTraining, describeRule, formatOptions, optimizerOfKind, parseNumber, parseOptions, scheduleOfKind, type NumberRule } from './validate';

export interface RunExtras {
  anomaly: boolean;
  paramStatsEvery: number;
  histogramEvery: number;
}

export interface TrainingSettingsProps {
  project: Project;
  onChange: (edit: (training: Training) => Training, key: string) => void;
  extras: RunExtras;
  onExtras: (extras: RunExtras) => void;
  /** the engine's info when it is ready: the device list, and a device this machine lacks is flagged */
  engine?: EngineInfo | null;
}

const builtins = ['fashion-mnist', 'mnist'];
const synthetics = ['linear', 'two-moons', 'spirals', 'sine', 'token-parity'];

function NumberField({ label, value, rule, onCommit, hint }: { label: string; value: number; rule: NumberRule; onCommit: (value: number) => void; hint?: string }) {
  const id = useId();
  const [text, setText] = useState(String(value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText(String(value));
    setError(null);
  }, [value]);
  const check = (next: string): void => {
    setText(next);
    const parsed = parseNumber(next, rule);
    setError(parsed.ok ? null : parsed.message);
  };
  const commit = (): void => {
    const parsed = parseNumber(text, rule);
    if (parsed.ok && parsed.value !== value) onCommit(parsed.value);
  };
  return (
    <div className="field settings-field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        className="settings-input"
        value={text}
        inputMode="decimal"
        aria-invalid={error !== null}
        aria-describedby={`${id}-hint`}
        onChange={(event) => check(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          if (event.key === 'Enter') commit();
          if (event.key === 'Escape') check(String(value));
        }}
      />
      <span id={`${id}-hint`} className={error !== null ? 'field-error' : 'field-hint'} role={error !== null ? 'alert' : undefined}>
        {error ?? hint ?? describeRule(rule)}
      </span>
    </div>
  );
}

function SelectField<T extends string>({ label, value, options, onChange, hint }: { label: string; value: T; options: readonly (T | [T, string])[]; onChange: (value: T) => void; hint?: string | undefined }) {
  const id = useId();
  return (
    <div className="field settings-field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <select id={id} className="settings-input" value={value} onChange={(event) => onChange(event.target.value as T)} aria-describedby={hint !== undefined ? `${id}-hint` : undefined}>
        {options.map((o) => {
          const [v, text] = Array.isArray(o) ? o : [o, o];
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
      {hint !== undefined && (
        <span id={`${id}-hint`} className="field-hint">
          {hint}
        </span>
      )}
    </div>
  );
}

function Check({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange: (checked: boolean) => void; hint?: string }) {
  return (
    <label className="field field-inline settings-check" title={hint}>
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      <span className="field-label">{label}</span>
    </label>
  );
}

function TextField({ label, value, onCommit, validate, hint }: { label: string; value: string; onCommit: (value: string) => void; validate?: (text: string) => string | null; hint?: string }) {
  const id = useId();
  const [text, setText] = useState(value);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText(value);
    setError(null);
  }, [value]);
  const commit = (): void => {
    const problem = validate?.(text) ?? null;
    setError(problem);
    if (problem === null && text !== value) onCommit(text);
  };
  return (
    <div className="field settings-field wide">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        className="settings-input"
        value={text}
        aria-invalid={error !== null}
        onChange={(event) => {
          setText(event.target.value);
          setError(validate?.(event.target.value) ?? null);
        }}
        onBlur={commit}
        onKeyDown={(event) => event.key === 'Enter' && commit()}
      />
      <span className={error !== null ? 'field-error' : 'field-hint'} role={error !== null ? 'alert' : undefined}>
        {error ?? hint ?? ''}
      </span>
    </div>
  );
}

function Group({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="settings-group">
      <legend>{title}</legend>
      <div className="settings-grid">{children}</div>
    </fieldset>
  );
}

/** auto, cpu and each CUDA device of this machine (with its name and memory); a setting naming another device stays listed. */
export function deviceOptions(current: string, engine: EngineInfo | null): [string, string][] {
  const cudas = engine?.devices.filter((d) => d.kind === 'cuda') ?? [];
  const options: [string, string][] = [
    ['auto', cudas.length ? `auto (${cudas[0]!.id} when it runs every op, else cpu)` : 'auto (cpu: no CUDA device)'],
    ['cpu', 'cpu'],
    ...cudas.map((d): [string, string] => [d.id, describeDevice(d)]),
  ];
  if (!options.some(([v]) => v === current)) options.push([current, current === 'cuda' ? 'cuda (cuda:0)' : current]);
  return options;
}

/** Under the device list, where this machine has a CUDA device: what runs matrix products there (cuBLAS or the engine's kernel). */
export function deviceHint(engine: EngineInfo | null): string | undefined {
  if (engine?.cudaGemm === undefined || !engine.devices.some((d) => d.kind === 'cuda')) return undefined;
  return `GEMM on cuda: ${engine.cudaGemm}`;
}

export function TrainingSettings({ project, onChange, extras, onExtras, engine = null }: TrainingSettingsProps) {
  const t = project.training;
  const set = <K extends keyof Training>(key: K, value: Training[K]): void => onChange((current) => ({ ...current, [key]: value }), `training-${String(key)}`);
  const opt = t.optimizer;
  const setOpt = (patch: Partial<Record<string, unknown>>, key: string): void =>
    onChange((current) => ({ ...current, optimizer: { ...current.optimizer, ...patch } as Training['optimizer'] }), `training-optimizer-${key}`);
  const sched = t.schedule;
  const setSched = (patch: Partial<Record<string, unknown>>, key: string): void =>
    onChange((current) => ({ ...current, schedule: { ...current.schedule, ...patch } as Training['schedule'] }), `training-schedule-${key}`);
  const setData = (patch: Partial<Training['dataset']>, key: string): void => onChange((current) => ({ ...current, dataset: { ...current.dataset, ...patch } }), `training-dataset-${key}`);
  const lossNodes = project.graph.nodes.filter((n) => layerSpec(n.layer)?.category === 'loss');
  const issues = checkTraining(t, engine);
  const nameOptions = t.dataset.source === 'builtin' ? builtins : t.dataset.source === 'synthetic' ? synthetics : null;

  return (
    <div className="settings" aria-label="Training settings">
      <Group title="Dataset">
        <SelectField
          label="source"
          value={t.dataset.source}
          options={[['synthetic', 'synthetic'], ['builtin', 'builtin'], ['file', 'file (CSV, IDX, images, text)']]}
          onChange={(source) => setData({ source, name: source === 'builtin' ? 'fashion-mnist' : source === 'synthetic' ? 'two-moons' : '', options: {} }, 'source')}
        />
        {nameOptions !== null ? (
          <SelectField label="name" value={t.dataset.name} options={nameOptions.includes(t.dataset.name) ? nameOptions : [t.dataset.name, ...nameOptions]} onChange={(name) => setData({ name }, 'name')} />
        ) : (
          <TextField label="path" value={t.dataset.name} onCommit={(name) => setData({ name }, 'name')} validate={(v) => (v.trim() === '' ? 'a file or folder path is required' : null)} hint="relative to the project file" />
        )}
        <NumberField label="validation split" value={t.dataset.validationSplit} rule={{ label: 'validation split', min: 0, max: 0.9 }} onCommit={(validationSplit) => setData({ validationSplit }, 'split')} />
        <TextField
          label="options"
          value={formatOptions(t.dataset.options)}
          onCommit={(text) => {
            const parsed = parseOptions(text);
            if (parsed.ok) setData({ options: parsed.value }, 'options');
          }}
          validate={(text) => {
            const parsed = parseOptions(text);
            return parsed.ok ? null : parsed.message;
          }}
          hint="key=value, … (samples=1000, noise=0.1)"
        />
      </Group>
      <Group title="Loss and optimizer">
        <SelectField
          label="loss node"
          value={t.loss ?? ''}
          options={[['', 'automatic'], ...lossNodes.map((n): [string, string] => [n.id, `${n.name ?? n.id} (${layerSpec(n.layer)?.title ?? n.layer})`])]}
          onChange={(loss) => set('loss', loss === '' ? null : loss)}
        />
        <SelectField
          label="optimizer"
          value={opt.kind}
          options={[['sgd', 'SGD'], ['adam', 'Adam'], ['adamw', 'AdamW'], ['rmsprop', 'RMSprop']]}
          onChange={(kind) => set('optimizer', optimizerOfKind(kind, opt))}
        />
        <NumberField label="lr" value={opt.lr} rule={{ label: 'lr', min: 0, exclusiveMin: true }} onCommit={(lr) => setOpt({ lr }, 'lr')} />
        <NumberField label="weight_decay" value={opt.weight_decay} rule={{ label: 'weight_decay', min: 0 }} onCommit={(weight_decay) => setOpt({ weight_decay }, 'wd')} />
        {opt.kind === 'sgd' && (
          <>
            <NumberField label="momentum" value={opt.momentum} rule={{ label: 'momentum', min: 0 }} onCommit={(momentum) => setOpt({ momentum }, 'momentum')} />
            <NumberField label="dampening" value={opt.dampening} rule={{ label: 'dampening', min: 0 }} onCommit={(dampening) => setOpt({ dampening }, 'dampening')} />
            <Check label="nesterov" checked={opt.nesterov} onChange={(nesterov) => setOpt({ nesterov }, 'nesterov')} />
          </>
        )}
        {(opt.kind === 'adam' || opt.kind === 'adamw') && (
          <>
            <NumberField label="beta1" value={opt.betas[0]} rule={{ label: 'beta1', min: 0, max: 1, exclusiveMax: true }} onCommit={(b) => setOpt({ betas: [b, opt.betas[1]] }, 'beta1')} />
            <NumberField label="beta2" value={opt.betas[1]} rule={{ label: 'beta2', min: 0, max: 1, exclusiveMax: true }} onCommit={(b) => setOpt({ betas: [opt.betas[0], b] }, 'beta2')} />
            <NumberField label="eps" value={opt.eps} rule={{ label: 'eps', min: 0, exclusiveMin: true }} onCommit={(eps) => setOpt({ eps }, 'eps')} />
            <Check label="amsgrad" checked={opt.amsgrad} onChange={(amsgrad) => setOpt({ amsgrad }, 'amsgrad')} />
          </>
        )}
        {opt.kind === 'rmsprop' && (
          <>
            <NumberField label="alpha" value={opt.alpha} rule={{ label: 'alpha', min: 0, max: 1 }} onCommit={(alpha) => setOpt({ alpha }, 'alpha')} />
            <NumberField label="eps" value={opt.eps} rule={{ label: 'eps', min: 0, exclusiveMin: true }} onCommit={(eps) => setOpt({ eps }, 'eps')} />
            <NumberField label="momentum" value={opt.momentum} rule={{ label: 'momentum', min: 0 }} onCommit={(momentum) => setOpt({ momentum }, 'momentum')} />
            <Check label="centered" checked={opt.centered} onChange={(centered) => setOpt({ centered }, 'centered')} />
          </>
        )}
      </Group>
      <Group title="Schedule">
        <SelectField
          label="LR schedule"
          value={sched.kind}
          options={[['constant', 'constant'], ['step', 'StepLR'], ['exponential', 'ExponentialLR'], ['cosine', 'CosineAnnealingLR'], ['reduce-on-plateau', 'ReduceLROnPlateau']]}
          onChange={(kind) => set('schedule', scheduleOfKind(kind, t.epochs))}
        />
        {sched.kind === 'step' && (
          <>
            <NumberField label="step_size" value={sched.step_size} rule={{ label: 'step_size', integer: true, min: 1 }} onCommit={(step_size) => setSched({ step_size }, 'step')} hint="epochs" />
            <NumberField label="gamma" value={sched.gamma} rule={{ label: 'gamma', min: 0, exclusiveMin: true }} onCommit={(gamma) => setSched({ gamma }, 'gamma')} />
          </>
        )}
        {sched.kind === 'exponential' && <NumberField label="gamma" value={sched.gamma} rule={{ label: 'gamma', min: 0, exclusiveMin: true }} onCommit={(gamma) => setSched({ gamma }, 'gamma')} />}
        {sched.kind === 'cosine' && (
          <>
            <NumberField label="T_max" value={sched.T_max} rule={{ label: 'T_max', integer: true, min: 1 }} onCommit={(T_max) => setSched({ T_max }, 'tmax')} hint="epochs" />
            <NumberField label="eta_min" value={sched.eta_min} rule={{ label: 'eta_min', min: 0 }} onCommit={(eta_min) => setSched({ eta_min }, 'eta')} />
          </>
        )}
        {sched.kind === 'reduce-on-plateau' && (
          <>
            <NumberField label="factor" value={sched.factor} rule={{ label: 'factor', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }} onCommit={(factor) => setSched({ factor }, 'factor')} />
            <NumberField label="patience" value={sched.patience} rule={{ label: 'patience', integer: true, min: 0 }} onCommit={(patience) => setSched({ patience }, 'patience')} />
            <NumberField label="threshold" value={sched.threshold} rule={{ label: 'threshold', min: 0 }} onCommit={(threshold) => setSched({ threshold }, 'threshold')} />
            <NumberField label="min_lr" value={sched.min_lr} rule={{ label: 'min_lr', min: 0 }} onCommit={(min_lr) => setSched({ min_lr }, 'minlr')} />
          </>
        )}
      </Group>
      <Group title="Loop">
        <NumberField label="epochs" value={t.epochs} rule={{ label: 'epochs', integer: true, min: 1 }} onCommit={(epochs) => set('epochs', epochs)} />
        <NumberField label="batch size" value={t.batchSize} rule={{ label: 'batch size', integer: true, min: 1 }} onCommit={(batchSize) => set('batchSize', batchSize)} />
        <NumberField label="workers" value={t.workers} rule={{ label: 'workers', integer: true, min: 0, max: 64 }} onCommit={(workers) => set('workers', workers)} hint="loader threads (0: main thread)" />
        <NumberField label="threads" value={t.threads ?? 0} rule={{ label: 'threads', integer: true, min: 0, max: 1024 }} onCommit={(threads) => set('threads', threads)} hint="engine threads (0: physical cores)" />
        <NumberField label="seed" value={t.seed} rule={{ label: 'seed', integer: true, min: 0 }} onCommit={(seed) => set('seed', seed)} />
        <Check label="shuffle" checked={t.shuffle} onChange={(shuffle) => set('shuffle', shuffle)} />
        <SelectField label="device" value={t.device} options={deviceOptions(t.device, engine)} onChange={(device) => set('device', device)} hint={deviceHint(engine)} />
        <SelectField label="dtype" value={t.dtype} options={['float32', 'float64']} onChange={(dtype) => set('dtype', dtype)} />
      </Group>
      <Group title="Stability">
        <Check label="gradient clipping" checked={t.gradientClipping !== null} onChange={(on) => set('gradientClipping', on ? { maxNorm: 1, normType: 2 } : null)} hint="clip_grad_norm_" />
        {t.gradientClipping !== null && (
          <>
            <NumberField label="max_norm" value={t.gradientClipping.maxNorm} rule={{ label: 'max_norm', min: 0, exclusiveMin: true }} onCommit={(maxNorm) => set('gradientClipping', { maxNorm, normType: t.gradientClipping?.normType ?? 2 })} />
            <NumberField label="norm_type" value={t.gradientClipping.normType} rule={{ label: 'norm_type', min: 0, exclusiveMin: true }} onCommit={(normType) => set('gradientClipping', { maxNorm: t.gradientClipping?.maxNorm ?? 1, normType })} />
          </>
        )}
        <Check label="early stopping" checked={t.earlyStopping != null} onChange={(on) => set('earlyStopping', on ? { patience: 5, minDelta: 0 } : null)} />
        {t.earlyStopping != null && (
          <>
            <NumberField label="patience" value={t.earlyStopping.patience} rule={{ label: 'patience', integer: true, min: 1 }} onCommit={(patience) => set('earlyStopping', { patience, minDelta: t.earlyStopping?.minDelta ?? 0 })} hint="epochs" />
            <NumberField label="min_delta" value={t.earlyStopping.minDelta} rule={{ label: 'min_delta', min: 0 }} onCommit={(minDelta) => set('earlyStopping', { patience: t.earlyStopping?.patience ?? 5, minDelta })} />
          </>
        )}
        <Check label="anomaly mode (this window's runs)" checked={extras.anomaly} onChange={(anomaly) => onExtras({ ...extras, anomaly })} hint="re-runs a non-finite step to name the module that produced NaN/inf; slower" />
        <NumberField label="layer stats every" value={extras.paramStatsEvery} rule={{ label: 'layer stats every', integer: true, min: 0 }} onCommit={(paramStatsEvery) => onExtras({ ...extras, paramStatsEvery })} hint="steps (grad/weight norms; 0: off)" />
        <NumberField label="histograms every" value={extras.histogramEvery} rule={{ label: 'histograms every', integer: true, min: 0 }} onCommit={(histogramEvery) => onExtras({ ...extras, histogramEvery })} hint="steps (0: off)" />
      </Group>
      {issues.length > 0 && (
        <ul className="settings-issues" aria-label="Settings problems">
          {issues.map((issue, i) => (
            <li key={i} className={`settings-issue ${issue.severity}`}>
              <span className="error-code">{issue.severity === 'error' ? 'error' : 'warning'}</span> {issue.field}: {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
