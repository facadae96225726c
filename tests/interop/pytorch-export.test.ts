// Every sample project against real PyTorch: our .mdl loads with torch.load(weights_only=True) and
// load_state_dict(strict=True) into the generated model.py, and PyTorch's outputs on fixed inputs equal the
// engine's within 1e-5. Samples whose ops the engine lacks skip, naming the op.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';
import { exportPyTorch } from '../../shared/export/index';
import { concatChunks, readStateDict, stateDictValue, typedArray, writeMdl, type TensorData } from '../../shared/formats/index';
import { parseProject } from '../../shared/graph/index';
import { fromEngine, python, TORCH_SIDE, torchMissing } from './torch';

const samples = new URL('../../samples/', import.meta.url);
const files = readdirSync(samples).filter((file) => file.endsWith('.json')).sort();
const engineOps = new Set(nw.opTable().map((op) => op.name));

interface Case {
  file: string;
  dir: string;
  missingOp: string | null;
  engineOutputs: TensorData[];
  keys: string[];
}

function fixedInput(shape: number[], dtype: string, salt: number, high: number): nw.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int64') return nw.tensor(BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 31 + salt * 17) % high)), { shape, dtype: 'int64' });
  const values = Float64Array.from({ length: n }, (_, i) => ((((i * 7919 + salt * 104729) % 1000) / 1000) - 0.5) * 2);
  return dtype === 'float64' ? nw.tensor(values, { shape, dtype: 'float64' }) : nw.tensor(Float32Array.from(values), { shape, dtype: 'float32' });
}

const root = mkdtempSync(join(tmpdir(), 'nw-interop-'));
const cases: Case[] = [];

beforeAll(async () => {
  if (torchMissing !== null) return;
  for (const file of files) {
    const { project } = parseProject(readFileSync(new URL(file, samples), 'utf8'));
    const exported = exportPyTorch(project);
    const plan = exported.plan;
    const missingOp = plan.steps.map((step) => step.op).find((op) => !engineOps.has(op)) ?? null;
    const dir = join(root, file.replace('.json', ''));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.py'), exported.modelPy);
    writeFileSync(join(dir, 'train.py'), exported.trainPy);
    if (missingOp !== null) {
      cases.push({ file, dir, missingOp, engineOutputs: [], keys: [] });
      continue;
    }
    nw.manualSeed(7);
    const model = new Model(plan);
    try {
      const state = model.stateDict();
      writeFileSync(join(dir, 'weights.mdl'), concatChunks(writeMdl(stateDictValue([...state].map(([key, t]) => [key, fromEngine(t)])))));
      const high = (name: string): number => {
        const embedding = project.graph.nodes.find((node) => node.layer === 'nn.Embedding');
        return name && embedding ? Number(embedding.params['num_embeddings'] ?? 2) : 2;
      };
      const inputs = plan.inputs.map((input, k) => fixedInput(input.shape.map((d, i) => d ?? (i === 0 ? 2 : 8)), input.dtype, k + 1, high(input.name)));
      writeFileSync(join(dir, 'inputs.mdl'), concatChunks(writeMdl(stateDictValue(inputs.map((t, k) => [`input${k}`, fromEngine(t)])))));
      const outputs = await model.predict(inputs);
      cases.push({ file, dir, missingOp: null, engineOutputs: outputs.map(fromEngine), keys: [...state.keys()] });
    } finally {
      model.dispose();
    }
  }
  const runnable = cases.filter((c) => c.missingOp === null).map((c) => c.dir);
  python([TORCH_SIDE, 'check', ...runnable], { timeout: 300_000 });
}, 600_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(torchMissing !== null)(`samples exported to PyTorch ${torchMissing ?? ''}`, () => {
  it.each(files)('%s: weights_only load, strict load_state_dict, outputs equal the engine within 1e-5', (file) => {
    const c = cases.find((x) => x.file === file);
    expect(c).toBeDefined();
    if (c!.missingOp !== null) {
      console.warn(`SKIPPED ${file}: the engine has no op ${c!.missingOp} yet (nw.opTable())`);
      return;
    }
    const report = JSON.parse(readFileSync(join(c!.dir, 'report.json'), 'utf8')) as { keys: string[]; missing: string[]; unexpected: string[]; example_shapes: number[][] };
    expect(report.keys).toEqual(c!.keys);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    for (const shape of report.example_shapes) expect(shape[0]).toBe(2);
    const torchOutputs = [...readStateDict(readFileSync(join(c!.dir, 'outputs.mdl'))).values()];
    expect(torchOutputs.length).toBe(c!.engineOutputs.length);
    torchOutputs.forEach((torchOut, k) => {
      const ours = c!.engineOutputs[k]!;
      expect(torchOut.shape).toEqual(ours.shape);
      const a = typedArray(torchOut) as Float32Array;
      const b = typedArray(ours) as Float32Array;
      let worst = 0;
      for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
      console.info(`${file} output ${k} [${ours.shape.join(', ')}]: max |torch - engine| (relative above 1) = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  });
});
