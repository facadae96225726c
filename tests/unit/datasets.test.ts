// Datasets on small fixture files (CSV, IDX, image folders, text, synthetic), malformed ones included, and how a
// project's dataset is fitted to the model's input/target (reshape, one-hot, normalisation, seeded split).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../shared/api/plan';
import { defaultTraining, type Training } from '../../shared/graph/schema';
import { parseCsv, readCsv } from '../../main/trainer/datasets/csv';
import { idxDataset, previewSplits, resolveDataset } from '../../main/trainer/datasets';
import { readImageFolder } from '../../main/trainer/datasets/images';
import { synthetic } from '../../main/trainer/datasets/synthetic';
import { parseText, readText } from '../../main/trainer/datasets/text';
import { encodeNpy, parseNpy } from '../../main/trainer/npy';

const fixtures = join(__dirname, '..', 'fixtures', 'datasets');

function plan(input: (number | null)[], target: (number | null)[], targetDtype: 'int64' | 'float32' = 'int64', inputDtype: 'float32' | 'int64' = 'float32'): Plan {
  return {
    format: 'netwright-plan', version: 1, dtype: 'float32',
    inputs: [{ name: 'x', shape: [null, ...input], dtype: inputDtype }],
    targets: [{ name: 'y', shape: [null, ...target], dtype: targetDtype }],
    tensors: [], steps: [], outputs: [], loss: null,
  } as unknown as Plan;
}

function training(dataset: Partial<Training['dataset']>, extra: Partial<Training> = {}): Training {
  const t = defaultTraining();
  return { ...t, ...extra, dataset: { ...t.dataset, ...dataset } };
}

