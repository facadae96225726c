// Checkpoint import through the host and a real trainer process: the per-key report for a
// PyTorch-saved state_dict, starting a run from those weights (strict), a graph inferred from a
// Sequential state_dict (questions first, then a project), and coded errors for bad files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProject, type Project } from '../../shared/graph';
import { stateDictOf, readMdl, typedArray } from '../../shared/formats';
import { createHost, forkLauncher, packagePaths } from '../../main/host';
import { TrainingRun } from '../../main/trainer/run';

const paths = packagePaths();
const python = '/usr/bin/python3';
const haveTorch = existsSync(python) && spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const haveEngine = existsSync(paths.nativeAddon);
if (!haveTorch) console.warn('checkpoint import tests skipped: PyTorch is missing (apt-get install python3-torch)');

const dir = mkdtempSync(join(tmpdir(), 'nw-import-'));
const named = join(dir, 'two_moons.pt');
const sequential = join(dir, 'sequential.pt');

function savePyTorch(): void {
  const script = `
import torch, collections
torch.manual_seed(1)
m = collections.OrderedDict()
for name, (o, i) in {'fc1': (16, 2), 'fc2': (16, 16), 'fc3': (2, 16)}.items():
    m[name + '.weight'] = torch.randn(o, i)
    m[name + '.bias'] = torch.randn(o)
torch.save(m, ${JSON.stringify(named)})
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    def forward(self, x):
        return self.features(x)
torch.save(Net().state_dict(), ${JSON.stringify(sequential)})
`;
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

describe.skipIf(!haveTorch || !haveEngine)('checkpoint import', () => {
  savePyTorch();
  const host = createHost({
    mode: 'cli', version: 'test', runsDir: mkdtempSync(join(tmpdir(), 'nw-runs-')), timeoutMs: 60_000,
    launcher: forkLauncher({ entry: paths.trainerSource, execArgv: ['--import', 'tsx'] }),
  });
  afterAll(() => host.dispose());
  const twoMoons = join(paths.root, 'samples', 'two-moons.json');

  it('reports every key of a PyTorch state_dict against the graph before anything changes', async () => {
    const report = await host.inspectCheckpoint({ projectPath: twoMoons, checkpointPath: named });
    expect(report.counts['matched']).toBe(6);
    expect(report.loadable.strict).toBe(true);
    const other = await host.inspectCheckpoint({ projectPath: twoMoons, checkpointPath: sequential });
    expect(other.loadable.strict).toBe(false);
    expect(other.keys.some((k) => k.status === 'unexpected' && k.key === 'features.0.weight')).toBe(true);
    expect(other.keys.some((k) => k.status === 'missing' && k.key === 'fc1.weight')).toBe(true);
  }, 60_000);

  it('starts a run from the imported weights (strict); a mismatching file stops it before training', async () => {
    const project = parseProject(readFileSync(twoMoons, 'utf8')).project;
    const start = (weights: string): Promise<{ state: string; message: string; dir: string }> => {
      const p: Project = { ...project, training: { ...project.training, optimizer: { kind: 'sgd', lr: 1e-12, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false }, initialWeights: { path: weights, strict: true } } };
      const runDir = mkdtempSync(join(tmpdir(), 'nw-run-'));
      let message = '';
      const run = new TrainingRun({ projectJson: JSON.stringify(p), dir: runDir, options: { maxSteps: 1 }, resumeFrom: null, baseDir: paths.root }, { metric: () => undefined, update: (u) => (message = u.message ?? message) });
      return run.run().then((state) => ({ state, message, dir: runDir }));
    };
    const ok = await start(named);
    expect(ok.state, ok.message).toBe('stopped');
    const saved = stateDictOf(readMdl(readFileSync(join(ok.dir, 'checkpoints', 'last.mdl'))));
    const source = stateDictOf(readMdl(readFileSync(named)));
    const a = Array.from(typedArray(saved.get('fc1.weight')!) as Float32Array);
    const b = Array.from(typedArray(source.get('fc1.weight')!) as Float32Array);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));
    const bad = await start(sequential);
    expect(bad.state).toBe('failed');
    expect(bad.message).toMatch(/initial weights .* do not fit the graph \(strict\)/);
  }, 60_000);

  it('infers a graph from a state_dict with a Sequential (features.0, features.2): questions first, then a project that loads strictly', async () => {
    const first = await host.graphFromCheckpoint({ checkpointPath: sequential, answers: {} });
    expect(first.projectJson).toBeNull();
    expect(first.questions.length).toBeGreaterThan(0);
    const answers: Record<string, string> = {};
    for (const q of first.questions) answers[q.path] = q.choices.includes('nn.ReLU') ? 'nn.ReLU' : q.path === 'input' ? '2' : (q.choices[0] ?? '');
    const done = await host.graphFromCheckpoint({ checkpointPath: sequential, answers });
    expect(done.projectJson).not.toBeNull();
    const project = parseProject(done.projectJson!).project;
    const path = join(dir, 'imported.json');
    writeFileSync(path, done.projectJson!);
    const report = await host.inspectCheckpoint({ projectPath: path, checkpointPath: sequential });
    expect(report.loadable.strict, JSON.stringify(report.keys)).toBe(true);
    expect(project.graph.nodes.some((n) => n.layer === 'nn.ReLU')).toBe(true);
  }, 60_000);

  it('names the problem for a missing or hostile file', async () => {
    await expect(host.inspectCheckpoint({ projectPath: twoMoons, checkpointPath: join(dir, 'nope.pt') })).rejects.toThrow(/cannot read/);
    const evil = join(dir, 'evil.pt');
    writeFileSync(evil, Buffer.from('not a zip at all'));
    await expect(host.inspectCheckpoint({ projectPath: twoMoons, checkpointPath: evil })).rejects.toThrow(/not a Netwright checkpoint or weights file/);
  }, 60_000);
});
