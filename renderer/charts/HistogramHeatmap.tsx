// Histograms over time as a heat map on a canvas: one column per snapshot (step), rows are value bins on a shared
// value range, colour is the fraction of the tensor's elements in the bin (sqrt-scaled so sparse tails show).
import { useEffect, useRef } from 'react';
import { formatNumber } from './ChartCard';

export interface HistogramSnapshot {
  step: number;
  min: number;
  max: number;
  counts: readonly number[];
}

export function HistogramHeatmap({ title, snapshots, color = '59, 91, 219', height = 120 }: { title: string; snapshots: readonly HistogramSnapshot[]; color?: string; height?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of snapshots) {
    if (Number.isFinite(s.min)) lo = Math.min(lo, s.min);
    if (Number.isFinite(s.max)) hi = Math.max(hi, s.max);
  }
  useEffect(() => {
    const canvas = ref.current;
    if (canvas === null) return;
    const width = canvas.clientWidth || 300;
    const rows = 48;
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (ctx === null) return;
    ctx.clearRect(0, 0, width, height);
    if (snapshots.length === 0 || !(hi > lo)) return;
    const colWidth = width / snapshots.length;
    snapshots.forEach((s, col) => {
      const total = s.counts.reduce((a, b) => a + b, 0) || 1;
      const grid = new Float64Array(rows);
      const binWidth = (s.max - s.min) / s.counts.length;
      s.counts.forEach((c, b) => {
        const centre = s.min + (b + 0.5) * binWidth;
        const row = Math.min(rows - 1, Math.max(0, Math.floor(((centre - lo) / (hi - lo)) * rows)));
        grid[row]! += c / total;
      });
      for (let r = 0; r < rows; r += 1) {
        const v = grid[r]!;
        if (v <= 0) continue;
        ctx.fillStyle = `rgba(${color}, ${Math.min(1, 0.08 + Math.sqrt(v) * 1.4)})`;
        ctx.fillRect(Math.floor(col * colWidth), height - ((r + 1) / rows) * height, Math.ceil(colWidth), Math.ceil(height / rows));
      }
    });
  }, [snapshots, lo, hi, height, color]);
  const first = snapshots[0];
  const last = snapshots[snapshots.length - 1];
  return (
    <figure className="heatmap" aria-label={title}>
      <figcaption className="heatmap-title">{title}</figcaption>
      <div className="heatmap-body">
        <span className="heatmap-axis">
          <span>{Number.isFinite(hi) ? formatNumber(hi) : ''}</span>
          <span>{Number.isFinite(lo) ? formatNumber(lo) : ''}</span>
        </span>
        <canvas ref={ref} className="heatmap-canvas" style={{ height }} />
      </div>
      {first !== undefined && last !== undefined && (
        <div className="heatmap-steps">
          <span>step {first.step}</span>
          <span>step {last.step}</span>
        </div>
      )}
    </figure>
  );
}
