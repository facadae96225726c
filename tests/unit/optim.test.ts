// Optimizers through the Plan executor: 20 steps of each torch.optim config on a fixed
// Linear + MSE problem follow PyTorch's parameter trajectory (float64, 1e-10).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';
import { Model, type OptimizerConfig } from '../../native/ts/model';
import { linearMsePlan } from './helpers/plans';

interface Trajectories {
  x: number[];
  y: number[];
  weight: number[];
  bias: number[];
  cases: {
    optimizer: OptimizerConfig;
    clip: { clip_norm?: number; clip_value?: number };
    steps: { loss: number; weight: number[]; bias: number[] }[];
  }[];
}

const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/optim/trajectories.json'), 'utf8')) as Trajectories;

function close(actual: number[], expected: number[], tol: number): boolean {
  return actual.length === expected.length && actual.every((a, i) => Math.abs(a - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)));
}

// The CPU always; a CUDA device too where one exists and runs the Plan's ops (the same trajectories, float64).
const cuda = nw.engineInfo().devices.find((d) => d.kind === 'cuda')?.id;
const trainDevices = ['cpu', ...(cuda !== undefined && nw.supports('linear', cuda) && nw.supports('mse_loss', cuda) ? [cuda] : [])];

describe('optimizers match torch.optim trajectories', () => {
  for (const device of trainDevices) for (const c of fixture.cases) {
    const name = `${JSON.stringify(c.optimizer)} ${JSON.stringify(c.clip)}${device === 'cpu' ? '' : ` on ${device}`}`;
    it(name, async () => {
      const model = new Model(linearMsePlan('float64'), { device });
      model.loadStateDict(
        new Map([
          ['fc.weight', nw.tensor(Float64Array.from(fixture.weight), { shape: [3, 4] })],
          ['fc.bias', nw.tensor(Float64Array.from(fixture.bias), { shape: [3] })],
        ]),
      );
      model.configureOptimizer(c.optimizer);
      const x = nw.tensor(Float64Array.from(fixture.x), { shape: [8, 4] });
      const y = nw.tensor(Float64Array.from(fixture.y), { shape: [8, 3] });
      for (const [i, step] of c.steps.entries()) {
        const r = await model.trainStep([x], [y], {
          ...(c.clip.clip_norm === undefined ? {} : { clipNorm: c.clip.clip_norm }),
          ...(c.clip.clip_value === undefined ? {} : { clipValue: c.clip.clip_value }),
        });
        expect(r.loss).toBeCloseTo(step.loss, 10);
        const sd = model.stateDict();
        const ok = close(sd.get('fc.weight')!.toArray(), step.weight, 1e-10) && close(sd.get('fc.bias')!.toArray(), step.bias, 1e-10);
        if (!ok) throw new Error(`step ${i + 1}: parameters diverge from PyTorch (${sd.get('fc.weight')!.toArray().slice(0, 3)} vs ${step.weight.slice(0, 3)})`);
      }
      model.dispose();
    });
  }

  it('exposes optimizer state that round-trips into a fresh model', async () => {
    const make = (): Model => {
      nw.manualSeed(3);
      const m = new Model(linearMsePlan('float32'));
      m.configureOptimizer({ kind: 'adam', lr: 0.01 });
      return m;
    };
    const x = nw.tensor(Float32Array.from(fixture.x), { shape: [8, 4] });
    const y = nw.tensor(Float32Array.from(fixture.y), { shape: [8, 3] });
    const a = make();
    for (let i = 0; i < 4; i += 1) await a.trainStep([x], [y]);
    const b = make();
    b.loadStateDict(a.stateDict());
    b.setOptimizerState(a.optimizerState()!);
    for (let i = 0; i < 3; i += 1) {
      await a.trainStep([x], [y]);
      await b.trainStep([x], [y]);
    }
    expect(b.stateDict().get('fc.weight')!.toArray()).toEqual(a.stateDict().get('fc.weight')!.toArray());
    expect(a.optimizerState()![0]!.step).toBe(7);
  });

  it('skips the update and says where when the loss is not finite', async () => {
    const m = new Model(linearMsePlan('float32'));
    m.configureOptimizer({ kind: 'sgd', lr: 0.1 });
    const before = m.stateDict().get('fc.weight')!.toArray();
    const x = nw.full([2, 4], Number.NaN);
    const r = await m.trainStep([x], [nw.zeros([2, 3])]);
    expect(r.finite).toBe(false);
    expect(r.nonFiniteWhere).toBe('loss');
    expect(m.stateDict().get('fc.weight')!.toArray()).toEqual(before);
  });

  it('rejects bad optimizer settings and bad inputs with clear errors', async () => {
    const m = new Model(linearMsePlan('float32'));
    expect(() => m.configureOptimizer({ kind: 'adam', lr: -1 })).toThrow(/learning rate/);
    expect(() => m.configureOptimizer({ kind: 'adagrad' as 'adam', lr: 1 })).toThrow(/unknown optimizer/);
    m.configureOptimizer({ kind: 'sgd', lr: 0.1 });
    expect(() => m.trainStep([nw.zeros([2, 5])], [nw.zeros([2, 3])])).toThrow(/must have shape \[N, 4\], got \[2, 5\]/);
    expect(() => new Model({ ...linearMsePlan('float32'), steps: [{ op: 'conv9d', module: 'c', inputs: ['x'], tensors: [], outputs: ['out'], attrs: {} }] })).toThrow(/conv9d/);
  });
});
