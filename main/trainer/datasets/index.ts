// Resolves a project's dataset reference (builtin, synthetic or file) into in-memory splits shaped for the model's inputs,
// and previews a few samples of it.
import { existsSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../../shared/api/plan';
import type { Training } from '../../../shared/graph/schema';
import { mixSeed, permutation } from '../random';
import { readCsv, type CsvOptions } from './csv';
import { readIdx } from './idx';
import { readImageFolder } from './images';
import { synthetic } from './synthetic';
import { readText } from './text';
import { DatasetError, numel, sharedFloat32, sharedInt32, type DataSplits, type Dataset, type Field } from './types';

export { DatasetError, type DataSplits, type Dataset, type Field } from './types';

type DatasetRef = Training['dataset'];
type Options = DatasetRef['options'];

export const builtinDirs: Record<string, string> = {
  'fashion-mnist': process.env['NW_FASHION_MNIST'] ?? '/usr/share/datasets/fashion-mnist',
  mnist: process.env['NW_MNIST'] ?? '/usr/share/datasets/mnist',
};

/** IDX images + labels into a dataset (uint8 images scaled to [0, 1]). */
export function idxDataset(imagesPath: string, labelsPath: string, name: string): Dataset {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  const count = images.shape[0] ?? 0;
  if (labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw new DatasetError(`${labelsPath}: has ${labels.shape[0] ?? 0} labels but ${imagesPath} has ${count} images`);
  }
  const x = sharedFloat32(images.data.length);
  const scale = images.type === 0x08 ? 1 / 255 : 1;
  const src = images.data;
  for (let i = 0; i < x.length; i += 1) x[i] = src[i]! * scale;
  const y = sharedInt32(count);
  let classes = 0;
  for (let i = 0; i < count; i += 1) {
    y[i] = labels.data[i]!;
    classes = Math.max(classes, y[i]! + 1);
  }
  return {
    name, count, x: { shape: images.shape.slice(1), dtype: 'float32', data: x }, y: { shape: [], dtype: 'int64', data: y },
    task: 'classification', classes: Array.from({ length: classes }, (_, k) => String(k)),
  };
}

const str = (options: Options, key: string): string | undefined => (options[key] === undefined ? undefined : String(options[key]));

function numbers(options: Options, key: string): number[] | null {
  const v = options[key];
  if (v === undefined) return null;
  const list = String(v).split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isFinite(n))) throw new DatasetError(`dataset option ${key} must be a number or comma-separated numbers, got ${JSON.stringify(v)}`);
  return list;
}

function fileFormat(path: string, options: Options): string {
  const given = str(options, 'format');
  if (given !== undefined) return given;
  if (existsSync(path) && statSync(path).isDirectory()) return 'images';
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.txt') return 'text';
  if (/idx\d-ubyte(\.gz)?$/.test(path) || ext === '.idx') return 'idx';
  throw new DatasetError(`${path}: cannot tell the dataset format from the name; set the dataset option format to csv, idx, images or text`);
}

/** Per-sample shape the model's first input/target wants ([] when unknown), without the batch dim. */
function planSample(values: Plan['inputs']): (number | null)[] | null {
  const v = values[0];
  return v === undefined ? null : v.shape.slice(1);
}

interface LoadContext {
  baseDir: string;
  seed: number;
  input: (number | null)[] | null;
}

/** The app's own folder (where package.json and samples/ are), from this module's location in the sources or dist/. */
function appRoot(): string {
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'samples'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}

/** Text corpora shipped with the app (samples/data), usable as builtin datasets from any project. */
export const builtinTexts: Record<string, string> = { notes: 'samples/data/notes.txt' };

