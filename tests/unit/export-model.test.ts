// exportModel through the host and a real trainer process: two-moons to .mdl (a fresh model seeded by
// training.seed, read back with shared/formats) and to .onnx; .py writes model.py + train.py; bad targets are coded.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMdl, stateDictOf } from '../../shared/formats';
import { createHost, forkLauncher, packagePaths } from '../../main/host';

const paths = packagePaths();
const haveEngine = existsSync(paths.nativeAddon);
if (!haveEngine) console.warn('exportModel tests skipped: the engine is not built (npm run build:native)');

describe.skipIf(!haveEngine)('exportModel', () => {
  const host = createHost({
    mode: 'cli', version: 'test', runsDir: mkdtempSync(join(tmpdir(), 'nw-runs-')), timeoutMs: 60_000,
    launcher: forkLauncher({ entry: paths.trainerSource, execArgv: ['--import', 'tsx'] }),
  });
  afterAll(() => host.dispose());
  const twoMoons = join(paths.root, 'samples', 'two-moons.json');
  const out = mkdtempSync(join(tmpdir(), 'nw-export-'));

  it('writes two-moons as .mdl (fresh, seeded) and .onnx; the .mdl reads back', async () => {
    const mdl = join(out, 'moons.mdl');
    expect(await host.exportModel({ projectPath: twoMoons, to: mdl })).toEqual({ files: [mdl] });
    const state = stateDictOf(readMdl(readFileSync(mdl)));
    expect([...state.keys()].sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);
    expect(state.get('fc1.weight')!.shape).toEqual([16, 2]);
    // Seeded by training.seed: a second export is byte for byte the same.
    const again = join(out, 'again.mdl');
    await host.exportModel({ projectJson: readFileSync(twoMoons, 'utf8'), to: again });
    expect(readFileSync(again).equals(readFileSync(mdl))).toBe(true);

    const onnx = join(out, 'moons.onnx');
    expect(await host.exportModel({ projectPath: twoMoons, weightsPath: mdl, to: onnx })).toEqual({ files: [onnx] });
    expect(readFileSync(onnx).length).toBeGreaterThan(100);
  }, 60_000);

  it('writes model.py with train.py beside it; a bad extension is E_BAD_REQUEST', async () => {
    const py = join(out, 'py', 'model.py');
    const { files } = await host.exportModel({ projectPath: twoMoons, to: py });
    expect(files).toEqual([py, join(out, 'py', 'train.py')]);
    expect(readFileSync(py, 'utf8')).toContain('class');
    await expect(host.exportModel({ projectPath: twoMoons, to: join(out, 'x.txt') })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
  }, 60_000);
});
