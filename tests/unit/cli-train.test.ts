// The real CLI end to end (bin/netwright.cjs → dist/main/cli.mjs, built here with the Node bundles): train, eval,
// predict, --json, --device, and bad arguments or files → one clear line and a non-zero exit.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, readNpy } from '../../main/trainer/npy';

const root = join(__dirname, '..', '..');
const haveEngine = existsSync(join(root, 'native', 'build', 'Release', 'netwright_native.node'));
if (!haveEngine) console.warn('CLI train/eval/predict tests skipped: the native engine is not built; run npm run build:native');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'netwright.cjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NETWRIGHT_RUNS_DIR: runsDir } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const runsDir = mkdtempSync(join(tmpdir(), 'nw-cli-runs-'));
const out = mkdtempSync(join(tmpdir(), 'nw-cli-'));
const moons = join(root, 'samples', 'two-moons.json');
const weights = join(out, 'checkpoints', 'last.mdl');

describe.skipIf(!haveEngine)('netwright train / eval / predict', () => {
  beforeAll(() => {
    const build = spawnSync('npx', ['vite', 'build', '--config', 'vite.node.config.ts', '--logLevel', 'error'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}`);
  }, 320_000);

  it('trains with a per-epoch summary line and writes the checkpoint', () => {
    const r = cli('train', moons, '--epochs', '3', '--out', out, '--device', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^epoch 1\/3 {2}train loss \S+ acc \S+% {2}val loss \S+ acc \S+% {2}lr 0\.0100 {2}\S+s$/);
    expect(lines).toContain(lines.find((l) => l.startsWith('completed')));
    expect(r.stdout).toContain(`weights ${weights}`);
    expect(existsSync(weights)).toBe(true);
    expect(existsSync(join(out, 'metrics.jsonl'))).toBe(true);
  }, 240_000);

  it('train --json prints one JSON document', () => {
    const r = cli('train', moons, '--epochs', '1', '--out', join(out, 'json'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { run: { state: string }; epochs: unknown[] };
    expect(doc.run.state).toBe('completed');
    expect(doc.epochs).toHaveLength(1);
  }, 240_000);

  it('evaluates with loss, accuracy and a confusion matrix', () => {
    const r = cli('eval', moons, '--weights', weights, '--device', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^validation set: 200 samples {2}loss \S+ {2}accuracy \S+% {2}on cpu$/m);
    expect(r.stdout).toContain('confusion matrix (rows: true class, columns: predicted)');
    const j = cli('eval', moons, '--weights', weights, '--json');
    const report = JSON.parse(j.stdout) as { count: number; confusion: number[][]; accuracy: number; device: string };
    expect(report.count).toBe(200);
    expect(report.device).toMatch(/^(cpu|cuda:\d+)$/);  // the project's setting: auto
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(200);
    const diagonal = report.confusion[0]![0]! + report.confusion[1]![1]!;
    expect(diagonal / 200).toBeCloseTo(report.accuracy, 10);
  }, 240_000);

  it('predicts a .npy batch into a .npy file', () => {
    const input = join(out, 'x.npy');
    const output = join(out, 'y.npy');
    writeFileSync(input, encodeNpy({ shape: [3, 2], data: Float32Array.from([0, 0.5, 1, -0.5, 2, 0.3]) }));
    const r = cli('predict', moons, '--weights', weights, '--input', input, '--output', output, '--device', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('shape (3, 2) float32 for 3 input(s) on cpu');
    const y = readNpy(output);
    expect(y.shape).toEqual([3, 2]);
    expect(Array.from(y.data as Float32Array).every(Number.isFinite)).toBe(true);
  }, 240_000);

  it('says what is wrong in one line and exits non-zero', () => {
    const cases: [string[], number, RegExp][] = [
      [['train'], 2, /^error: train needs a project file/],
      [['train', join(out, 'missing.json')], 2, /^error: cannot read project file/],
      [['train', moons, '--epochs', 'many'], 2, /^error: --epochs must be a positive whole number/],
      [['train', moons, '--bogus'], 2, /^error: Unknown option '--bogus'/],
      [['eval', moons], 2, /^error: eval needs --weights/],
      [['eval', moons, '--weights', moons], 1, /^E_CHECKPOINT: .* is not a Netwright checkpoint/],
      [['predict', moons, '--weights', weights, '--input', moons, '--output', join(out, 'z.npy')], 1, /is not a \.npy file/],
      // --device: the same spelling rules and messages for train, eval and predict (shared/api/devices.ts) ...
      [['train', moons, '--device', 'gpu'], 2, /^error: --device: unknown device 'gpu': use auto, cpu, cuda or cuda:N/],
      [['eval', moons, '--weights', weights, '--device', 'gpu'], 2, /^error: --device: unknown device 'gpu': use auto, cpu, cuda or cuda:N/],
      [['predict', moons, '--weights', weights, '--input', moons, '--output', join(out, 'z.npy'), '--device', 'cuda:x'], 2, /^error: --device: unknown device 'cuda:x'/],
      // ... and a device this machine lacks is refused as a run's would be, naming the devices there are.
      [['eval', moons, '--weights', weights, '--device', 'cuda:99'], 1, /^E_RUN: device cuda:99 is not available: .*Available devices: cpu \(/],
    ];
    for (const [args, code, message] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  }, 240_000);
});
