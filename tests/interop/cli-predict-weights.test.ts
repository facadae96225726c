// `netwright predict --weights` reads every weights format the CLI names (.mdl/.pt/.pth state_dicts, a training run's
// resume checkpoint, .safetensors, and a .pt PyTorch itself wrote): a briefly trained two-moons model, exported to
// each, predicts bit-identical outputs from each, and PyTorch running the exported model.py agrees within 1e-5.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, readNpy } from '../../main/trainer/npy';
import { python, torchMissing } from './torch';

const root = join(__dirname, '..', '..');
const haveEngine = existsSync(join(root, 'native', 'build', 'Release', 'netwright_native.node'));
if (!haveEngine) console.warn('SKIPPED predict --weights format tests: the native engine is not built (npm run build:native)');
const out = mkdtempSync(join(tmpdir(), 'nw-predict-weights-'));
const moons = join(root, 'samples', 'two-moons.json');
const resume = join(out, 'run', 'checkpoints', 'last.mdl');
const input = join(out, 'x.npy');
// Points on and between the two moons, and one far away.
const points = Float32Array.from([0, 0.5, 1, -0.5, 2, 0.3, -1, 0.2, 0.5, -0.25, 1.5, 0.9, 10, -10]);

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'netwright.cjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NETWRIGHT_RUNS_DIR: join(out, 'runs') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function predict(weights: string, name: string): Float32Array {
  const output = join(out, `${name}.npy`);
  const r = cli('predict', moons, '--weights', weights, '--input', input, '--output', output);
  expect(r.code, `${name}: ${r.stderr}`).toBe(0);
  const y = readNpy(output);
  expect(y.shape, name).toEqual([7, 2]);
  return y.data as Float32Array;
}

beforeAll(() => {
  if (!haveEngine) return;
  const build = spawnSync('npx', ['vite', 'build', '--config', 'vite.node.config.ts', '--logLevel', 'error'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}`);
  const trained = cli('train', moons, '--epochs', '1', '--max-steps', '30', '--out', join(out, 'run'), '--device', 'cpu');
  if (trained.code !== 0) throw new Error(`train failed: ${trained.stderr}`);
  writeFileSync(input, encodeNpy({ shape: [7, 2], data: points }));
}, 320_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(!haveEngine)('netwright predict --weights, every format', () => {
  it('a resume checkpoint, and its export as .mdl, .pt, .pth and .safetensors, predict the same outputs', () => {
    expect(existsSync(resume)).toBe(true);
    const reference = predict(resume, 'resume');
    expect(reference.every(Number.isFinite)).toBe(true);
    // a trained model separates the classes somewhere: not every row is the same
    expect(new Set(Array.from(reference, (v) => v.toFixed(4))).size).toBeGreaterThan(2);
    for (const ext of ['.mdl', '.pt', '.pth', '.safetensors']) {
      const file = join(out, `weights${ext}`);
      const exported = cli('export', moons, '--weights', resume, '--to', file);
      expect(exported.code, exported.stderr).toBe(0);
      expect(Array.from(predict(file, `weights${ext.slice(1)}`)), ext).toEqual(Array.from(reference));
    }
  }, 240_000);

  it.skipIf(torchMissing !== null)(`a .pt PyTorch wrote predicts the same, and PyTorch on model.py agrees within 1e-5 ${torchMissing ?? ''}`, () => {
    const reference = predict(resume, 'resume-again');
    const code = join(out, 'code', 'model.py');
    expect(cli('export', moons, '--weights', resume, '--to', code).code).toBe(0);
    const torchPt = join(out, 'torch-written.pt');
    const report = python(['-c', `import json, sys, torch
sys.path.insert(0, ${JSON.stringify(join(out, 'code'))})
import model
state = torch.load(${JSON.stringify(join(out, 'code', 'model.mdl'))}, weights_only=True)
torch.save({k: v.clone() for k, v in state.items()}, ${JSON.stringify(torchPt)})
m = model.build_model()
m.load_state_dict(state, strict=True)
m.eval()
with torch.no_grad():
    print(json.dumps(m(torch.tensor(${JSON.stringify(Array.from(points))}).reshape(7, 2)).flatten().tolist()))`]);
    const theirs = JSON.parse(report.stdout) as number[];
    expect(Array.from(predict(torchPt, 'torch-written'))).toEqual(Array.from(reference));
    reference.forEach((v, i) => expect(Math.abs(v - theirs[i]!), `output ${i}`).toBeLessThanOrEqual(1e-5));
  }, 240_000);
});
