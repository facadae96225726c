// What a node shows, read from its spec and analysis: key params ("1→6 k5"), output shape, parameter count.
import type { GraphAnalysis, GraphError, NodeAnalysis } from '../../shared/graph';
import { formatShape, ParamReader, type LayerSpec, type ParamValue, type Params, type WeightSpec } from '../../shared/layers';

const abbreviations: Readonly<Record<string, string>> = { kernel_size: 'k', stride: 's', padding: 'p', dilation: 'd', groups: 'g' };

function compact(value: ParamValue): string {
  if (Array.isArray(value)) {
    const items = value as readonly number[];
    return items.length > 0 && items.every((item) => item === items[0]) ? String(items[0]) : `(${items.join(',')})`;
  }
  return value === null ? 'None' : String(value);
}

const same = (a: ParamValue | undefined, b: ParamValue | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A short summary of a node's params, generic over specs: `in→out` for in_x and out_x pairs, `k5 s2 p2` for
 * windows, then other params that differ from their defaults (at most three parts in all).
 */
export function keyParams(spec: LayerSpec, params: Params): string {
  const parts: string[] = [];
  const used = new Set<string>();
  for (const param of spec.params) {
    if (!param.name.startsWith('in_')) continue;
    const partner = spec.params.find((candidate) => candidate.name === `out_${param.name.slice(3)}`);
    if (partner === undefined) continue;
    parts.push(`${compact(params[param.name] ?? null).replace('None', '?')}→${compact(params[partner.name] ?? null)}`);
    used.add(param.name).add(partner.name);
  }
  for (const param of spec.params) {
    if (used.has(param.name)) continue;
    const value = params[param.name];
    const short = abbreviations[param.name];
    if (short !== undefined) {
      if (param.name === 'kernel_size' || !same(value, param.default)) parts.push(`${short}${compact(value ?? null)}`);
      used.add(param.name);
    }
  }
  for (const param of spec.params) {
    if (used.has(param.name) || param.derived) continue;
    const value = params[param.name];
    if (value === undefined || same(value, param.default)) continue;
    if (typeof value === 'boolean') parts.push(value ? param.name : `no ${param.name}`);
    else parts.push(`${param.name}=${compact(value)}`);
  }
  return parts.slice(0, 4).join(' ');
}

/** Weights of an analysed node, or null while its params are incomplete (derived sizes unknown). */
export function nodeWeights(analysis: NodeAnalysis | undefined): readonly WeightSpec[] | null {
  if (analysis === undefined || analysis.status !== 'ok') return null;
  try {
    return analysis.spec.weights(new ParamReader(analysis.params));
  } catch {
    return null;
  }
}

export const countElements = (shape: readonly number[]): number => shape.reduce((total, dim) => total * dim, 1);

export function parameterCount(weights: readonly WeightSpec[] | null): number | null {
  if (weights === null) return null;
  return weights.filter((weight) => !weight.buffer).reduce((total, weight) => total + countElements(weight.shape), 0);
}

/** 61706 → "61.7K"; 1234567 → "1.23M". */
export function formatCount(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1e6) return `${(count / 1e3).toPrecision(3).replace(/\.?0+$/, '')}K`;
  if (count < 1e9) return `${(count / 1e6).toPrecision(3).replace(/\.?0+$/, '')}M`;
  return `${(count / 1e9).toPrecision(3).replace(/\.?0+$/, '')}B`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(2)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** The output shape text: the single output's shape, or `name: shape` per output. */
export function outputText(analysis: NodeAnalysis | undefined): string {
  if (analysis === undefined) return '';
  const entries = Object.entries(analysis.outputs);
  if (entries.length === 0) return analysis.status === 'ok' ? '' : '?';
  if (entries.length === 1) return formatShape(entries[0]?.[1].shape ?? []);
  return entries.map(([name, info]) => `${name}: ${formatShape(info.shape)}`).join('  ');
}

/** Errors by node id (graph-level errors under ''). */
export function errorsByNode(analysis: GraphAnalysis): Map<string, GraphError[]> {
  const map = new Map<string, GraphError[]>();
  for (const error of analysis.errors) {
    const key = error.node ?? '';
    map.set(key, [...(map.get(key) ?? []), error]);
  }
  return map;
}
