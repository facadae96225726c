// CSV datasets: numeric feature columns and one label column (class names or numbers), header row detected.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DatasetError, sharedFloat32, sharedInt32, type Dataset } from './types';

export interface CsvOptions {
  /** label column: header name or 0-based index; default the last column */
  label?: string | number;
  /** classification (labels become class indices) or regression (float targets); auto: numbers with few distinct integer values are classes */
  task?: 'classification' | 'regression' | 'auto';
  /** is the first row a header? auto: yes when it has a non-numeric cell and the second row has none */
  header?: boolean | 'auto';
  delimiter?: string;
}

const isNumber = (cell: string): boolean => cell.trim() !== '' && Number.isFinite(Number(cell));

function splitRow(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter).map((c) => c.trim());
  // Quoted cells ("a,b", doubled "" for a quote).
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

export function parseCsv(text: string, file: string, options: CsvOptions = {}): Dataset {
  const name = basename(file);
  const delimiter = options.delimiter ?? ',';
  const lines = text.split(/\r?\n/);
  const rows: { line: number; cells: string[] }[] = [];
  lines.forEach((line, i) => {
    if (line.trim() !== '') rows.push({ line: i + 1, cells: splitRow(line, delimiter) });
  });
  if (rows.length === 0) throw new DatasetError(`${name}: the file is empty`);
  const first = rows[0]!;
  const width = first.cells.length;
  if (width < 2) throw new DatasetError(`${name}: row ${first.line} has ${width} column; a CSV dataset needs feature columns and a label column (delimiter ${JSON.stringify(delimiter)})`);
  let header: string[] | null = null;
  const headerOption = options.header ?? 'auto';
  if (headerOption === true) header = first.cells;
  else if (headerOption === 'auto' && rows.length > 1) {
    // A header has a text cell above a number in the same column (a text label column alone says nothing).
    const second = rows[1]!;
    if (first.cells.some((c, k) => !isNumber(c) && isNumber(second.cells[k] ?? ''))) header = first.cells;
  }
  const body = header ? rows.slice(1) : rows;
  if (body.length === 0) throw new DatasetError(`${name}: there are no data rows after the header`);
  const columnName = (k: number): string => (header ? `"${header[k]}" (column ${k + 1})` : `column ${k + 1}`);

  let labelColumn = width - 1;
  if (options.label !== undefined) {
    if (typeof options.label === 'number' || /^\d+$/.test(options.label)) labelColumn = Number(options.label);
    else {
      labelColumn = header ? header.indexOf(options.label) : -1;
      if (labelColumn < 0) throw new DatasetError(`${name}: no column named ${JSON.stringify(options.label)}${header ? ` (columns: ${header.join(', ')})` : ' (the file has no header row)'}`);
    }
    if (labelColumn >= width) throw new DatasetError(`${name}: label column ${labelColumn} is out of range (the file has ${width} columns)`);
  }
  const features = width - 1;
  const n = body.length;
  const x = sharedFloat32(n * features);
  const labels: string[] = new Array<string>(n);
  body.forEach((row, i) => {
    if (row.cells.length !== width) {
      throw new DatasetError(`${name}: row ${row.line} has ${row.cells.length} columns, expected ${width} (like row ${first.line})`);
    }
    let f = 0;
    for (let k = 0; k < width; k += 1) {
      const cell = row.cells[k]!;
      if (k === labelColumn) {
        if (cell === '') throw new DatasetError(`${name}: row ${row.line}, ${columnName(k)}: the label is empty`);
        labels[i] = cell;
        continue;
      }
      const v = Number(cell);
      if (cell === '' || !Number.isFinite(v)) {
        throw new DatasetError(`${name}: row ${row.line}, ${columnName(k)}: ${JSON.stringify(cell)} is not a number (feature columns must be numeric)`);
      }
      x[i * features + f] = v;
      f += 1;
    }
  });

  const numeric = labels.every(isNumber);
  let task = options.task ?? 'auto';
  if (task === 'auto') {
    const distinct = new Set(labels);
    task = !numeric || (labels.every((l) => Number.isInteger(Number(l))) && distinct.size <= Math.max(2, Math.min(100, n / 2))) ? 'classification' : 'regression';
  }
  if (task === 'regression') {
    const y = sharedFloat32(n);
    labels.forEach((l, i) => {
      const v = Number(l);
      if (!isNumber(l)) throw new DatasetError(`${name}: row ${body[i]!.line}, ${columnName(labelColumn)}: ${JSON.stringify(l)} is not a number (regression needs numeric labels)`);
      y[i] = v;
    });
    return { name, count: n, x: { shape: [features], dtype: 'float32', data: x }, y: { shape: [1], dtype: 'float32', data: y }, task: 'regression' };
  }
  // Class names sorted (numerically when numeric), index = position.
  const classes = [...new Set(labels)].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(classes.map((c, k) => [c, k]));
  const y = sharedInt32(n);
  labels.forEach((l, i) => {
    y[i] = index.get(l)!;
  });
  return { name, count: n, x: { shape: [features], dtype: 'float32', data: x }, y: { shape: [], dtype: 'int64', data: y }, task: 'classification', classes };
}

export function readCsv(file: string, options: CsvOptions = {}): Dataset {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DatasetError(`${file} cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseCsv(text, file, options);
}