describe('CSV', () => {
  it('detects the header, reads features and maps class names to sorted indices', () => {
    const d = readCsv(join(fixtures, 'iris-mini.csv'));
    expect(d.count).toBe(6);
    expect(d.x.shape).toEqual([4]);
    expect(d.task).toBe('classification');
    expect(d.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(d.y.data)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(d.x.data[4]).toBeCloseTo(4.9);
  });

  it('reads a headerless file as regression by column index', () => {
    const d = readCsv(join(fixtures, 'regression-noheader.csv'), { task: 'regression' });
    expect(d.count).toBe(4);
    expect(d.y.shape).toEqual([1]);
    expect(Array.from(d.y.data)).toEqual([5.5, 4.25, 7.125, 1]);
    const byLabel = readCsv(join(fixtures, 'regression-noheader.csv'), { task: 'regression', label: 0 });
    expect(Array.from(byLabel.y.data)).toEqual([1, 2, 3, 0.5]);
  });

  it('names the row and column of a bad value', () => {
    expect(() => readCsv(join(fixtures, 'bad-value.csv'))).toThrow('bad-value.csv: row 3, "b" (column 2): "x7" is not a number');
  });

  it('names a ragged row, an unknown label column and an empty file', () => {
    expect(() => readCsv(join(fixtures, 'ragged.csv'))).toThrow('row 3 has 2 columns, expected 3');
    expect(() => readCsv(join(fixtures, 'iris-mini.csv'), { label: 'colour' })).toThrow('no column named "colour"');
    expect(() => parseCsv('\n\n', 'empty.csv')).toThrow('empty.csv: the file is empty');
    expect(() => readCsv(join(fixtures, 'missing.csv'))).toThrow('cannot be read');
  });

  it('handles quoted cells', () => {
    const d = parseCsv('x,"name, quoted"\n1,"a, b"\n2,c\n', 'q.csv');
    expect(d.classes).toEqual(['a, b', 'c']);
  });
});

describe('IDX', () => {
  it('reads plain images with gzip labels, scaled to [0, 1]', () => {
    const d = idxDataset(join(fixtures, 'tiny-images-idx3-ubyte'), join(fixtures, 'tiny-labels-idx1-ubyte.gz'), 'tiny');
    expect(d.count).toBe(3);
    expect(d.x.shape).toEqual([2, 2]);
    expect(Array.from(d.x.data.subarray(0, 4))).toEqual([0, 1, 0, 1]);
    expect(Array.from(d.y.data)).toEqual([1, 0, 2]);
  });

  it('rejects a truncated file and mismatched counts', () => {
    expect(() => idxDataset(join(fixtures, 'truncated-images-idx3-ubyte'), join(fixtures, 'tiny-labels-idx1-ubyte.gz'), 't')).toThrow('truncated');
    expect(() => idxDataset(join(fixtures, 'tiny-images-idx3-ubyte'), join(fixtures, 'iris-mini.csv'), 't')).toThrow(/IDX/);
  });
});

describe('image folders', () => {
  it('decodes PNG and JPEG, one class per folder, resized, grey or RGB', () => {
    const rgb = readImageFolder(join(fixtures, 'images'), { channels: 3, height: 4, width: 4 });
    expect(rgb.classes).toEqual(['cat', 'dog']);
    expect(rgb.count).toBe(4);
    expect(Array.from(rgb.y.data)).toEqual([0, 0, 1, 1]);
    expect(rgb.x.shape).toEqual([3, 4, 4]);
    const red = rgb.x.data.subarray(0, 48);
    expect(red[0]).toBeCloseTo(1); // R plane of the red image
    expect(red[16]).toBeCloseTo(0); // G plane
    const jpegBlue = rgb.x.data.subarray(3 * 48, 4 * 48);
    expect(jpegBlue[32]!).toBeGreaterThan(0.9);
    expect(jpegBlue[0]!).toBeLessThan(0.1);
    const grey = readImageFolder(join(fixtures, 'images'), { channels: 1, height: 2, width: 3 });
    expect(grey.x.shape).toEqual([1, 2, 3]);
    expect(grey.x.data[0]).toBeCloseTo(0.299, 2);
    expect(grey.x.data[6]).toBeCloseTo(1, 2);
  });

  it('names a file that is not an image, and an empty root', () => {
    const root = mkdtempSync(join(tmpdir(), 'nw-img-'));
    expect(() => readImageFolder(root, { channels: 1, height: 2, width: 2 })).toThrow('no class sub-folders');
    const bad = join(root, 'a');
    mkdirSync(bad);
    writeFileSync(join(bad, 'x.png'), 'not a png');
    expect(() => readImageFolder(root, { channels: 1, height: 2, width: 2 })).toThrow(/x\.png: not a readable PNG image/);
  });
});

describe('text', () => {
  it('cuts character windows with next-token targets', () => {
    const d = parseText('abcabcab', 't.txt', { tokens: 'char', seqLen: 3 });
    expect(d.classes).toEqual(['a', 'b', 'c']);
    expect(d.count).toBe(2);
    expect(Array.from(d.x.data)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Array.from(d.y.data)).toEqual([1, 2, 0, 1, 2, 0]);
  });

  it('splits words on whitespace and refuses a text too short', () => {
    const d = readText(join(fixtures, 'tiny.txt'), { tokens: 'word', seqLen: 2, stride: 1 });
    expect(d.classes).toContain('question');
    expect(d.count).toBe(8);
    expect(() => parseText('ab', 's.txt', { tokens: 'char', seqLen: 4 })).toThrow('too short');
  });
});

describe('synthetic', () => {
  it('generates the notes’ y = 2x + 3 with noise, seeded', () => {
    const a = synthetic('linear', { samples: 500, noise: 0.1 }, 7);
    const b = synthetic('linear', { samples: 500, noise: 0.1 }, 7);
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
    let err = 0;
    for (let i = 0; i < 500; i += 1) err += Math.abs(a.y.data[i]! - (2 * a.x.data[i]! + 3));
    expect(err / 500).toBeLessThan(0.15);
  });

  it('two moons, spirals, sine sequences and token parity have the documented shapes', () => {
    const moons = synthetic('two-moons', { samples: 100 }, 1);
    expect([moons.x.shape, moons.count, new Set(moons.y.data).size]).toEqual([[2], 100, 2]);
    const spirals = synthetic('spirals', { classes: 4, samples: 400 }, 1);
    expect([spirals.x.shape, spirals.count, spirals.classes?.length]).toEqual([[2], 400, 4]);
    const sine = synthetic('sine', { samples: 10 }, 1, 12);
    expect([sine.x.shape, sine.y.shape]).toEqual([[12, 1], [1]]);
    const parity = synthetic('token-parity', { samples: 10, vocab: 5 }, 1, 8);
    expect([parity.x.shape, parity.x.dtype]).toEqual([[8], 'int64']);
    expect(() => synthetic('nope', {}, 1)).toThrow('unknown synthetic dataset "nope"');
  });
});

describe('resolveDataset', () => {
  it('reshapes to the model input, splits validation by a seeded fraction and previews samples', () => {
    const t = training({ source: 'synthetic', name: 'two-moons', options: { samples: 200 }, validationSplit: 0.25 }, { seed: 3 });
    const a = resolveDataset(t, plan([2], []));
    const b = resolveDataset(t, plan([2], []));
    expect(a.trainIndices.length).toBe(150);
    expect(a.valIndices.length).toBe(50);
    expect(Array.from(a.valIndices)).toEqual(Array.from(b.valIndices));
    const other = resolveDataset({ ...t, seed: 4 }, plan([2], []));
    expect(Array.from(other.valIndices)).not.toEqual(Array.from(a.valIndices));
    const preview = previewSplits(a, 3);
    expect(preview.samples).toHaveLength(3);
    expect(preview.x).toEqual({ shape: [2], dtype: 'float32' });
  });

  it('fits IDX 2×2 images to [1, 2, 2] or [4], one-hot for float targets, and says when shapes disagree', () => {
    const ref = { source: 'file' as const, name: join(fixtures, 'tiny-images-idx3-ubyte'), options: { labels: join(fixtures, 'tiny-labels-idx1-ubyte.gz') }, validationSplit: 0 };
    expect(resolveDataset(training(ref), plan([1, 2, 2], [])).train.x.shape).toEqual([1, 2, 2]);
    const onehot = resolveDataset(training(ref), plan([4], [3], 'float32'));
    expect(onehot.oneHot).toBe(3);
    expect(() => resolveDataset(training(ref), plan([1, 28, 28], []))).toThrow('samples have input shape [2, 2] (4 values) but the model\'s input takes [1, 28, 28]');
    expect(() => resolveDataset(training({ ...ref, options: {} }), plan([4], []))).toThrow('needs the dataset option labels');
  });

  it('computes per-channel normalisation or takes it from options', () => {
    const ref = { source: 'file' as const, name: join(fixtures, 'images'), options: { normalize: true }, validationSplit: 0 };
    const s = resolveDataset(training(ref), plan([3, 4, 4], []));
    expect(s.normalize?.mean).toHaveLength(3);
    expect(s.normalize!.mean[0]).toBeCloseTo(0.5, 5); // red: 1, 1, 0, 0
    const given = resolveDataset(training({ ...ref, options: { mean: '0.5', std: '0.25', randomFlip: true, randomCrop: 1 } }), plan([3, 4, 4], []));
    expect(given.normalize).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    expect(given.augment).toEqual({ flip: true, cropPadding: 1 });
    expect(() => resolveDataset(training({ source: 'file', name: join(fixtures, 'iris-mini.csv'), options: { randomFlip: true }, validationSplit: 0 }), plan([4], []))).toThrow('randomFlip and randomCrop need image samples');
  });

  it('reads relative file paths from the project folder and reports missing ones', () => {
    const s = resolveDataset(training({ source: 'file', name: 'iris-mini.csv', options: {}, validationSplit: 0 }), plan([4], []), { baseDir: fixtures });
    expect(s.train.count).toBe(6);
    expect(() => resolveDataset(training({ source: 'file', name: 'nope.csv', options: {}, validationSplit: 0 }), plan([4], []), { baseDir: fixtures })).toThrow('no such file');
    expect(() => resolveDataset(training({ source: 'builtin', name: 'tiny-shakespeare', options: {}, validationSplit: 0 }), plan([4], []))).toThrow('is not available');
  });

  it('refuses class indices for a float target that is not one-hot shaped, and float values for class indices', () => {
    const csv = { source: 'file' as const, name: join(fixtures, 'regression-noheader.csv'), options: { task: 'regression' }, validationSplit: 0 };
    expect(() => resolveDataset(training(csv), plan([2], []))).toThrow("the dataset's targets are float values but the model's target takes class indices");
  });
});

describe('npy', () => {
  it('round-trips float32 and int64 arrays and rejects other files', () => {
    const f = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) };
    const back = parseNpy(encodeNpy(f));
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6.5]);
    const i = parseNpy(encodeNpy({ shape: [2], data: BigInt64Array.from([1n, -2n]) }));
    expect(Array.from(i.data as BigInt64Array)).toEqual([1n, -2n]);
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), 'x.npy')).toThrow('x.npy is not a .npy file');
  });
});
