// train.py generates the synthetic datasets itself: the GRU sample (sequence-classes) trains a few steps in PyTorch
// and checkpoints as .mdl.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportPyTorch } from '../../shared/export/index';
import { parseProject } from '../../shared/graph/index';
import { python, torchMissing } from './torch';

const dir = mkdtempSync(join(tmpdir(), 'nw-train-synthetic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(torchMissing !== null)(`train.py on synthetic data ${torchMissing ?? ''}`, () => {
  it('gru-classifier.json (sequence-classes): one short epoch, a finite loss, last.mdl written', () => {
    const { project } = parseProject(readFileSync(new URL('../../samples/gru-classifier.json', import.meta.url), 'utf8'));
    expect(project.training.dataset).toMatchObject({ source: 'synthetic', name: 'sequence-classes' });
    const exported = exportPyTorch(project);
    writeFileSync(join(dir, 'model.py'), exported.modelPy);
    writeFileSync(join(dir, 'train.py'), exported.trainPy);
    const { stdout } = python(['train.py', '--epochs', '1', '--max-steps', '3', '--out', join(dir, 'out')], { cwd: dir, timeout: 240_000 });
    const last = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { loss?: number };
    expect(Number.isFinite(last.loss)).toBe(true);
    expect(existsSync(join(dir, 'out', 'last.mdl'))).toBe(true);
  }, 240_000);
});
