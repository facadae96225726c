// Small Plans shared by the engine tests: Linear(4, 3) then MSE loss, the problem of the
// optimizer trajectories (tests/fixtures/optim/trajectories.json) and of the device tests.
import type { Plan } from '../../../shared/api/plan';

export function linearMsePlan(dtype: 'float32' | 'float64'): Plan {
  return {
    format: 'netwright-plan',
    version: 1,
    dtype,
    inputs: [{ name: 'x', shape: [null, 4], dtype }],
    targets: [{ name: 'y', shape: [null, 3], dtype }],
    tensors: [
      { key: 'fc.weight', shape: [3, 4], dtype, init: { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn: 4 }, trainable: true, buffer: false },
      { key: 'fc.bias', shape: [3], dtype, init: { kind: 'uniform', low: -0.5, high: 0.5 }, trainable: true, buffer: false },
    ],
    steps: [
      { op: 'linear', module: 'fc', inputs: ['x'], tensors: ['fc.weight', 'fc.bias'], outputs: ['out'], attrs: {} },
      { op: 'mse_loss', module: 'loss', inputs: ['out', 'y'], tensors: [], outputs: ['loss'], attrs: { reduction: 'mean' } },
    ],
    outputs: ['out'],
    loss: 'loss',
  };
}
