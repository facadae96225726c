// `npm run bench [-- <workload>...]`: runs the bench/ workloads (all, or those named).
import { runBench } from '../bench/harness.mjs';

try {
  await runBench(process.argv.slice(2).filter((a) => !a.startsWith('-')));
} catch (e) {
  console.error(`bench: ${e.message ?? e}`);
  process.exit(1);
}