function loadRaw(ref: DatasetRef, ctx: LoadContext): { train: Dataset; test: Dataset | null } {
  const { options } = ref;
  if (ref.source === 'builtin' && builtinTexts[ref.name] !== undefined) {
    return loadRaw({ ...ref, source: 'file', name: join(appRoot(), builtinTexts[ref.name]!) }, ctx);
  }
  if (ref.source === 'synthetic') {
    const seqLen = ctx.input?.[0] ?? null;
    return { train: synthetic(ref.name, options, mixSeed(ctx.seed, 0x5e7), ctx.input && ctx.input.length >= 1 ? seqLen : null), test: null };
  }
  if (ref.source === 'builtin') {
    const dir = str(options, 'dir') ?? builtinDirs[ref.name];
    if (dir === undefined) {
      throw new DatasetError(`builtin dataset ${JSON.stringify(ref.name)} is not available: builtins are ${[...Object.keys(builtinDirs), ...Object.keys(builtinTexts)].join(', ')}; use a file dataset (CSV, IDX, image folder or text) instead`);
    }
    const file = (base: string): string => {
      const gz = join(dir, `${base}.gz`);
      return existsSync(gz) ? gz : join(dir, base);
    };
    if (!existsSync(file('train-images-idx3-ubyte'))) {
      throw new DatasetError(`${ref.name} not found in ${dir}: install it (apt-get install dataset-${ref.name}) or set the dataset option dir`);
    }
    return {
      train: idxDataset(file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte'), `${ref.name} train`),
      test: existsSync(file('t10k-images-idx3-ubyte')) ? idxDataset(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte'), `${ref.name} test`) : null,
    };
  }
  const path = isAbsolute(ref.name) ? ref.name : resolve(ctx.baseDir, ref.name);
  const rel = (p: string): string => (isAbsolute(p) ? p : resolve(ctx.baseDir, p));
  if (!existsSync(path)) throw new DatasetError(`${path}: no such file or folder`);
  const format = fileFormat(path, options);
  switch (format) {
    case 'csv': {
      const label = str(options, 'label');
      const taskOption = str(options, 'task');
      const task = taskOption === 'classification' || taskOption === 'regression' || taskOption === 'auto' ? taskOption : undefined;
      const header = options['header'];
      const csvOptions: CsvOptions = {};
      if (label !== undefined) csvOptions.label = label;
      if (task !== undefined) csvOptions.task = task;
      if (header !== undefined) csvOptions.header = header === 'auto' ? 'auto' : header === true || header === 'true';
      const delimiter = str(options, 'delimiter') ?? (extname(path) === '.tsv' ? '\t' : undefined);
      if (delimiter !== undefined) csvOptions.delimiter = delimiter;
      const test = str(options, 'test');
      return { train: readCsv(path, csvOptions), test: test === undefined ? null : readCsv(rel(test), csvOptions) };
    }
    case 'idx': {
      const labels = str(options, 'labels');
      if (labels === undefined) throw new DatasetError(`${path}: an IDX dataset needs the dataset option labels (the labels file)`);
      const testImages = str(options, 'testImages');
      const testLabels = str(options, 'testLabels');
      return {
        train: idxDataset(path, rel(labels), path),
        test: testImages !== undefined && testLabels !== undefined ? idxDataset(rel(testImages), rel(testLabels), testImages) : null,
      };
    }
    case 'images': {
      const shape = ctx.input ?? [];
      const [c, h, w] = shape;
      const channels = Number(options['channels'] ?? c ?? 1);
      const height = Number(options['height'] ?? h ?? 28);
      const width = Number(options['width'] ?? w ?? 28);
      if (channels !== 1 && channels !== 3) throw new DatasetError(`${path}: image channels must be 1 (grey) or 3 (RGB), got ${channels}`);
      const imageOptions = { channels: channels as 1 | 3, height, width };
      const trainDir = existsSync(join(path, 'train')) && existsSync(join(path, 'test')) ? join(path, 'train') : path;
      const train = readImageFolder(trainDir, imageOptions);
      const testDir = str(options, 'test') ?? (trainDir !== path ? join(path, 'test') : undefined);
      return { train, test: testDir === undefined ? null : readImageFolder(rel(testDir), imageOptions, train.classes) };
    }
    case 'text': {
      const tokens = str(options, 'tokens') === 'word' ? 'word' : 'char';
      const seqLen = Number(options['seqLen'] ?? ctx.input?.[0] ?? 64);
      const stride = options['stride'] === undefined ? undefined : Number(options['stride']);
      return { train: readText(path, { tokens, seqLen, ...(stride !== undefined ? { stride } : {}) }), test: null };
    }
    default:
      throw new DatasetError(`${path}: unknown dataset format ${JSON.stringify(format)}; use csv, idx, images or text`);
  }
}

const fmt = (shape: readonly (number | null)[]): string => `[${shape.map((d) => (d === null ? 'N' : String(d))).join(', ')}]`;

/** Gives `field` the model's per-sample shape when the sizes agree (28×28 → 1×28×28 or 784). */
function fitField(field: Field, want: (number | null)[] | null, what: string, dataset: string): Field {
  if (want === null) return field;
  if (want.some((d) => d === null)) {
    if (want.length !== field.shape.length || want.some((d, k) => d !== null && d !== field.shape[k])) {
      throw new DatasetError(`${dataset}: samples have ${what} shape ${fmt(field.shape)} but the model's ${what} takes ${fmt(want)}`);
    }
    return field;
  }
  const shape = want as number[];
  if (numel(shape) !== numel(field.shape)) {
    throw new DatasetError(`${dataset}: samples have ${what} shape ${fmt(field.shape)} (${numel(field.shape)} values) but the model's ${what} takes ${fmt(shape)}; change the Input node or the dataset`);
  }
  return { ...field, shape };
}

export interface ResolveOptions {
  /** relative dataset paths are resolved against this (the project file's folder) */
  baseDir?: string;
}

/** Loads the dataset a project names, fits it to the Plan's input and target, and splits off validation. */
export function resolveDataset(training: Training, plan: Plan, options: ResolveOptions = {}): DataSplits {
  const ref = training.dataset;
  const input = planSample(plan.inputs);
  const target = planSample(plan.targets);
  const raw = loadRaw(ref, { baseDir: options.baseDir ?? process.cwd(), seed: training.seed, input });
  const targetSpec = plan.targets[0];
  let oneHot = 0;
  const fit = (d: Dataset): Dataset => {
    const x = fitField(d.x, input, 'input', d.name);
    let y: Field;
    if (targetSpec !== undefined && targetSpec.dtype !== 'int64' && d.y.dtype === 'int64' && d.task === 'classification') {
      // A float-target loss (BCE, MSE) of class labels: one-hot of width C at batch time.
      const width = target !== null && target.length === 1 && target[0] !== null ? target[0]! : (d.classes?.length ?? 2);
      oneHot = width;
      y = { ...d.y, shape: [width] };
      if (target !== null) fitField(y, target, 'target', d.name);
    } else {
      if (targetSpec !== undefined && (targetSpec.dtype === 'int64') !== (d.y.dtype === 'int64')) {
        throw new DatasetError(`${d.name}: the dataset's targets are ${d.y.dtype === 'int64' ? 'class indices' : 'float values'} but the model's target takes ${targetSpec.dtype === 'int64' ? 'class indices' : 'float values'}; change the Target node's dtype`);
      }
      y = fitField(d.y, target, 'target', d.name);
    }
    return { ...d, x, y };
  };
  const train = fit(raw.train);
  const test = raw.test ? fit(raw.test) : null;
  const n = train.count;
  const order = permutation(n, mixSeed(training.seed, 0x5b1));
  const nVal = Math.round(n * ref.validationSplit);
  const valIndices = order.slice(n - nVal).sort();
  const trainIndices = order.slice(0, n - nVal).sort();
  if (trainIndices.length === 0) throw new DatasetError(`${train.name}: no training samples left after the validation split`);

  const o = ref.options;
  let normalize: DataSplits['normalize'] = null;
  const mean = numbers(o, 'mean');
  const std = numbers(o, 'std');
  if (mean !== null || std !== null) {
    if (mean === null || std === null || mean.length !== std.length) throw new DatasetError('dataset options mean and std go together, with one value per channel each');
    if (std.some((s) => s <= 0)) throw new DatasetError('dataset option std must be > 0');
    normalize = { mean, std };
  } else if (o['normalize'] === true || o['normalize'] === 'true') {
    normalize = channelStats(train, trainIndices);
  }
  if (normalize !== null && train.x.dtype === 'float32') {
    const channels = channelCount(train.x.shape);
    if (normalize.mean.length === 1 && channels > 1) normalize = { mean: Array(channels).fill(normalize.mean[0]), std: Array(channels).fill(normalize.std[0]) };
    if (normalize.mean.length !== channels) throw new DatasetError(`normalisation has ${normalize.mean.length} values but the samples have ${channels} channels`);
  } else normalize = null;
  const crop = Number(o['randomCrop'] ?? 0);
  const flip = o['randomFlip'] === true || o['randomFlip'] === 'true';
  if ((flip || crop > 0) && train.x.shape.length !== 3) throw new DatasetError(`${train.name}: randomFlip and randomCrop need image samples [C, H, W], got ${fmt(train.x.shape)}`);
  return { train, trainIndices, valIndices, test, normalize, augment: { flip, cropPadding: Math.max(0, Math.floor(crop)) }, oneHot };
}

/** Channels for normalisation: C of [C, H, W], F of [F], else 1. */
export function channelCount(shape: readonly number[]): number {
  return shape.length === 3 || shape.length === 1 ? shape[0]! : 1;
}

/** Mean and standard deviation per channel over the given samples (float64 accumulation). */
export function channelStats(d: Dataset, indices: Int32Array): { mean: number[]; std: number[] } {
  const channels = channelCount(d.x.shape);
  const size = numel(d.x.shape);
  const per = size / channels;
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  for (const i of indices) {
    for (let c = 0; c < channels; c += 1) {
      const base = i * size + (channels === size ? c : c * per);
      const step = 1;
      const len = channels === size ? 1 : per;
      for (let k = 0; k < len; k += step) {
        const v = d.x.data[base + k]!;
        sum[c] = sum[c]! + v;
        sq[c] = sq[c]! + v * v;
      }
    }
  }
  const count = indices.length * (channels === size ? 1 : per);
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(s / count - mean[c]! ** 2, 0)) || 1);
  return { mean, std };
}

