// Char-level LSTM language model: Embedding(96, 64) → LSTM(64, 256, num_layers=2) →
// Linear(256, 96), sequence 64, batch 32, Adam 2e-3, clip_grad_norm 1.0, trained through
// the Plan executor on a text Debian ships; prints one JSON line (tokens/s, loss curve).
// The Plan is compiled from samples/char-lstm.json (shared/compile) with these sizes.
// Run: npx tsx bench/charlstm/netwright.ts <text file> [steps] (NETWRIGHT_NUM_THREADS picks threads).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../shared/api/plan';
import { compileGraph } from '../../shared/compile/index';
import { parseProject } from '../../shared/graph/index';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';
import { BATCH, SEQ, VOCAB, batchAt, encodeText, streams } from './data';

function compilePlan(): Plan {
  const text = readFileSync(fileURLToPath(new URL('../../samples/char-lstm.json', import.meta.url)), 'utf8');
  const { project } = parseProject(text);
  const sizes: Record<string, Record<string, number>> = {
    'nn.Embedding': { num_embeddings: VOCAB, embedding_dim: 64 },
    'nn.LSTM': { hidden_size: 256, num_layers: 2, dropout: 0 },
    'nn.Linear': { out_features: VOCAB },
    'input.Tokens': { seq_len: SEQ },
  };
  const graph = {
    ...project.graph,
    nodes: project.graph.nodes.map((node) => ({ ...node, params: { ...node.params, ...(sizes[node.layer] ?? {}) } })),
  };
  const result = compileGraph(graph, { dtype: 'float32', lossNode: project.training.loss });
  if (!result.ok) throw new Error(`samples/char-lstm.json does not compile: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.plan;
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? '/usr/share/common-licenses/GPL-3';
  const steps = Number(process.argv[3] ?? 40);
  const data = streams(encodeText(readFileSync(file)));
  nw.manualSeed(0);
  const model = new Model(compilePlan());
  model.configureOptimizer({ kind: 'adam', lr: 2e-3 });
  const losses: number[] = [];
  const warmup = 2;
  let start = process.hrtime.bigint();
  for (let s = 0; s < steps; s += 1) {
    if (s === warmup) start = process.hrtime.bigint();
    const { x, y } = batchAt(data, s);
    const xt = nw.tensor(x, { shape: [BATCH, SEQ] });
    const yt = nw.tensor(y, { shape: [BATCH, SEQ] });
    const r = await model.trainStep([xt], [yt], { clipNorm: 1.0 });
    losses.push(r.loss);
    xt.dispose();
    yt.dispose();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    JSON.stringify({
      tokens_per_s: ((steps - warmup) * BATCH * SEQ) / seconds,
      seconds,
      steps,
      losses: losses.map((l) => Number(l.toFixed(4))),
      threads: nw.engineInfo().threads,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exit(1);
});
