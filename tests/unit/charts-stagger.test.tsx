// @vitest-environment happy-dom
// Secondary chart redraws are staggered: changed keys are released one per slot, a gap after the latest render, each
// at most once a second; showing other runs releases everything at once.
import { act, cleanup, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useStaggeredKeys } from '../../renderer/charts/stagger';

type Keys = Record<'a' | 'b' | 'c', string>;

describe('staggered chart keys', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('releases one changed key per slot, `gap` after the latest render, each at most once per `every`', () => {
    const { result, rerender } = renderHook(({ keys, reset }: { keys: Keys; reset: string }) => useStaggeredKeys(keys, reset, 1000, 120), {
      initialProps: { keys: { a: 'a0', b: 'b0', c: 'c0' }, reset: 'r' },
    });
    expect(result.current).toEqual({ a: 'a0', b: 'b0', c: 'c0' });
    rerender({ keys: { a: 'a1', b: 'b1', c: 'c1' }, reset: 'r' });
    expect(result.current).toEqual({ a: 'a0', b: 'b0', c: 'c0' });
    act(() => vi.advanceTimersByTime(119));
    expect(result.current).toEqual({ a: 'a0', b: 'b0', c: 'c0' });
    act(() => vi.advanceTimersByTime(1));
    // one key per slot
    const changed = (): number => Object.values(result.current).filter((v) => v.endsWith('1')).length;
    expect(changed()).toBe(1);
    act(() => vi.advanceTimersByTime(120));
    expect(changed()).toBe(2);
    // a render in between (the loss chart's) pushes the next slot a gap after it
    act(() => vi.advanceTimersByTime(60));
    rerender({ keys: { a: 'a1', b: 'b1', c: 'c1' }, reset: 'r' });
    act(() => vi.advanceTimersByTime(100));
    expect(changed()).toBe(2);
    act(() => vi.advanceTimersByTime(20));
    expect(result.current).toEqual({ a: 'a1', b: 'b1', c: 'c1' });
    // a key released less than `every` ago waits
    rerender({ keys: { a: 'a2', b: 'b1', c: 'c1' }, reset: 'r' });
    act(() => vi.advanceTimersByTime(300));
    expect(result.current.a).toBe('a1');
    act(() => vi.advanceTimersByTime(1000));
    expect(result.current.a).toBe('a2');
  });

  it('shows everything at once when other runs are shown', () => {
    const { result, rerender } = renderHook(({ keys, reset }: { keys: Keys; reset: string }) => useStaggeredKeys(keys, reset), {
      initialProps: { keys: { a: 'a0', b: 'b0', c: 'c0' }, reset: 'run1' },
    });
    rerender({ keys: { a: 'x', b: 'y', c: 'z' }, reset: 'run1,run2' });
    expect(result.current).toEqual({ a: 'x', b: 'y', c: 'z' });
  });
});
