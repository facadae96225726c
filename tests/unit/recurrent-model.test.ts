// Embedding + LSTM/GRU through the Plan executor (native/ts/model.ts): a frozen pretrained
// embedding (trainable=false) is never updated while the rest trains, and the char-LSTM and
// GRU samples compile (shared/compile) into Plans the engine runs and trains.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Plan, PlanTensor } from '../../shared/api/plan';
import { compileGraph } from '../../shared/compile/index';
import { parseProject } from '../../shared/graph/index';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';

const uniform = (key: string, shape: number[], bound: number): PlanTensor => ({
  key,
  shape,
  dtype: 'float32',
  init: { kind: 'uniform', low: -bound, high: bound },
  trainable: true,
  buffer: false,
});

function frozenEmbeddingPlan(): Plan {
  const V = 12, E = 5, H = 8, C = 3;
  const b = 1 / Math.sqrt(H);
  return {
    format: 'netwright-plan',
    version: 1,
    dtype: 'float32',
    inputs: [{ name: 'tokens', shape: [null, 6], dtype: 'int64' }],
    targets: [{ name: 'y', shape: [null], dtype: 'int64' }],
    tensors: [
      { key: 'embedding.weight', shape: [V, E], dtype: 'float32', init: { kind: 'normal', mean: 0, std: 1 }, trainable: false, buffer: false, zeroRows: [0] },
      uniform('gru.weight_ih_l0', [3 * H, E], b),
      uniform('gru.weight_hh_l0', [3 * H, H], b),
      uniform('gru.bias_ih_l0', [3 * H], b),
      uniform('gru.bias_hh_l0', [3 * H], b),
      uniform('fc.weight', [C, H], b),
      uniform('fc.bias', [C], b),
    ],
    steps: [
      { op: 'embedding', module: 'embedding', inputs: ['tokens'], tensors: ['embedding.weight'], outputs: ['emb'], attrs: { padding_idx: 0 } },
      {
        op: 'gru',
        module: 'gru',
        inputs: ['emb'],
        tensors: ['', 'gru.weight_ih_l0', 'gru.weight_hh_l0', 'gru.bias_ih_l0', 'gru.bias_hh_l0'],
        outputs: ['gru.output', 'gru.h_n'],
        attrs: { input_size: E, hidden_size: H, num_layers: 1, bias: true, batch_first: true, dropout: 0, bidirectional: false, training: true },
      },
      { op: 'slice', module: '', inputs: ['gru.output'], tensors: [], outputs: ['last3'], attrs: { dim: 1, start: -1 } },
      { op: 'squeeze', module: '', inputs: ['last3'], tensors: [], outputs: ['last'], attrs: { dim: 1 } },
      { op: 'linear', module: 'fc', inputs: ['last'], tensors: ['fc.weight', 'fc.bias'], outputs: ['logits'], attrs: {} },
      { op: 'cross_entropy', module: 'loss', inputs: ['logits', 'y'], tensors: [''], outputs: ['loss'], attrs: { reduction: 'mean' } },
    ],
    outputs: ['logits'],
    loss: 'loss',
  };
}

describe('recurrent models through the Plan executor', () => {
  it('a frozen pretrained embedding gets no update while the GRU and classifier learn', async () => {
    nw.manualSeed(0);
    const model = new Model(frozenEmbeddingPlan());
    model.configureOptimizer({ kind: 'adam', lr: 0.02 });
    const pretrained = nw.randn([12, 5]);
    model.loadStateDict(new Map([['embedding.weight', pretrained]]), false);
    const before = new Map([...model.stateDict()].map(([k, t]) => [k, t.toArray()]));
    // Class = which third of the vocabulary the last token is in; id 0 pads the front.
    const ids: bigint[] = [];
    const labels: bigint[] = [];
    for (let n = 0; n < 16; n += 1) {
      for (let t = 0; t < 6; t += 1) ids.push(t < 2 ? 0n : BigInt(1 + ((n * 7 + t * 3) % 11)));
      labels.push(BigInt(Math.floor((Number(ids[ids.length - 1]) - 1) / 4)));
    }
    const x = nw.tensor(BigInt64Array.from(ids), { shape: [16, 6] });
    const y = nw.tensor(BigInt64Array.from(labels), { shape: [16] });
    const losses: number[] = [];
    for (let i = 0; i < 30; i += 1) losses.push((await model.trainStep([x], [y], { clipNorm: 1 })).loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.7);
    const after = model.stateDict();
    expect(after.get('embedding.weight')!.toArray()).toEqual(before.get('embedding.weight'));
    for (const key of ['gru.weight_ih_l0', 'gru.weight_hh_l0', 'gru.bias_hh_l0', 'fc.weight']) {
      expect(after.get(key)!.toArray(), key).not.toEqual(before.get(key));
    }
    model.dispose();
  });

  it.each(['char-lstm.json', 'gru-classifier.json'])('%s compiles to a Plan the engine trains', async (file) => {
    const { project } = parseProject(readFileSync(new URL(`../../samples/${file}`, import.meta.url), 'utf8'));
    const result = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss });
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    const plan = result.plan;
    nw.manualSeed(1);
    const model = new Model(plan);
    model.configureOptimizer({ kind: 'adam', lr: 0.01 });
    const batch = 4;
    const make = (spec: Plan['inputs'][number], classes: number): nw.Tensor => {
      const shape = spec.shape.map((d) => d ?? batch);
      return spec.dtype === 'int64' ? nw.randint(0, classes, shape) : nw.randn(shape);
    };
    const vocab = plan.tensors.find((t) => t.key.endsWith('embedding.weight'))?.shape[0] ?? 2;
    const classes = plan.tensors.find((t) => t.key.endsWith('.bias') && t.shape.length === 1 && plan.steps.at(-2)?.tensors.includes(t.key))?.shape[0] ?? 2;
    const inputs = plan.inputs.map((spec) => make(spec, vocab));
    const targets = plan.targets.map((spec) => make(spec, classes));
    const first = await model.trainStep(inputs, targets);
    let last = first;
    for (let i = 0; i < 5; i += 1) last = await model.trainStep(inputs, targets);
    expect(first.finite && last.finite).toBe(true);
    expect(last.loss).toBeLessThan(first.loss);
    model.dispose();
  });
});
