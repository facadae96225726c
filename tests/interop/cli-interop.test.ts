// The CLI's export and import against real PyTorch: export .mdl / model.py / .safetensors, PyTorch loads them;
// a PyTorch-saved state_dict imports (per-key report, strict) and evaluates with eval --weights.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, readStateDict } from '../../shared/formats/index';
import { python, TORCH_SIDE, torchMissing } from './torch';

const root = join(__dirname, '..', '..');
const haveEngine = existsSync(join(root, 'native', 'build', 'Release', 'netwright_native.node'));
const out = mkdtempSync(join(tmpdir(), 'nw-cli-interop-'));
const skip = torchMissing ?? (haveEngine ? null : 'the native engine is not built (npm run build:native)');
if (skip !== null) console.warn(`SKIPPED CLI export/import tests: ${skip}`);

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'netwright.cjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NETWRIGHT_RUNS_DIR: out } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (skip !== null) return;
  const build = spawnSync('npx', ['vite', 'build', '--config', 'vite.node.config.ts', '--logLevel', 'error'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}`);
  python([TORCH_SIDE, 'save-cases', out]);
}, 320_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(skip !== null)(`netwright export / import ${skip ?? ''}`, () => {
  const lenet = join(root, 'samples', 'lenet.json');
  const moons = join(root, 'samples', 'two-moons.json');

  it('exports .mdl, model.py + train.py and .safetensors that PyTorch loads strictly', () => {
    expect(cli('export', lenet, '--to', join(out, 'lenet.mdl')).code).toBe(0);
    expect(cli('export', lenet, '--weights', join(out, 'lenet.mdl'), '--to', join(out, 'lenet', 'model.py')).code).toBe(0);
    expect(cli('export', lenet, '--weights', join(out, 'lenet.mdl'), '--to', join(out, 'lenet.safetensors')).code).toBe(0);
    expect(existsSync(join(out, 'lenet', 'train.py'))).toBe(true);
    const script = `import sys, torch; sys.path.insert(0, ${JSON.stringify(join(out, 'lenet'))}); import model
m = model.build_model(); r = m.load_state_dict(torch.load(${JSON.stringify(join(out, 'lenet', 'model.mdl'))}, weights_only=True), strict=True)
print(m(*model.example_inputs()).shape)`;
    expect(python(['-c', script]).stdout.trim()).toBe('torch.Size([2, 10])');
    const mdl = readStateDict(readFileSync(join(out, 'lenet.mdl')));
    const safe = readSafetensors(readFileSync(join(out, 'lenet.safetensors'))).tensors;
    expect([...safe.keys()]).toEqual([...mdl.keys()]);
    // NOTE: compare bytes with Buffer.equals; deep equality on 250 kB typed arrays is very slow in vitest
    for (const [key, t] of mdl) expect(Buffer.from(safe.get(key)!.bytes).equals(Buffer.from(t.bytes)), key).toBe(true);
  });

  it('imports a PyTorch-saved state_dict with a per-key report, then evaluates with it', () => {
    const pt = join(out, 'two_moons_torch.pt');
    const report = cli('import', moons, pt, '--strict');
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('6 matched, 0 missing, 0 unexpected, 0 shape mismatches');
    const evaluation = cli('eval', moons, '--weights', pt, '--json');
    expect(evaluation.code, evaluation.stderr).toBe(0);
    expect(JSON.parse(evaluation.stdout)).toMatchObject({ count: expect.any(Number) });
    const mismatch = cli('import', lenet, pt);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toMatch(/shape mismatch {2}fc1\.weight: graph \[120, 400\], file \[16, 2\]/);
    expect(cli('import', moons, join(out, 'script.pt')).stderr).toMatch(/^E_CHECKPOINT: .*E_FORMAT_TORCHSCRIPT/);
  });
});
