// Validate + infer shapes + compile a 1,000-node graph (shared/compile/bench.ts); one JSON line.
import { benchCompile } from '../../shared/compile/bench';

const result = benchCompile(() => performance.now(), 31);
console.log(JSON.stringify({ median_ms: result.medianMs, min_ms: Math.min(...result.samplesMs), nodes: result.nodes, runs: result.runs }));
