// LeNet (samples/lenet.json, compiled by the project compiler) on Fashion-MNIST: SGD
// momentum 0.9, lr 0.05, batch 64, one epoch through the Plan executor; prints one JSON line.
// Run: npx tsx bench/lenet/netwright.ts <dataset dir> (NETWRIGHT_NUM_THREADS picks threads).
import { readFileSync } from 'node:fs';
import { parseProject } from '../../shared/graph/project';
import { compilePlan, trainImageEpoch } from './train';

const sample = new URL('../../samples/lenet.json', import.meta.url);
const plan = compilePlan(parseProject(readFileSync(sample, 'utf8')).project.graph);

trainImageEpoch({ plan, optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 } }).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
