// `netwright export <project> --to x.onnx` (with and without --weights): onnxruntime runs the file and equals the
// engine with the same weights within 1e-5.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';
import { exportPyTorch } from '../../shared/export/index';
import { readSafetensors, typedArray } from '../../shared/formats/index';
import { parseProject } from '../../shared/graph/index';
import { ortMissing, ortSession, toOrt, worstDifference } from './ort';
import { fromEngine } from './torch';

const root = join(__dirname, '..', '..');
const haveEngine = existsSync(join(root, 'native', 'build', 'Release', 'netwright_native.node'));
const out = mkdtempSync(join(tmpdir(), 'nw-onnx-cli-'));
const skip = ortMissing ?? (haveEngine ? null : 'the native engine is not built (npm run build:native)');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'netwright.cjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (skip !== null) return;
  const build = spawnSync('npx', ['vite', 'build', '--config', 'vite.node.config.ts', '--logLevel', 'error'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}`);
}, 320_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(skip !== null)(`netwright export --to .onnx ${skip ?? ''}`, () => {
  it('writes an opset-17 model that onnxruntime runs like the engine (conv-batchnorm, --weights .safetensors)', async () => {
    const project = join(root, 'samples', 'conv-batchnorm.json');
    expect(cli('export', project, '--to', join(out, 'weights.safetensors')).code).toBe(0);
    const result = cli('export', project, '--weights', join(out, 'weights.safetensors'), '--to', join(out, 'model.onnx'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ONNX opset 17, dynamic batch/);
    const plan = exportPyTorch(parseProject(readFileSync(project, 'utf8')).project).plan;
    const model = new Model(plan);
    try {
      const weights = readSafetensors(readFileSync(join(out, 'weights.safetensors'))).tensors;
      model.loadStateDict(new Map([...weights].map(([key, t]) => [key, nw.tensor(typedArray(t).slice() as Float32Array, { shape: [...t.shape], dtype: t.dtype as nw.DType })])));
      const input = plan.inputs[0]!;
      const shape = input.shape.map((d) => d ?? 5);
      const x = nw.randn(shape);
      const [ours] = await model.predict([x]);
      const session = await ortSession([readFileSync(join(out, 'model.onnx'))]);
      const theirs = (await session.run({ [input.name]: toOrt(fromEngine(x)) }))[plan.outputs[0]!]!;
      expect([...theirs.dims]).toEqual(ours!.shape);
      expect(worstDifference(typedArray(fromEngine(ours!)) as Float32Array, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });
});
