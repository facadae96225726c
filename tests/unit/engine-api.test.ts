// The native TS wrapper: tensor creation, ops, autograd, validation errors, tidy.
import { describe, expect, it } from 'vitest';
import * as nw from '../../native/ts/index';

describe('native engine wrapper', () => {
  it('reports engine info with a CPU device', () => {
    const info = nw.engineInfo();
    expect(info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.devices[0]?.id).toBe('cpu');
  });

  it('creates tensors like torch.tensor', () => {
    expect(nw.tensor([[1, 2], [3, 4]]).dtype).toBe('int64');
    const f = nw.tensor([1.5, 2]);
    expect(f.dtype).toBe('float32');
    expect(f.shape).toEqual([2]);
    expect(nw.tensor(7.5).shape).toEqual([]);
    expect(() => nw.tensor([[1, 2], [3]])).toThrow(/ragged/);
  });

  it('runs autograd: y = sum(x^2 + 3x), dy/dx = 2x + 3', () => {
    const x = nw.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const y = x.pow(2).add(x.mul(3)).sum();
    y.backward();
    expect(x.grad?.toArray()).toEqual([5, 7, 9]);
    expect(y.gradFn).toBe('sum');
  });

  it('computes autograd.grad without touching .grad', () => {
    const x = nw.tensor([2], { dtype: 'float64', requiresGrad: true });
    const [g] = nw.grad(x.pow(3).sum(), x);
    expect(g?.toArray()).toEqual([12]);
    expect(x.grad).toBeNull();
  });

  it('noGrad records nothing', () => {
    const x = nw.tensor([1, 2], { requiresGrad: true });
    const y = nw.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
  });

  it('gives clear coded errors for bad input', () => {
    const a = nw.ones([2, 3]);
    const b = nw.ones([4, 5]);
    expect(() => a.matmul(b)).toThrow(/\[2, 3\] and \[4, 5\]/);
    expect(() => nw.op('no_such_op', [a])).toThrow(/unknown op 'no_such_op'/);
    expect(() => nw.zeros([2], 'complex' as nw.DType)).toThrow(/unknown dtype/);
    try {
      a.add(b);
    } catch (error) {
      expect(error).toBeInstanceOf(nw.EngineError);
      expect((error as nw.EngineError).code).toBe('E_SHAPE');
    }
  });

  it('manualSeed makes randn repeatable', () => {
    nw.manualSeed(123);
    const a = nw.randn([8]).toArray();
    nw.manualSeed(123);
    expect(nw.randn([8]).toArray()).toEqual(a);
  });

  it('tidy disposes intermediates and keeps the result', () => {
    let inner: nw.Tensor | null = null;
    const out = nw.tidy(() => {
      inner = nw.ones([3]).mul(2);
      return inner.add(1);
    });
    expect(out.toArray()).toEqual([3, 3, 3]);
    expect(inner!.handle.disposed).toBe(true);
  });
});
