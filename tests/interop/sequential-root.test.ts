// A bare nn.Sequential both ways against real PyTorch: `torch.save(nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
// nn.Linear(8, 2)).state_dict())` (keys 0.weight, 0.bias, 2.weight, 2.bias) becomes a graph whose model is itself an
// nn.Sequential; its .mdl export has exactly those keys and loads into that nn.Sequential with strict=True and
// weights_only=True; the generated model.py is an nn.Sequential with the same keys; the engine, the CLI's predict,
// onnxruntime on the ONNX export and PyTorch compute the same outputs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeightsFile } from '../../main/trainer/checkpoint';
import { exportModel } from '../../main/trainer/export';
import { encodeNpy, readNpy } from '../../main/trainer/npy';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';
import { compileGraph } from '../../shared/compile/index';
import { projectFromCheckpoint } from '../../shared/export/index';
import { readStateDict, typedArray } from '../../shared/formats/index';
import { parseProject, serializeProject, type Project } from '../../shared/graph/index';
import { ortMissing, ortSession, toOrt } from './ort';
import { python, torchMissing } from './torch';

const root = join(__dirname, '..', '..');
const haveEngine = existsSync(join(root, 'native', 'build', 'Release', 'netwright_native.node'));
const skip = torchMissing ?? (haveEngine ? null : 'the native engine is not built (npm run build:native)');
if (skip !== null) console.warn(`SKIPPED bare nn.Sequential interop tests: ${skip}`);
const out = mkdtempSync(join(tmpdir(), 'nw-sequential-root-'));
const keys = ['0.weight', '0.bias', '2.weight', '2.bias'];
const torchModel = 'torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'netwright.cjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let project: Project;
let x: Float32Array;
let expected: number[];

beforeAll(() => {
  if (skip !== null) return;
  // PyTorch writes the user's file, a batch and its outputs.
  const saved = python(['-c', `import json, torch
torch.manual_seed(3)
m = ${torchModel}
torch.save(m.state_dict(), ${JSON.stringify(join(out, 'x.mdl'))})
x = torch.randn(5, 4)
print(json.dumps({'x': x.flatten().tolist(), 'y': m(x).detach().flatten().tolist(), 'keys': list(m.state_dict().keys())}))`]);
  const result = JSON.parse(saved.stdout) as { x: number[]; y: number[]; keys: string[] };
  expect(result.keys).toEqual(keys);
  x = Float32Array.from(result.x);
  expected = result.y;
  const built = projectFromCheckpoint(readWeightsFile(join(out, 'x.mdl')), { '1': 'nn.ReLU' }, { name: 'tiny', weightsPath: join(out, 'x.mdl') });
  if (built.project === null) throw new Error(`no project: ${JSON.stringify([...built.questions, ...built.errors])}`);
  project = parseProject(serializeProject(built.project)).project;
  writeFileSync(join(out, 'tiny.json'), serializeProject(project));
  const build = spawnSync('npx', ['vite', 'build', '--config', 'vite.node.config.ts', '--logLevel', 'error'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}`);
}, 320_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(skip !== null)(`a bare nn.Sequential state_dict, both ways ${skip ?? ''}`, () => {
  it('imports as a model that is an nn.Sequential, whose compiled keys are the file\'s', () => {
    expect(project.graph.root).toEqual({ kind: 'sequential' });
    const compiled = compileGraph(project.graph, { requireLoss: false });
    if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('; '));
    expect(compiled.plan.tensors.map((t) => t.key)).toEqual(keys);
  });

  it('exports a .mdl with exactly those keys that nn.Sequential(...) loads strictly with weights_only=True, and a model.py that is that nn.Sequential', async () => {
    await exportModel(project, { to: join(out, 'ours.mdl'), weightsPath: join(out, 'x.mdl') });
    await exportModel(project, { to: join(out, 'code', 'model.py') });
    expect([...readStateDict(readFileSync(join(out, 'ours.mdl'))).keys()]).toEqual(keys);
    const report = python(['-c', `import json, sys, torch
sys.path.insert(0, ${JSON.stringify(join(out, 'code'))})
import model
x = torch.tensor(${JSON.stringify(Array.from(x))}).reshape(5, 4)
state = torch.load(${JSON.stringify(join(out, 'ours.mdl'))}, weights_only=True)
plain = ${torchModel}
r = plain.load_state_dict(state, strict=True)
generated = model.build_model()
r2 = generated.load_state_dict(state, strict=True)
plain.eval(); generated.eval()
with torch.no_grad():
    print(json.dumps({
        'keys': list(state.keys()), 'generated_keys': list(generated.state_dict().keys()),
        'missing': r.missing_keys + r2.missing_keys, 'unexpected': r.unexpected_keys + r2.unexpected_keys,
        'is_sequential': isinstance(generated, torch.nn.Sequential), 'children': [type(c).__name__ for c in generated],
        'plain': plain(x).flatten().tolist(), 'generated': generated(x).flatten().tolist(),
    }))`]);
    const r = JSON.parse(report.stdout) as { keys: string[]; generated_keys: string[]; missing: string[]; unexpected: string[]; is_sequential: boolean; children: string[]; plain: number[]; generated: number[] };
    expect(r).toMatchObject({ keys, generated_keys: keys, missing: [], unexpected: [], is_sequential: true, children: ['Linear', 'ReLU', 'Linear'] });
    // Same float32 weights, same model: PyTorch's outputs are bit-identical to the original's.
    expect(r.plain).toEqual(expected);
    expect(r.generated).toEqual(expected);
  });

  it('the engine and `netwright predict --weights x.mdl` (the PyTorch-written file) compute PyTorch\'s outputs', async () => {
    const compiled = compileGraph(project.graph, { requireLoss: false });
    if (!compiled.ok) throw new Error('does not compile');
    const model = new Model(compiled.plan);
    try {
      const weights = readWeightsFile(join(out, 'x.mdl'));
      model.loadStateDict(new Map([...weights].map(([key, t]) => [key, nw.tensor(typedArray(t).slice() as Float32Array, { shape: [...t.shape], dtype: 'float32' })])));
      const [y] = await model.predict([nw.tensor(x, { shape: [5, 4] })]);
      Array.from(y!.data() as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    } finally {
      model.dispose();
    }
    writeFileSync(join(out, 'in.npy'), encodeNpy({ shape: [5, 4], data: x }));
    const r = cli('predict', join(out, 'tiny.json'), '--weights', join(out, 'x.mdl'), '--input', join(out, 'in.npy'), '--output', join(out, 'y.npy'));
    expect(r.code, r.stderr).toBe(0);
    const y = readNpy(join(out, 'y.npy'));
    expect(y.shape).toEqual([5, 2]);
    Array.from(y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it.skipIf(ortMissing !== null)(`exports ONNX that onnxruntime runs to PyTorch's outputs ${ortMissing ?? ''}`, async () => {
    await exportModel(project, { to: join(out, 'tiny.onnx'), weightsPath: join(out, 'x.mdl') });
    const session = await ortSession([readFileSync(join(out, 'tiny.onnx'))]);
    const results = await session.run({ [session.inputNames[0]!]: toOrt({ dtype: 'float32', shape: [5, 4], bytes: new Uint8Array(x.buffer.slice(0)) }) });
    const y = results[session.outputNames[0]!]!;
    expect([...y.dims]).toEqual([5, 2]);
    Array.from(y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });
});
