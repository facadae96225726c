// Redraw scheduling for secondary charts: their updates are spread over separate renders, one chart at a time, so a
// redraw never carries a pile of recharts charts at once (bench/dashboard measures each redraw).
import { useEffect, useRef, useState } from 'react';

/**
 * The secondary charts' keys as shown: a changed key is released in a slot at least `gap` ms after the latest render
 * (so between the store's ~300 ms notifications, which redraw the step loss), one chart per slot, the one due first,
 * each at most once per `every` ms (one for all, or per key). A redraw then carries the loss chart or one secondary
 * chart, never a pile of them. A new `reset` (other runs shown) releases every key at once.
 */
export function useStaggeredKeys<K extends string>(wanted: Record<K, string>, reset: string, every: number | Partial<Record<K, number>> = 1000, gap = 120): Record<K, string> {
  const interval = (k: K): number => (typeof every === 'number' ? every : (every[k] ?? 1000));
  const [state, setState] = useState({ reset, shown: wanted });
  const latest = useRef(wanted);
  latest.current = wanted;
  const released = useRef(new Map<K, number>());
  let shown = state.shown;
  if (state.reset !== reset) {
    shown = wanted;
    setState({ reset, shown });
  }
  const stale = (Object.keys(wanted) as K[]).filter((k) => wanted[k] !== shown[k]);
  const readyAt = (k: K): number => (released.current.get(k) ?? -Infinity) + interval(k);
  const next = stale.sort((a, b) => readyAt(a) - readyAt(b))[0];
  const at = next === undefined ? 0 : readyAt(next);
  useEffect(() => {
    if (next === undefined) return;
    // Re-armed by every render: the slot stays `gap` after the latest one.
    const timer = setTimeout(() => {
      released.current.set(next, Date.now());
      setState((s) => ({ ...s, shown: { ...s.shown, [next]: latest.current[next] } }));
    }, Math.max(gap, at - Date.now()));
    return () => clearTimeout(timer);
  });
  return shown;
}
