// Training settings validation: parse a typed field (numbers with bounds, key=value options), check the whole
// settings object against the project schema, and warn about values that are legal but probably a mistake.
import { chooseDevice, type EngineInfo } from '../../shared/api';
import { TrainingSchema, type Training } from '../../shared/graph';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export interface NumberRule {
  label: string;
  integer?: boolean;
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

export function parseNumber(text: string, rule: NumberRule): Parsed<number> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: `${rule.label} is required` };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { ok: false, message: `${rule.label} must be a number` };
  if (rule.integer === true && !Number.isInteger(value)) return { ok: false, message: `${rule.label} must be a whole number` };
  if (rule.min !== undefined && (rule.exclusiveMin === true ? value <= rule.min : value < rule.min)) return { ok: false, message: `${rule.label} must be ${rule.exclusiveMin === true ? '>' : '≥'} ${rule.min}` };
  if (rule.max !== undefined && (rule.exclusiveMax === true ? value >= rule.max : value > rule.max)) return { ok: false, message: `${rule.label} must be ${rule.exclusiveMax === true ? '<' : '≤'} ${rule.max}` };
  return { ok: true, value };
}

export function describeRule(rule: NumberRule): string {
  const kind = rule.integer === true ? 'int' : 'float';
  if (rule.min !== undefined && rule.max !== undefined) return `${kind} in ${rule.exclusiveMin === true ? '(' : '['}${rule.min}, ${rule.max}${rule.exclusiveMax === true ? ')' : ']'}`;
  if (rule.min !== undefined) return `${kind} ${rule.exclusiveMin === true ? '>' : '≥'} ${rule.min}`;
  return kind;
}

type OptionValue = string | number | boolean;

/** "samples=1000, noise=0.1, header=true" → { samples: 1000, noise: 0.1, header: true }. */
export function parseOptions(text: string): Parsed<Record<string, OptionValue>> {
  const out: Record<string, OptionValue> = {};
  for (const part of text.split(/[,\n]/)) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return { ok: false, message: `"${item}" is not key=value` };
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    if (!/^[A-Za-z_][\w]*$/.test(key)) return { ok: false, message: `option name "${key}" must be letters, digits and _` };
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return { ok: true, value: out };
}

export function formatOptions(options: Record<string, OptionValue>): string {
  return Object.entries(options)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

export interface SettingsIssue {
  field: string;
  message: string;
  severity: 'error' | 'warning';
}

/**
 * Schema errors (the run would be refused) and warnings (it would run, probably not as meant). With the engine's
 * info, a device this machine does not have is an error naming the devices it has.
 */
export function checkTraining(training: Training, engine: Pick<EngineInfo, 'devices' | 'cudaStatus'> | null = null): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const parsed = TrainingSchema.safeParse(training);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push({ field: issue.path.join('.'), message: issue.message, severity: 'error' });
  }
  const lr = training.optimizer.lr;
  if (lr > 1) issues.push({ field: 'optimizer.lr', message: `learning rate ${lr} is very large; training will likely diverge (typical: 1e-4 … 1e-1)`, severity: 'warning' });
  else if (lr < 1e-6) issues.push({ field: 'optimizer.lr', message: `learning rate ${lr} is very small; the loss will barely move`, severity: 'warning' });
  if (training.dataset.source === 'file' && training.dataset.name.trim() === '') issues.push({ field: 'dataset.name', message: 'choose a dataset file or folder', severity: 'error' });
  const samples = training.dataset.options['samples'];
  if (typeof samples === 'number' && training.batchSize > samples * (1 - training.dataset.validationSplit)) {
    issues.push({ field: 'batchSize', message: `batch size ${training.batchSize} is larger than the ${Math.floor(samples * (1 - training.dataset.validationSplit))} training samples`, severity: 'warning' });
  }
  if (training.dataset.validationSplit === 0 && training.earlyStopping != null) {
    issues.push({ field: 'earlyStopping', message: 'early stopping watches the validation loss; with no validation split it watches the training loss', severity: 'warning' });
  }
  if (training.schedule.kind === 'cosine' && training.schedule.T_max > training.epochs * 4) {
    issues.push({ field: 'schedule.T_max', message: `T_max ${training.schedule.T_max} is far beyond ${training.epochs} epochs: the LR barely decays`, severity: 'warning' });
  }
  if (engine !== null && training.device !== 'auto') {
    const choice = chooseDevice(training.device, engine);
    if (!choice.ok) issues.push({ field: 'device', message: choice.message, severity: 'error' });
  }
  return issues;
}

/** Default optimizer settings for a kind, keeping the learning rate and weight decay. */
export function optimizerOfKind(kind: Training['optimizer']['kind'], from: Training['optimizer']): Training['optimizer'] {
  const lr = from.lr;
  const weight_decay = from.weight_decay;
  switch (kind) {
    case 'sgd':
      return { kind, lr, momentum: 0, dampening: 0, weight_decay, nesterov: false };
    case 'adam':
    case 'adamw':
      return { kind, lr, betas: [0.9, 0.999], eps: 1e-8, weight_decay: kind === 'adamw' && weight_decay === 0 ? 0.01 : weight_decay, amsgrad: false };
    case 'rmsprop':
      return { kind, lr, alpha: 0.99, eps: 1e-8, weight_decay, momentum: 0, centered: false };
  }
}

export function scheduleOfKind(kind: Training['schedule']['kind'], epochs: number): Training['schedule'] {
  switch (kind) {
    case 'constant':
      return { kind };
    case 'step':
      return { kind, step_size: Math.max(1, Math.round(epochs / 3)), gamma: 0.1 };
    case 'exponential':
      return { kind, gamma: 0.95 };
    case 'cosine':
      return { kind, T_max: epochs, eta_min: 0 };
    case 'reduce-on-plateau':
      return { kind, factor: 0.1, patience: 10, threshold: 1e-4, min_lr: 0 };
  }
}
