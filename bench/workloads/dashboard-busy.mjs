// Dashboard live load: the renderer main thread's busy % in Chromium while a 10-layer model's metrics arrive at
// 20 Hz (lower is better). The reference is the product target, 25 %, so ratio < 1 meets it.
import { join } from 'node:path';
import { repoRoot, runJson } from '../harness.mjs';

export default {
  name: 'dashboard-busy',
  unit: '% busy',
  order: 21000,
  netwright() {
    const r = runJson(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'bench/dashboard/dashboard.ts')]);
    return { value: r.busy_pct, detail: `over ${r.seconds} s, ${r.health_dots} node health dots live` };
  },
  reference() {
    return { value: 25, name: 'target: 25 % busy', detail: '' };
  },
};
