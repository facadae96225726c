// Parses and checks what the user types into a param field, with the spec's types and bounds (validation as you type).
import type { ParamSpec, ParamValue } from '../../shared/layers';

export type ParsedField = { ok: true; value: ParamValue } | { ok: false; message: string };

export function formatParam(value: ParamValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

function bounds(value: number, spec: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }): string | null {
  if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) return `must be ${spec.exclusiveMin ? '>' : '≥'} ${spec.min}`;
  if (spec.max !== undefined && (spec.exclusiveMax ? value >= spec.max : value > spec.max)) return `must be ${spec.exclusiveMax ? '<' : '≤'} ${spec.max}`;
  return null;
}

/** Reads the text of a number or tuple field; enums and booleans have their own controls. */
export function parseParam(spec: ParamSpec, text: string): ParsedField {
  const trimmed = text.trim();
  if (trimmed === '' && spec.kind === 'ints' && spec.minLength === 0) return { ok: true, value: [] };
  if (trimmed === '' || trimmed.toLowerCase() === 'none') {
    if (spec.nullable || spec.derived) return { ok: true, value: null };
    return { ok: false, message: `${spec.name} is required` };
  }
  switch (spec.kind) {
    case 'int':
    case 'float': {
      const value = Number(trimmed);
      if (!Number.isFinite(value)) return { ok: false, message: `${spec.name} must be a number` };
      if (spec.kind === 'int' && !Number.isInteger(value)) return { ok: false, message: `${spec.name} must be a whole number` };
      const error = bounds(value, spec);
      return error === null ? { ok: true, value } : { ok: false, message: `${spec.name} ${error}` };
    }
    case 'ints': {
      const items = trimmed
        .replace(/^[([]|[)\]]$/g, '')
        .split(/[\s,]+/)
        .filter((item) => item !== '')
        .map(Number);
      if (items.some((item) => !Number.isInteger(item))) return { ok: false, message: `${spec.name} takes whole numbers separated by commas` };
      // PyTorch accepts kernel_size=5 for (5, 5): one number fills a fixed-length tuple.
      const filled = items.length === 1 && spec.minLength > 1 ? Array<number>(spec.minLength).fill(items[0] ?? 0) : items;
      if (filled.length < spec.minLength || filled.length > spec.maxLength) {
        const length = spec.minLength === spec.maxLength ? `${spec.minLength}` : `${spec.minLength}–${spec.maxLength}`;
        return { ok: false, message: `${spec.name} needs ${length} values` };
      }
      for (const item of filled) {
        const error = bounds(item, spec);
        if (error !== null) return { ok: false, message: `each value of ${spec.name} ${error}` };
      }
      return { ok: true, value: filled };
    }
    case 'bool':
      return trimmed === 'true' || trimmed === 'false' ? { ok: true, value: trimmed === 'true' } : { ok: false, message: `${spec.name} must be true or false` };
    case 'enum':
      return spec.options.includes(trimmed) ? { ok: true, value: trimmed } : { ok: false, message: `${spec.name} must be one of ${spec.options.join(', ')}` };
  }
}

/** "int ≥ 1", "2 ints ≥ 0", "float in (0, 1)" — the field's hint. */
export function describeParam(spec: ParamSpec): string {
  const range = (s: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }): string => {
    if (s.min !== undefined && s.max !== undefined) return ` in ${s.exclusiveMin ? '(' : '['}${s.min}, ${s.max}${s.exclusiveMax ? ')' : ']'}`;
    if (s.min !== undefined) return ` ${s.exclusiveMin ? '>' : '≥'} ${s.min}`;
    if (s.max !== undefined) return ` ${s.exclusiveMax ? '<' : '≤'} ${s.max}`;
    return '';
  };
  switch (spec.kind) {
    case 'int':
      return `int${range(spec)}${spec.nullable ? ', or empty for None' : ''}`;
    case 'float':
      return `float${range(spec)}${spec.nullable ? ', or empty for None' : ''}`;
    case 'ints':
      return `${spec.minLength === spec.maxLength ? spec.minLength : `${spec.minLength}–${spec.maxLength}`} ints${range(spec)}${spec.nullable ? ', or empty for None' : ''}`;
    case 'bool':
      return 'true / false';
    case 'enum':
      return spec.options.join(' | ');
  }
}
