// Out of memory is reported as such: a model too large to allocate ends the run as `failed`
// with code E_OOM and the allocation size, and the process (the host's trainer) stays up.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ErrorInfo } from '../../shared/api';
import { TrainingRun } from '../../main/trainer/run';

const root = join(__dirname, '..', '..');
const haveEngine = existsSync(join(root, 'native', 'build', 'Release', 'netwright_native.node'));

describe.skipIf(!haveEngine)('out of memory', () => {
  it('a 2 TiB weight ends the run as failed with E_OOM, and the next run still trains', async () => {
    const run = async (outFeatures: number): Promise<{ state: string; error: ErrorInfo | null }> => {
      const project = JSON.parse(readFileSync(join(root, 'samples', 'two-moons.json'), 'utf8')) as { graph: { nodes: { id: string; params: Record<string, unknown> }[] } };
      for (const node of project.graph.nodes) if (node.id === 'fc1') node.params['out_features'] = outFeatures;
      let error: ErrorInfo | null = null;
      const r = new TrainingRun(
        { projectJson: JSON.stringify(project), dir: mkdtempSync(join(tmpdir(), 'nw-oom-')), options: { maxSteps: 2 }, resumeFrom: null, baseDir: join(root, 'samples') },
        { metric: () => undefined, update: (u) => (error = u.error ?? error) },
      );
      return { state: await r.run(), error };
    };
    const huge = await run(2 ** 38);
    expect(huge.state).toBe('failed');
    expect(huge.error?.code).toBe('E_OOM');
    expect(huge.error?.message).toMatch(/out of memory allocating \d+ bytes/);
    const normal = await run(16);
    expect(normal.state).toBe('stopped');
  }, 60_000);
});