export interface DatasetPreview {
  name: string;
  task: Dataset['task'];
  train: number;
  validation: number;
  test: number | null;
  x: { shape: number[]; dtype: string };
  y: { shape: number[]; dtype: string };
  classes: string[] | null;
  samples: { x: number[]; y: number[]; label: string | null }[];
}

/** A few samples and the shapes, for the Input node's preview. */
export function previewSplits(splits: DataSplits, count = 4, maxValues = 32): DatasetPreview {
  const d = splits.train;
  const xs = numel(d.x.shape);
  const ys = d.y.dtype === 'int64' && splits.oneHot ? 1 : numel(d.y.shape);
  const samples = Array.from(splits.trainIndices.slice(0, count), (i) => {
    const y = Array.from(d.y.data.subarray(i * ys, (i + 1) * ys));
    return {
      x: Array.from(d.x.data.subarray(i * xs, i * xs + Math.min(xs, maxValues))),
      y,
      label: d.task === 'classification' && d.classes ? (d.classes[y[0]!] ?? null) : null,
    };
  });
  return {
    name: d.name, task: d.task, train: splits.trainIndices.length, validation: splits.valIndices.length, test: splits.test?.count ?? null,
    x: { shape: d.x.shape, dtype: d.x.dtype }, y: { shape: d.y.shape, dtype: splits.oneHot ? 'float32' : d.y.dtype },
    classes: d.task === 'classification' ? (d.classes ?? null) : null, samples,
  };
}
