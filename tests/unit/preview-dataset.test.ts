// previewDataset through the host and a real trainer process: the Input node's preview
// (split sizes, shapes, a few samples) for a synthetic and a file dataset, and coded errors.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost, forkLauncher, packagePaths } from '../../main/host';

const paths = packagePaths();
const haveEngine = existsSync(paths.nativeAddon);

describe.skipIf(!haveEngine)('previewDataset', () => {
  const host = createHost({
    mode: 'cli', version: 'test', runsDir: mkdtempSync(join(tmpdir(), 'nw-runs-')), timeoutMs: 60_000,
    launcher: forkLauncher({ entry: paths.trainerSource, execArgv: ['--import', 'tsx'] }),
  });
  afterAll(() => host.dispose());

  it('shows two-moons: 800/200 split, [2] features, class labels', async () => {
    const p = await host.previewDataset({ projectPath: join(paths.root, 'samples', 'two-moons.json'), count: 3 });
    expect(p.train).toBe(800);
    expect(p.validation).toBe(200);
    expect(p.x.shape).toEqual([2]);
    expect(p.samples).toHaveLength(3);
    expect(p.classes).toHaveLength(2);
    expect(p.samples[0]!.label).not.toBeNull();
  }, 60_000);

  it('loads the builtin text corpus (char-LSTM text windows)', async () => {
    const p = await host.previewDataset({ projectPath: join(paths.root, 'samples', 'char-lstm.json') });
    expect(p.task).toBe('language');
    expect(p.x.shape).toEqual([64]);
    expect(p.y.shape).toEqual([64]);
  }, 60_000);

  it('names the problem when the dataset cannot be loaded', async () => {
    const project = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(paths.root, 'samples', 'char-lstm.json'), 'utf8'))) as {
      training: { dataset: { source: string; name: string } };
    };
    project.training.dataset.source = 'file';
    project.training.dataset.name = 'data/no-such-file.txt';
    await expect(host.previewDataset({ projectJson: JSON.stringify(project) })).rejects.toThrow(/no-such-file\.txt: no such file/);
  }, 60_000);
});
