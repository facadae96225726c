// The dashboard tabs: live charts (step loss with smoothing, epoch loss/accuracy, LR, samples/s, overlays),
// gradient health (per-layer grad norm and update ratio on log scales, histograms over time, warnings), results
// (confusion matrix, sample predictions or predicted-vs-true scatter) and the run history.
import { useLayoutEffect, useMemo, useState } from 'react';
import { CartesianGrid, ReferenceLine, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import { isFinalRunState, type RunInfo } from '../../shared/api';
import { ChartCard, formatNumber, type ChartLine } from '../charts/ChartCard';
import { downloadText } from '../charts/export';
import { HistogramHeatmap } from '../charts/HistogramHeatmap';
import { useStaggeredKeys } from '../charts/stagger';
import { displayPoints, emaSmooth, minMaxDownsample, positiveOnly, SmoothedSeries, toCsv, type Point } from '../charts/series';
import { classifyGradNorm, healthAdvice, healthLabel, largestNorm, modulePathOf, type ParamHealth } from './health';
import type { RunData } from './runData';
import { formatDuration, useStoreVersion, useTraining, type DockTab } from './Training';

const palette = ['#3b5bdb', '#e8590c', '#2f9e44', '#ae3ec9', '#1098ad', '#f08c00', '#c2255c', '#5c940d', '#495057', '#0b7285'];

export function Dashboard({ tab }: { tab: Exclude<DockTab, 'settings'> }) {
  const { store } = useTraining();
  useStoreVersion(store);
  switch (tab) {
    case 'charts':
      return <ChartsTab />;
    case 'gradients':
      return <GradientsTab />;
    case 'results':
      return <ResultsTab />;
    case 'history':
      return <HistoryTab />;
  }
}

function useRuns(): { current: RunData | null; overlays: { run: RunData; color: string }[] } {
  const { store } = useTraining();
  const current = store.current;
  const overlays = [...store.overlay]
    .filter((id) => id !== store.currentId)
    .map((id, i) => ({ run: store.runs.get(id), color: palette[(i + 1) % palette.length]! }))
    .filter((o): o is { run: RunData; color: string } => o.run !== undefined);
  return { current, overlays };
}

const unitDomain: [number, number] = [0, 1];

const shortId = (run: RunData): string => run.info?.id.slice(-6) ?? 'run';

function ChartsTab() {
  // bench/dashboard times render start → commit → next frame of this tab ("charts-redraw" measures).
  performance.clearMarks('charts-render');
  performance.mark('charts-render');
  useLayoutEffect(() => {
    // Observers see the entry; the buffer does not grow over a long run.
    performance.measure('charts-commit', 'charts-render');
    performance.clearMeasures('charts-commit');
  });
  const { store } = useTraining();
  const { current, overlays } = useRuns();
  const [smoothing, setSmoothing] = useState(0.6);
  const [smoother] = useState(() => new Map<RunData, SmoothedSeries>());
  const runs = useMemo(() => [...(current !== null ? [{ run: current, color: palette[0]! }] : []), ...overlays], [current, overlays]);
  const smoothing_ = (run: RunData): SmoothedSeries => {
    let s = smoother.get(run);
    if (s === undefined) {
      s = new SmoothedSeries();
      smoother.set(run, s);
    }
    return s;
  };
  const smooth = (run: RunData): Float64Array => smoothing_(run).values(run.loss, smoothing);
  // Each chart recomputes (and re-renders) only when its own series grew: recharts redraws are the main thread's cost.
  const runKey = runs.map(({ run }) => run.info?.id ?? '').join();
  const stepKey = `${runKey}|${runs.map(({ run }) => run.loss.length).join()}`;
  const epochKey = `${runKey}|${runs.map(({ run }) => run.epochs.length).join()}`;
  const lossLines = useMemo(() => {
    const lines: ChartLine[] = [];
    runs.forEach(({ run, color }, i) => {
      const label = i === 0 && run === current ? 'loss' : shortId(run);
      // ≤ 2 points per bucket, ≤ 256 buckets: about one point per pixel of the chart; the smoothed line is smooth and
      // needs half as many.
      if (i === 0 && run === current) lines.push({ id: `${label}-raw`, name: 'raw', color, points: displayPoints(run.loss, 256), faint: true, hideLegend: true });
      const values = smooth(run);
      lines.push({ id: `${run.info?.id ?? i}-smooth`, name: smoothing > 0 ? `${label} (smoothed)` : label, color, points: displayPoints(run.loss, smoothing > 0 ? 128 : 256, { values, pyramid: smoothing_(run).pyramid }) });
    });
    return lines;
  }, [stepKey, smoothing]);
  const epochLines = (pick: 'loss' | 'accuracy'): ChartLine[] =>
    runs.flatMap(({ run, color }, i) => {
      const tag = i === 0 && run === current ? '' : ` ${shortId(run)}`;
      const series = (value: (e: RunData['epochs'][number]) => number | null): Point[] => {
        const finite = run.epochs.map((e) => ({ x: e.epoch, y: value(e) ?? NaN })).filter((p) => Number.isFinite(p.y));
        return minMaxDownsample(finite.map((p) => p.x), finite.map((p) => p.y), 200);
      };
      return [
        { id: `${i}-train`, name: `train${tag}`, color, points: series((e) => (pick === 'loss' ? e.trainLoss : e.trainAccuracy)) },
        { id: `${i}-val`, name: `validation${tag}`, color, points: series((e) => (pick === 'loss' ? e.valLoss : e.valAccuracy)), dashed: true },
      ];
    });
  const rateKey = `${runKey}|${runs.map(({ run }) => run.samplesPerSec.length).join()}`;
  // Epoch charts within a second of an epoch; learning rate and throughput every 2 s are plenty.
  const shown = useStaggeredKeys({ epochLoss: epochKey, accuracy: epochKey, lr: stepKey, rate: rateKey }, runKey, { epochLoss: 1000, accuracy: 1000, lr: 2000, rate: 2000 });
  const epochLoss = useMemo(() => epochLines('loss'), [shown.epochLoss]);
  const epochAccuracy = useMemo(() => epochLines('accuracy'), [shown.accuracy]);
  const lrLines = useMemo(
    () => runs.map(({ run, color }, i): ChartLine => ({ id: String(i), name: shortId(run), color, points: displayPoints(run.lr, 150), full: run.lr })),
    [shown.lr],
  );
  const rateLines = useMemo(
    () => runs.map(({ run, color }, i): ChartLine => ({ id: String(i), name: shortId(run), color, points: displayPoints(run.samplesPerSec, 150), full: run.samplesPerSec })),
    [shown.rate],
  );
  // CSV of per-step series reads each run's whole log first: the live stream carried ≤ 20 steps a second.
  const fullRuns = (): Promise<RunData[]> => Promise.all(runs.map(({ run }) => (run.info !== null ? store.full(run.info.id) : Promise.resolve(run))));
  if (current === null && overlays.length === 0) return <p className="dock-empty">Press ▶ Train (Ctrl/⌘+Enter) to start a run; its charts appear here live. Past runs are in History.</p>;
  const lossData = current?.loss;
  const first = lossData !== undefined && lossData.length > 0 ? lossData.y[0]! : null;
  const last = lossData?.lastY ?? null;
  const epochCsv = () => ({
    header: ['run', 'epoch', 'trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy', 'lr', 'seconds'],
    rows: runs.flatMap(({ run }) => run.epochs.map((e) => [run.info?.id ?? '', e.epoch, e.trainLoss, e.trainAccuracy, e.valLoss, e.valAccuracy, e.lr, e.seconds])),
  });
  return (
    <div className="chart-grid">
      <ChartCard
        title="Step loss"
        testId="loss-chart"
        lines={lossLines}
        logY={false}
        height={200}
        data={{ points: lossData?.length ?? 0, first: first ?? '', last: last ?? '' }}
        controls={
          <label className="smoothing" title="Exponential moving average weight (TensorBoard's debiased smoothing)">
            smoothing
            <input type="range" min={0} max={0.99} step={0.01} value={smoothing} aria-label="Smoothing" onChange={(event) => setSmoothing(Number(event.target.value))} />
            <span className="smoothing-value">{smoothing.toFixed(2)}</span>
          </label>
        }
        csv={async () => ({
          header: ['run', 'step', 'loss', 'smoothed'],
          rows: (await fullRuns()).flatMap((run) => {
            const s = emaSmooth(run.loss.y.subarray(0, run.loss.length), smoothing).out;
            return Array.from({ length: run.loss.length }, (_, k) => [run.info?.id ?? '', run.loss.x[k]!, run.loss.y[k]!, s[k]!]);
          }),
        })}
        empty="Waiting for the first steps…"
      />
      <ChartCard title="Epoch loss" testId="epoch-loss-chart" lines={epochLoss} xLabel="epoch" csv={epochCsv} empty="After the first epoch." />
      <ChartCard title="Accuracy" testId="accuracy-chart" lines={epochAccuracy} xLabel="epoch" yDomain={unitDomain} csv={epochCsv} empty="Classification runs show accuracy after each epoch." />
      <ChartCard
        title="Learning rate"
        testId="lr-chart"
        lines={lrLines}
        csv={async () => ({
          header: ['run', 'step', 'lr'],
          rows: (await fullRuns()).flatMap((run) => Array.from({ length: run.lr.length }, (_, k) => [run.info?.id ?? '', run.lr.x[k]!, run.lr.y[k]!])),
        })}
      />
      <ChartCard title="Samples/s" testId="rate-chart" lines={rateLines} />
    </div>
  );
}

function GradientsTab() {
  const { store, analysis, layer, openLayer, project } = useTraining();
  const { current } = useRuns();
  const [showHist, setShowHist] = useState<'weight' | 'grad'>('grad');
  const thresholds = store.thresholds;
  const nodeOfPath = useMemo(() => new Map([...analysis.paths].map(([node, path]) => [path, node])), [analysis.paths]);
  const layerPath = layer !== null ? analysis.paths.get(layer) : undefined;
  const statsKey = `${current?.info?.id ?? ''}|${current?.lastParams?.step ?? -1}|${layerPath ?? ''}`;
  const [gradLines, ratioLines] = useMemo(() => {
    if (current === null) return [[], []];
    const all = [...current.params.keys()];
    const keysShown = layerPath !== undefined ? all.filter((k) => modulePathOf(k) === layerPath) : all;
    const lines = (pick: 'grad' | 'ratio'): ChartLine[] =>
      keysShown.map((key) => {
        const s = current.params.get(key)!;
        const series = pick === 'grad' ? s.grad : s.ratio;
        return { id: key, name: key, color: palette[all.indexOf(key) % palette.length]!, points: positiveOnly(displayPoints(series, 200)), full: series };
      });
    return [lines('grad'), lines('ratio')];
    // statsKey covers current, its newest stats and the layer
  }, [statsKey]);
  if (current === null) return <p className="dock-empty">Gradient health appears once a run reports layer statistics.</p>;
  const keys = [...current.params.keys()];
  const shown = layerPath !== undefined ? keys.filter((k) => modulePathOf(k) === layerPath) : keys;
  const top = largestNorm(current.lastParams?.params ?? []);
  const latest: ParamHealth[] = (current.lastParams?.params ?? []).map((p) => ({ ...p, level: classifyGradNorm(p.gradNorm, thresholds, top) }));
  const warnings = latest.map((p) => healthAdvice(p, thresholds)).filter((w): w is string => w !== null);
  const tiny = latest.filter((p) => p.level === 'low' && p.gradNorm < thresholds.vanishing).length;
  const layers = [...new Set(keys.map(modulePathOf))];
  const snapshots = (key: string) =>
    current.histograms.flatMap((h) => h.histograms.filter((x) => x.key === key && x.of === showHist).map((x) => ({ step: h.step, min: x.min, max: x.max, counts: x.counts })));
  return (
    <div className="gradients">
      <div className="gradients-bar">
        <label className="field-inline">
          layer
          <select
            aria-label="Layer"
            value={layer ?? ''}
            onChange={(event) => openLayer(event.target.value === '' ? null : event.target.value)}
          >
            <option value="">all layers</option>
            {layers.map((path) => {
              const node = nodeOfPath.get(path);
              return node === undefined ? null : (
                <option key={path} value={node}>
                  {path} ({project.graph.nodes.find((n) => n.id === node)?.layer ?? ''})
                </option>
              );
            })}
          </select>
        </label>
        <ThresholdInputs />
      </div>
      {warnings.length > 0 ? (
        <ul className="health-warnings" role="alert" aria-label="Gradient warnings">
          {warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : tiny > 0 ? (
        <p className="health-low">
          {tiny} of {latest.length} parameters have gradient norms below {thresholds.vanishing} at step {current.lastParams?.step}, evenly across layers: the model has converged (or stalled, if the loss is still high).
        </p>
      ) : latest.length > 0 ? (
        <p className="health-ok">All {latest.length} parameters within thresholds at step {current.lastParams?.step}.</p>
      ) : null}
      <div className="health-table" aria-label="Layer health">
        {latest
          .filter((p) => layerPath === undefined || modulePathOf(p.key) === layerPath)
          .map((p) => (
            <span key={p.key} className={`health-chip level-${p.level}`} title={healthLabel(p.level)}>
              {p.key} <b>{formatNumber(p.gradNorm)}</b>
            </span>
          ))}
      </div>
      <div className="chart-grid">
        <ChartCard title={`Gradient norm${layerPath !== undefined ? ` · ${layerPath}` : ''} (log)`} testId="grad-norm-chart" lines={gradLines} logY empty="Layer statistics arrive every few steps." />
        <ChartCard title="Update / weight ratio (log)" lines={ratioLines} logY empty="Layer statistics arrive every few steps." />
      </div>
      <div className="histograms">
        <div className="histograms-head">
          <h4 className="chart-title">Histograms over time</h4>
          <div className="segmented" role="group" aria-label="Histogram of">
            {(['grad', 'weight'] as const).map((of) => (
              <button key={of} type="button" aria-pressed={showHist === of} onClick={() => setShowHist(of)}>
                {of === 'grad' ? 'gradients' : 'weights'}
              </button>
            ))}
          </div>
        </div>
        {current.histograms.length === 0 ? (
          <p className="chart-empty">Histograms are taken every {store.current?.info?.settings ? 'few hundred' : 'N'} steps (Settings → histograms every).</p>
        ) : (
          <div className="heatmap-grid">
            {shown.slice(0, 12).map((key) => (
              <HistogramHeatmap key={key} title={key} snapshots={snapshots(key)} color={showHist === 'grad' ? '232, 89, 12' : '59, 91, 219'} height={90} />
            ))}
          </div>
        )}
      </div>
    </div>
  );
}

function ThresholdInputs() {
  const { store } = useTraining();
  const t = store.thresholds;
  const field = (key: 'vanishing' | 'exploding', label: string) => (
    <label className="field-inline threshold">
      {label}
      <input
        aria-label={`${label} threshold`}
        defaultValue={String(t[key])}
        size={7}
        onBlur={(event) => {
          const v = Number(event.target.value);
          if (Number.isFinite(v) && v > 0) store.setThresholds({ ...t, [key]: v });
          else event.target.value = String(t[key]);
        }}
      />
    </label>
  );
  return (
    <span className="thresholds" title="Gradient L2 norm bands: red below 'vanishing' or above 'exploding', amber within 100× of them">
      {field('vanishing', 'vanishing <')}
      {field('exploding', 'exploding >')}
    </span>
  );
}

function ResultsTab() {
  const { current } = useRuns();
  const evaluation = current?.evaluation ?? null;
  if (current === null) return <p className="dock-empty">Results appear after a run’s first epoch (on its validation split) and when it completes.</p>;
  const test = current.test;
  const last = current.epochs[current.epochs.length - 1];
  return (
    <div className="results">
      <div className="result-summary">
        {last !== undefined && (
          <span>
            {current.info !== null && !isFinalRunState(current.info.state) ? 'latest' : 'final'} train loss <b>{formatNumber(last.trainLoss)}</b>
            {last.valLoss !== null && (
              <>
                {' '}· val loss <b>{formatNumber(last.valLoss)}</b>
              </>
            )}
            {last.valAccuracy !== null && (
              <>
                {' '}· val accuracy <b>{(last.valAccuracy * 100).toFixed(1)}%</b>
              </>
            )}
          </span>
        )}
        {test !== null && (
          <span>
            test loss <b>{formatNumber(test.loss)}</b>
            {test.accuracy !== null && <> · test accuracy <b>{(test.accuracy * 100).toFixed(1)}%</b></>} ({test.count} samples)
          </span>
        )}
      </div>
      {evaluation === null ? (
        <p className="chart-empty">The confusion matrix and sample predictions appear after the first epoch on the validation split (every few seconds during the run), and on the test set when the run completes.</p>
      ) : (
        <div className="results-grid">
          {evaluation.confusion !== null && evaluation.classes !== null && <ConfusionMatrix classes={evaluation.classes} matrix={evaluation.confusion} split={`${evaluation.split}, step ${evaluation.step}`} />}
          <Samples evaluation={evaluation} />
        </div>
      )}
    </div>
  );
}

function ConfusionMatrix({ classes, matrix, split }: { classes: string[]; matrix: number[][]; split: string }) {
  const max = Math.max(1, ...matrix.flat());
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((a, row, i) => a + (row[i] ?? 0), 0);
  const exportCsv = (): void => downloadText(toCsv(['true \\ predicted', ...classes], matrix.map((row, i) => [classes[i] ?? String(i), ...row])), 'confusion-matrix.csv');
  return (
    <section className="chart-card confusion" aria-label="Confusion matrix" data-testid="confusion-matrix">
      <header className="chart-head">
        <h4 className="chart-title">
          Confusion matrix · {split} ({total} samples, {total > 0 ? ((correct / total) * 100).toFixed(1) : '–'}% correct)
        </h4>
        <div className="chart-tools">
          <button type="button" className="chart-tool" onClick={exportCsv} aria-label="Export confusion matrix as CSV">
            CSV
          </button>
        </div>
      </header>
      <table className="confusion-table">
        <thead>
          <tr>
            <th className="corner">true ↓ / predicted →</th>
            {classes.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={i}>
              <th scope="row">{classes[i] ?? i}</th>
              {row.map((v, j) => {
                const alpha = v / max;
                return (
                  <td key={j} className={i === j ? 'diag' : v > 0 ? 'off' : ''} style={v === 0 ? undefined : { background: `rgba(${i === j ? '47, 158, 68' : '201, 42, 42'}, ${(0.1 + alpha * 0.7).toFixed(3)})` }} title={`true ${classes[i] ?? i}, predicted ${classes[j] ?? j}: ${v}`}>
                    {v}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

type Evaluation = NonNullable<RunData['evaluation']>;

function SampleImage({ input, shape }: { input: number[]; shape: number[] }) {
  const [c, h, w] = shape.length === 3 ? shape : shape.length === 2 ? [1, shape[0]!, shape[1]!] : [1, 1, input.length];
  const ref = (canvas: HTMLCanvasElement | null): void => {
    if (canvas === null || h === undefined || w === undefined || c === undefined) return;
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (ctx === null) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of input) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi > lo ? hi - lo : 1;
    const image = ctx.createImageData(w, h);
    for (let y = 0; y < h; y += 1) {
      for (let x = 0; x < w; x += 1) {
        const at = (y * w + x) * 4;
        for (let k = 0; k < 3; k += 1) {
          const channel = c >= 3 ? k : 0;
          const v = input[channel * h * w + y * w + x] ?? 0;
          image.data[at + k] = Math.round(((v - lo) / span) * 255);
        }
        image.data[at + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
  };
  return <canvas ref={ref} className="sample-image" />;
}

function Samples({ evaluation }: { evaluation: Evaluation }) {
  const { samples, classes, task } = evaluation;
  if (samples.length === 0) return null;
  const label = (v: number): string => (classes !== null ? (classes[v] ?? String(v)) : formatNumber(v));
  const dims = samples[0]!.input.length;
  if (task === 'regression' && dims === 1) {
    // One input feature (the notes' y = 2x + 3): the data as points, the model's predictions as a line over x.
    const data = samples.map((s) => ({ x: s.input[0]!, y: s.truth }));
    const fit = samples.map((s) => ({ x: s.input[0]!, y: s.predicted })).sort((a, b) => a.x - b.x);
    return (
      <section className="chart-card" aria-label="Model fit" data-testid="prediction-scatter">
        <header className="chart-head">
          <h4 className="chart-title">
            Model fit on {samples.length} {evaluation.split} samples
          </h4>
        </header>
        <div className="chart-body" style={{ height: 240 }}>
          <ResponsiveContainer width="100%" height="100%">
            <ScatterChart margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="2 4" />
              <XAxis type="number" dataKey="x" name="x" tickFormatter={formatNumber} stroke="var(--muted)" fontSize={11} domain={['auto', 'auto']} />
              <YAxis type="number" dataKey="y" name="y" tickFormatter={formatNumber} stroke="var(--muted)" fontSize={11} width={52} domain={['auto', 'auto']} />
              <ZAxis range={[14, 14]} />
              <Tooltip isAnimationActive={false} formatter={(v) => (typeof v === 'number' ? formatNumber(v) : String(v))} />
              <Scatter name="data (true y)" data={data} fill="#3b5bdb" fillOpacity={0.55} isAnimationActive={false} />
              <Scatter name="model (predicted y)" data={fit} fill="#e8590c" line={{ stroke: '#e8590c', strokeWidth: 2 }} shape={() => <g />} isAnimationActive={false} />
            </ScatterChart>
          </ResponsiveContainer>
        </div>
      </section>
    );
  }
  if (task === 'regression') {
    const points = samples.map((s) => ({ x: s.truth, y: s.predicted }));
    const lo = Math.min(...points.map((p) => Math.min(p.x, p.y)));
    const hi = Math.max(...points.map((p) => Math.max(p.x, p.y)));
    return (
      <section className="chart-card" aria-label="Predicted vs true" data-testid="prediction-scatter">
        <header className="chart-head">
          <h4 className="chart-title">Predicted vs true ({samples.length} samples)</h4>
        </header>
        <div className="chart-body" style={{ height: 240 }}>
          <ResponsiveContainer width="100%" height="100%">
            <ScatterChart margin={{ top: 8, right: 12, bottom: 16, left: 0 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="2 4" />
              <XAxis type="number" dataKey="x" name="true" domain={[lo, hi]} tickFormatter={formatNumber} stroke="var(--muted)" fontSize={11} label={{ value: 'true', position: 'insideBottom', offset: -8, fontSize: 11 }} />
              <YAxis type="number" dataKey="y" name="predicted" domain={[lo, hi]} tickFormatter={formatNumber} stroke="var(--muted)" fontSize={11} width={52} />
              <ZAxis range={[16, 16]} />
              <ReferenceLine segment={[{ x: lo, y: lo }, { x: hi, y: hi }]} stroke="var(--muted)" strokeDasharray="4 3" />
              <Tooltip isAnimationActive={false} formatter={(v) => (typeof v === 'number' ? formatNumber(v) : String(v))} />
              <Scatter data={points} fill="#3b5bdb" isAnimationActive={false} />
            </ScatterChart>
          </ResponsiveContainer>
        </div>
      </section>
    );
  }
  if (dims === 2) {
    // 2-D inputs (two moons, spirals): the points coloured by prediction, mistakes ringed in red.
    const series = (classes ?? ['0', '1']).map((_, k) => samples.filter((s) => s.predicted === k && s.truth === k).map((s) => ({ x: s.input[0]!, y: s.input[1]! })));
    const wrong = samples.filter((s) => s.predicted !== s.truth).map((s) => ({ x: s.input[0]!, y: s.input[1]!, truth: label(s.truth), predicted: label(s.predicted) }));
    return (
      <section className="chart-card" aria-label="Sample predictions" data-testid="prediction-scatter">
        <header className="chart-head">
          <h4 className="chart-title">
            Predictions on {samples.length} {evaluation.split} points ({wrong.length} wrong)
          </h4>
        </header>
        <div className="chart-body" style={{ height: 240 }}>
          <ResponsiveContainer width="100%" height="100%">
            <ScatterChart margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="2 4" />
              <XAxis type="number" dataKey="x" tickFormatter={formatNumber} stroke="var(--muted)" fontSize={11} domain={['auto', 'auto']} />
              <YAxis type="number" dataKey="y" tickFormatter={formatNumber} stroke="var(--muted)" fontSize={11} width={48} domain={['auto', 'auto']} />
              <ZAxis range={[18, 18]} />
              {series.map((points, k) => (
                <Scatter key={k} name={`predicted ${label(k)}`} data={points} fill={palette[k % palette.length] ?? '#3b5bdb'} isAnimationActive={false} />
              ))}
              <Scatter name="wrong" data={wrong} fill="none" stroke="#c92a2a" strokeWidth={2} isAnimationActive={false} />
            </ScatterChart>
          </ResponsiveContainer>
        </div>
      </section>
    );
  }
  return (
    <section className="chart-card" aria-label="Sample predictions" data-testid="prediction-grid">
      <header className="chart-head">
        <h4 className="chart-title">
          Sample predictions ({evaluation.split}, step {evaluation.step})
        </h4>
      </header>
      <div className="sample-grid">
        {samples.map((s, i) => (
          <figure key={i} className={`sample ${s.truth === s.predicted ? 'right' : 'wrong'}`}>
            {s.input.length > 4 && <SampleImage input={s.input} shape={s.shape} />}
            <figcaption>
              <span title="true">{label(s.truth)}</span> → <b title="predicted">{label(s.predicted)}</b>
            </figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}

function HistoryTab() {
  const { store, project, notify } = useTraining();
  const [all, setAll] = useState(false);
  const runs = store.history.filter((r) => all || r.projectName === project.name);
  const duration = (r: RunInfo): string =>
    r.endedAt !== undefined ? formatDuration((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000) : isFinalRunState(r.state) ? '–' : 'running';
  const fail = (error: unknown): void => notify(error instanceof Error ? error.message : String(error), 'error');
  return (
    <div className="history">
      <div className="history-bar">
        <label className="field-inline">
          <input type="checkbox" checked={all} onChange={(event) => setAll(event.target.checked)} /> all projects
        </label>
        <button type="button" onClick={() => store.refreshHistory()}>
          Refresh
        </button>
        <span className="muted">Tick runs to overlay them on the charts; click a row to show it.</span>
      </div>
      {runs.length === 0 ? (
        <p className="dock-empty">No runs of “{project.name}” yet.</p>
      ) : (
        <table className="history-table" aria-label="Run history">
          <thead>
            <tr>
              <th>overlay</th>
              <th>started</th>
              <th>state</th>
              <th>settings</th>
              <th>epochs</th>
              <th>steps</th>
              <th>duration</th>
              <th>train loss</th>
              <th>val loss</th>
              <th>val acc</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} className={r.id === store.currentId ? 'current' : undefined} data-run-id={r.id} onClick={() => void store.show(r.id).catch(fail)}>
                <td onClick={(event) => event.stopPropagation()}>
                  <input type="checkbox" aria-label={`Overlay run ${r.id}`} checked={store.overlay.has(r.id) || r.id === store.currentId} disabled={r.id === store.currentId} onChange={() => void store.toggleOverlay(r.id).catch(fail)} />
                </td>
                <td title={r.id}>{new Date(r.startedAt).toLocaleString()}</td>
                <td>
                  <span className={`run-state state-${r.state}`}>{r.state}</span>
                </td>
                <td className="muted">{r.settings !== undefined ? `${r.settings.dataset} · ${r.settings.optimizer} lr ${r.settings.lr} · batch ${r.settings.batchSize}` : '–'}</td>
                <td>
                  {r.lastEpoch?.epoch ?? r.epoch}/{r.epochs || r.settings?.epochs || '?'}
                </td>
                <td>{r.step}</td>
                <td>{duration(r)}</td>
                <td>{r.lastEpoch !== null ? formatNumber(r.lastEpoch.trainLoss) : '–'}</td>
                <td>{r.lastEpoch?.valLoss != null ? formatNumber(r.lastEpoch.valLoss) : '–'}</td>
                <td>{r.lastEpoch?.valAccuracy != null ? `${(r.lastEpoch.valAccuracy * 100).toFixed(1)}%` : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
