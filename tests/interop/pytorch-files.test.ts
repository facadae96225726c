// Files PyTorch wrote, read by us (every dtype, shared-storage views, a Fortran-strided tensor, a user's
// Sequential state_dict with _metadata; TorchScript and legacy files refused with their typed errors), and the
// generated train.py: one short epoch alone, and under torchrun --nproc_per_node=2 with gloo.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../main/trainer/checkpoint';
import { exportPyTorch } from '../../shared/export/index';
import { FormatError, readMdl, readStateDict, typedArray } from '../../shared/formats/index';
import { parseProject } from '../../shared/graph/index';
import { python, TORCH_SIDE, torchMissing } from './torch';

const root = mkdtempSync(join(tmpdir(), 'nw-torch-files-'));
type Expected = Record<string, Record<string, { dtype: string; shape: number[]; values: number[] }>>;
let expected: Expected = {};

beforeAll(() => {
  if (torchMissing !== null) return;
  python([TORCH_SIDE, 'save-cases', root]);
  expected = JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8')) as Expected;
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dtypeNames: Record<string, string> = { float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32', short: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool', bfloat16: 'bfloat16', complex64: 'complex64' };

describe.skipIf(torchMissing !== null)(`PyTorch-saved files ${torchMissing ?? ''}`, () => {
  it.each(['dtypes.pt', 'shared.pt', 'sequential.pt'])('%s imports with identical values', (file) => {
    const state = readStateDict(readFileSync(join(root, file)));
    const want = expected[file]!;
    expect([...state.keys()]).toEqual(Object.keys(want));
    for (const [key, t] of state) {
      const w = want[key]!;
      expect(t.dtype, key).toBe(dtypeNames[w.dtype] ?? w.dtype);
      expect(t.shape, key).toEqual(w.shape);
      const values = Array.from(typedArray(t) as ArrayLike<number | bigint>, (v) => Number(v));
      expect(values, key).toEqual(w.values.map(Number));
    }
  });

  it('refuses a TorchScript archive and the legacy format with their typed errors', () => {
    const codeOf = (file: string): string => {
      try {
        readMdl(readFileSync(join(root, file)));
        return 'ok';
      } catch (error) {
        return error instanceof FormatError ? error.code : String(error);
      }
    };
    expect(codeOf('script.pt')).toBe('E_FORMAT_TORCHSCRIPT');
    expect(codeOf('legacy.pt')).toBe('E_FORMAT_LEGACY');
  });

  it('a resume checkpoint (trainer format) loads with torch.load(weights_only=True)', () => {
    const path = join(root, 'resume.mdl');
    const weights = new Map([
      ['fc.weight', { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['bn.num_batches_tracked', { dtype: 'int64' as const, shape: [], data: BigInt64Array.from([4n]) }],
    ]);
    const optimizer = [{ step: 9, buffers: { exp_avg: { dtype: 'float32' as const, shape: [2, 3], data: new Float32Array(6).fill(0.5) } } }];
    writeCheckpoint(path, { state: { step: 9, epoch: 1, seed: 3, planHash: 'abc' }, weights, optimizer });
    const loaded = JSON.parse(python([TORCH_SIDE, 'load', path]).stdout) as Record<string, unknown>;
    expect(loaded).toMatchObject({
      model: { 'fc.weight': { dtype: 'torch.float32', shape: [2, 3], sum: 21 }, 'bn.num_batches_tracked': { dtype: 'torch.int64', shape: [], sum: 4 } },
      optimizer: { state: { '0': { step: 9, exp_avg: { shape: [2, 3], sum: 3 } } }, param_groups: [{ params: [0] }] },
      epoch: 1, step: 9, rng: { seed: 3, step: 9 }, graph_hash: 'abc',
    });
  });

  it('train.py runs one short epoch, and under torchrun --nproc_per_node=2 with gloo, writing .mdl checkpoints', () => {
    const { project } = parseProject(readFileSync(new URL('../../samples/two-moons.json', import.meta.url), 'utf8'));
    const exported = exportPyTorch(project);
    writeFileSync(join(root, 'model.py'), exported.modelPy);
    writeFileSync(join(root, 'train.py'), exported.trainPy);
    const single = python(['train.py', '--epochs', '1', '--out', 'single'], { cwd: root, env: { CUDA_VISIBLE_DEVICES: '' } });
    const epoch = JSON.parse(single.stdout.trim().split('\n').pop()!) as { epoch: number; loss: number; samples: number; world_size: number };
    expect(epoch).toMatchObject({ epoch: 1, samples: 1000, world_size: 1 });
    expect(Number.isFinite(epoch.loss)).toBe(true);
    const weights = readStateDict(readFileSync(join(root, 'single', 'last.mdl')));
    expect([...weights.keys()]).toEqual(exported.plan.tensors.map((t) => t.key));
    // NOTE: --redirects 2 --tee 1 works around torch 1.13 under Python 3.11, where torchrun's default "0" parses to None.
    const distributed = python(['-m', 'torch.distributed.run', '--nproc_per_node=2', '--redirects', '2', '--tee', '1', '--master_port=29517', 'train.py', '--epochs', '1', '--out', 'ddp'], {
      cwd: root, env: { CUDA_VISIBLE_DEVICES: '', OMP_NUM_THREADS: '1' }, timeout: 300_000,
    });
    const ddp = JSON.parse(distributed.stdout.trim().split('\n').pop()!.replace(/^\[\w+\]:/, '')) as { samples: number; world_size: number };
    expect(ddp).toMatchObject({ world_size: 2, samples: 500 });
    expect(readdirSync(join(root, 'ddp')).sort()).toEqual(['epoch-1.mdl', 'last.mdl']);
  }, 300_000);
});
