// Every sample project trains: a few optimizer steps of each, on the real engine and the
// dataset its file names, end as `stopped` (or `completed`) with finite losses. Samples whose dataset is
// an optional system package skip with the reason when it is missing.
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunMetric } from '../../shared/api';
import type { Project } from '../../shared/graph';
import { TrainingRun, type RunUpdate } from '../../main/trainer/run';
import { builtinDirs } from '../../main/trainer/datasets';

const root = join(__dirname, '..', '..');
const haveEngine = existsSync(join(root, 'native', 'build', 'Release', 'netwright_native.node'));
const samples = readdirSync(join(root, 'samples')).filter((f) => f.endsWith('.json')).sort();

function missingData(project: Project): string | null {
  const ref = project.training.dataset;
  // Only the IDX builtins come from optional system packages; shipped builtins are always there.
  if (ref.source !== 'builtin' || !(ref.name in builtinDirs)) return null;
  const dir = builtinDirs[ref.name];
  return dir && existsSync(join(dir, 'train-images-idx3-ubyte.gz')) ? null : `dataset ${ref.name} is not installed (apt-get install dataset-${ref.name})`;
}

describe.skipIf(!haveEngine)('every sample trains', () => {
  for (const file of samples) {
    const project = JSON.parse(readFileSync(join(root, 'samples', file), 'utf8')) as Project;
    const missing = missingData(project);
    it.skipIf(missing !== null)(`${file}${missing ? ` (skipped: ${missing})` : ''}`, async () => {
      const updates: RunUpdate[] = [];
      const losses: number[] = [];
      const run = new TrainingRun(
        { projectJson: JSON.stringify(project), dir: mkdtempSync(join(tmpdir(), 'nw-sample-')), options: { epochs: 1, maxSteps: 6 }, resumeFrom: null, baseDir: join(root, 'samples') },
        {
          metric: (m: RunMetric) => {
            if (m.kind === 'step') losses.push(m.loss);
          },
          update: (u) => updates.push(u),
        },
      );
      const state = await run.run();
      // maxSteps ends a run as 'stopped' (with a checkpoint); a short epoch can complete first.
      expect(['completed', 'stopped'], updates[updates.length - 1]?.message).toContain(state);
      expect(losses.length).toBeGreaterThan(0);
      expect(losses.every(Number.isFinite)).toBe(true);
    }, 120_000);
  }
});
