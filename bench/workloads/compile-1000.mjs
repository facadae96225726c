// Graph editing speed: validate + infer + compile a 1,000-node graph (median ms, lower is
// better). The reference is the product target, 20 ms, so ratio < 1 meets it.
import { join } from 'node:path';
import { repoRoot, runJson } from '../harness.mjs';

export default {
  name: 'compile-1000',
  unit: 'ms',
  order: 20000,
  netwright() {
    const r = runJson(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'bench/compile/netwright.ts')]);
    return { value: r.median_ms, detail: `median of ${r.runs} runs on ${r.nodes} nodes, min ${r.min_ms.toFixed(2)} ms` };
  },
  reference() {
    return { value: 20, name: 'target: 20 ms median', detail: '' };
  },
};
