// Gradient health: thresholds on each parameter's gradient norm (vanishing / exploding / non-finite) and on the
// update-to-weight ratio, rolled up per canvas node (a node's params are "<module path>.<name>").

export type HealthLevel = 'ok' | 'low' | 'high' | 'vanishing' | 'exploding' | 'nonfinite';

export interface HealthThresholds {
  /** below: vanishing (red) */
  vanishing: number;
  /** below: low (amber) */
  low: number;
  /** above: high (amber) */
  high: number;
  /** above: exploding (red) */
  exploding: number;
  /**
   * A tiny gradient is "vanishing" (red) only when it is also this much smaller than the largest gradient of the same
   * step: gradients dying on their way back. Tiny everywhere is a converged (or stalled) model: "low" (amber).
   */
  relative: number;
}

/** L2 norms of a parameter's gradient; defaults follow the usual 1e-7 … 1e3 bands for layer-sized tensors. */
export const defaultThresholds: HealthThresholds = { vanishing: 1e-7, low: 1e-5, high: 1e2, exploding: 1e3, relative: 1e-3 };

export interface ParamHealth {
  key: string;
  gradNorm: number;
  weightNorm: number;
  updateNorm: number;
  level: HealthLevel;
}

/** `largest`: the largest finite gradient norm of the same step (default: judge on the absolute bands alone). */
export function classifyGradNorm(gradNorm: number, t: HealthThresholds = defaultThresholds, largest = Infinity): HealthLevel {
  if (!Number.isFinite(gradNorm)) return 'nonfinite';
  if (gradNorm < t.vanishing) return largest > 0 && gradNorm < largest * t.relative ? 'vanishing' : 'low';
  if (gradNorm > t.exploding) return 'exploding';
  if (gradNorm < t.low) return 'low';
  if (gradNorm > t.high) return 'high';
  return 'ok';
}

/** |Δw| / |w|; ~1e-3 is the usual healthy rate. null when the weights are all zero. */
export function updateRatio(updateNorm: number, weightNorm: number): number | null {
  if (!Number.isFinite(updateNorm) || !Number.isFinite(weightNorm)) return NaN;
  return weightNorm > 0 ? updateNorm / weightNorm : null;
}

const severity: Record<HealthLevel, number> = { ok: 0, low: 1, high: 1, vanishing: 2, exploding: 2, nonfinite: 3 };

/** The worse of two levels (non-finite > vanishing/exploding > low/high > ok). */
export function worst(a: HealthLevel, b: HealthLevel): HealthLevel {
  return severity[b] > severity[a] ? b : a;
}

export function isWarning(level: HealthLevel): boolean {
  return severity[level] >= 2;
}

/** "fc1.weight" → "fc1"; "features.0.bias" → "features.0". */
export function modulePathOf(paramKey: string): string {
  const dot = paramKey.lastIndexOf('.');
  return dot < 0 ? paramKey : paramKey.slice(0, dot);
}

export interface NodeHealth {
  level: HealthLevel;
  step: number;
  params: ParamHealth[];
}

/** Rolls parameter stats up to nodes: `paths` maps node id → module path (GraphAnalysis.paths). */
export function healthByNode(
  params: readonly { key: string; gradNorm: number; weightNorm: number; updateNorm: number }[],
  step: number,
  paths: ReadonlyMap<string, string>,
  t: HealthThresholds = defaultThresholds,
): Map<string, NodeHealth> {
  const nodeOfPath = new Map<string, string>();
  for (const [node, path] of paths) nodeOfPath.set(path, node);
  const out = new Map<string, NodeHealth>();
  const top = largestNorm(params);
  for (const p of params) {
    const node = nodeOfPath.get(modulePathOf(p.key));
    if (node === undefined) continue;
    const level = classifyGradNorm(p.gradNorm, t, top);
    const entry = out.get(node) ?? { level: 'ok' as HealthLevel, step, params: [] };
    entry.params.push({ ...p, level });
    entry.level = worst(entry.level, level);
    out.set(node, entry);
  }
  return out;
}

/** The largest finite gradient norm among a step's parameters (0 when none). */
export function largestNorm(params: readonly { gradNorm: number }[]): number {
  let top = 0;
  for (const p of params) if (Number.isFinite(p.gradNorm) && p.gradNorm > top) top = p.gradNorm;
  return top;
}

const describeLevel: Record<HealthLevel, string> = {
  ok: 'healthy',
  low: 'small gradients',
  high: 'large gradients',
  vanishing: 'vanishing gradients',
  exploding: 'exploding gradients',
  nonfinite: 'non-finite gradients',
};

export function healthLabel(level: HealthLevel): string {
  return describeLevel[level];
}

/** A warning line for a parameter whose gradient left the healthy band, saying what to try. */
export function healthAdvice(p: ParamHealth, t: HealthThresholds = defaultThresholds): string | null {
  const norm = p.gradNorm.toExponential(2);
  switch (p.level) {
    case 'nonfinite':
      return `${p.key}: gradient is NaN/inf. Lower the learning rate, enable gradient clipping, or turn on anomaly mode to find the op.`;
    case 'vanishing':
      return `${p.key}: gradient norm ${norm} < ${t.vanishing} and ${1 / t.relative}× below the largest layer's: vanishing. Try ReLU instead of sigmoid/tanh, normalisation layers, or a better initialisation.`;
    case 'exploding':
      return `${p.key}: gradient norm ${norm} > ${t.exploding}: exploding. Lower the learning rate or enable gradient clipping.`;
    default:
      return null;
  }
}
