// One run's metrics as the dashboard keeps them: columnar series per metric (step loss, lr, samples/s, per-parameter
// norms), epoch summaries, histogram snapshots, checkpoints, the evaluation report and the state timeline.
import { lowerBound, Series } from '../charts/series';
import type { EpochSummary, RunInfo, RunMetric, StepColumns } from '../../shared/api';

type Of<K extends RunMetric['kind']> = Extract<RunMetric, { kind: K }>;

export interface ParamSeries {
  grad: Series;
  weight: Series;
  update: Series;
  /** update / weight */
  ratio: Series;
}

/** Histogram snapshots kept per run; older ones are thinned (every other one dropped) past this count. */
const histogramLimit = 120;

export class RunData {
  info: RunInfo | null;
  readonly loss = new Series(1024);
  readonly lr = new Series(256);
  readonly samplesPerSec = new Series(256);
  readonly epochs: EpochSummary[] = [];
  readonly params = new Map<string, ParamSeries>();
  /** the latest per-parameter stats (for the canvas indicators) */
  lastParams: Of<'params'> | null = null;
  readonly histograms: Of<'histograms'>[] = [];
  lastStep: Of<'step'> | null = null;
  readonly checkpoints: Of<'checkpoint'>[] = [];
  test: Of<'test'> | null = null;
  evaluation: Of<'evaluation'> | null = null;
  readonly states: Of<'state'>[] = [];
  /** bumps on every change, so views can memoise on it */
  version = 0;
  /**
   * true once the whole log was read (openRun): every step up to then (the live stream carries ≤ 20 steps a second,
   * so live-only data has gaps)
   */
  complete = false;
  /** the log was read after the run ended: nothing can be missing */
  endedWhenRead = false;

  constructor(info: RunInfo | null = null) {
    this.info = info;
  }

  get id(): string | null {
    return this.info?.id ?? null;
  }

  ingest(metrics: readonly RunMetric[]): void {
    for (const m of metrics) this.add(m);
    if (metrics.length > 0) this.version += 1;
  }

  /** Every step's loss and lr from the run log (steps after the last one held). */
  ingestSteps(steps: StepColumns): void {
    const last = this.loss.lastX;
    // Steps are whole numbers: the first one after `last` is the first ≥ last + 0.5.
    const from = last === null ? 0 : lowerBound(steps.step, steps.step.length, last + 0.5);
    if (from >= steps.step.length) return;
    this.loss.append(steps.step, steps.loss, from);
    this.lr.append(steps.step, steps.lr, from);
    this.version += 1;
  }

  private add(m: RunMetric): void {
    switch (m.kind) {
      case 'step': {
        // A resumed run replays nothing, but a log read after live events may overlap them: keep x increasing.
        // Loss and lr may already hold this step from the step log; throughput is only in these records.
        const last = this.loss.lastX;
        if (last === null || m.step > last) {
          this.loss.push(m.step, m.loss);
          this.lr.push(m.step, m.lr);
        }
        const lastRate = this.samplesPerSec.lastX;
        if (m.samplesPerSec > 0 && (lastRate === null || m.step > lastRate)) this.samplesPerSec.push(m.step, m.samplesPerSec);
        // Strictly newer: records replayed from live data (store.collect) carry no epoch/progress and must not win.
        if (this.lastStep === null || m.step > this.lastStep.step) this.lastStep = m;
        return;
      }
      case 'epoch': {
        const { kind: _kind, t: _t, ...summary } = m;
        const at = this.epochs.findIndex((e) => e.epoch === summary.epoch);
        if (at >= 0) this.epochs[at] = summary;
        else this.epochs.push(summary);
        return;
      }
      case 'params': {
        for (const p of m.params) {
          let s = this.params.get(p.key);
          if (s === undefined) {
            s = { grad: new Series(), weight: new Series(), update: new Series(), ratio: new Series() };
            this.params.set(p.key, s);
          }
          const last = s.grad.lastX;
          if (last !== null && m.step <= last) continue;
          s.grad.push(m.step, p.gradNorm);
          s.weight.push(m.step, p.weightNorm);
          s.update.push(m.step, p.updateNorm);
          s.ratio.push(m.step, p.weightNorm > 0 ? p.updateNorm / p.weightNorm : NaN);
        }
        if (this.lastParams === null || m.step >= this.lastParams.step) this.lastParams = m;
        return;
      }
      case 'histograms': {
        const last = this.histograms[this.histograms.length - 1];
        if (last !== undefined && m.step <= last.step) return;
        this.histograms.push(m);
        if (this.histograms.length > histogramLimit) {
          // Thin the older half so the timeline keeps its span with bounded memory.
          const keep = this.histograms.filter((_, i) => i % 2 === 0 || i >= this.histograms.length / 2);
          this.histograms.splice(0, this.histograms.length, ...keep);
        }
        return;
      }
      case 'checkpoint':
        if (!this.checkpoints.some((c) => c.step === m.step && c.t === m.t)) this.checkpoints.push(m);
        return;
      case 'test':
        this.test = m;
        return;
      case 'evaluation':
        this.evaluation = m;
        return;
      case 'state':
        if (!this.states.some((s) => s.t === m.t && s.state === m.state)) this.states.push(m);
        return;
    }
  }

  /** The step at which a diverged/failed run stopped: the step its message names, else the step after the last good one. */
  failureStep(): number | null {
    const info = this.info;
    if (info === null) return null;
    const named = /at step (\d+)/.exec(info.message ?? '');
    if (named?.[1] !== undefined) return Number(named[1]);
    return info.state === 'diverged' ? info.step + 1 : info.step;
  }
}
