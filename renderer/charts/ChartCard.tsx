// A chart panel: title, optional controls, a recharts line chart of several (already downsampled) lines, and
// PNG/CSV export. Lines carry their own points, so runs with different steps overlay on one numeric x axis.
import { memo, useRef, type ReactNode } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { downloadPng, downloadText } from './export';
import { toCsv, type Point } from './series';

export interface ChartLine {
  id: string;
  name: string;
  color: string;
  points: readonly Point[];
  /** drawn thin and translucent (raw values behind a smoothed line) */
  faint?: boolean;
  dashed?: boolean;
  /** left out of the legend */
  hideLegend?: boolean;
  /** the whole series behind the drawn points, for CSV export (default: the drawn points) */
  full?: { x: ArrayLike<number>; y: ArrayLike<number>; length: number };
}

export interface CsvTable {
  header: string[];
  rows: (number | string | null)[][];
}

export interface ChartCardProps {
  title: string;
  /** data-testid of the card */
  testId?: string;
  lines: readonly ChartLine[];
  xLabel?: string;
  logY?: boolean;
  /** y axis domain; default auto */
  yDomain?: [number | 'auto' | 'dataMin' | 'dataMax', number | 'auto' | 'dataMin' | 'dataMax'];
  height?: number;
  controls?: ReactNode;
  /** full-resolution rows for CSV export (default: each line's `full` series, else its drawn points) */
  csv?: () => CsvTable | Promise<CsvTable>;
  empty?: string;
  /** extra data-* attributes for tests (counts, last values) */
  data?: Record<string, string | number>;
}

export const formatNumber = (v: number): string => {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  if (Number.isInteger(v)) return String(v);
  return v.toPrecision(3);
};

function fileName(title: string, ext: string): string {
  return `${title.toLowerCase().replace(/[^\w]+/g, '-').replace(/^-|-$/g, '')}.${ext}`;
}

export const ChartCard = memo(function ChartCard({ title, testId, lines, xLabel = 'step', logY = false, yDomain, height = 180, controls, csv, empty, data }: ChartCardProps) {
  const ref = useRef<HTMLDivElement>(null);
  const hasData = lines.some((l) => l.points.length > 0);
  const attributes: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(data ?? {})) attributes[`data-${k}`] = v;
  // lines drawn (with points), for tests of overlays
  attributes['data-lines'] = lines.filter((l) => l.points.length > 0).length;
  const exportCsv = async (): Promise<void> => {
    if (csv !== undefined) {
      const table = await csv();
      downloadText(toCsv(table.header, table.rows), fileName(title, 'csv'));
      return;
    }
    const rows: (number | string)[][] = [];
    for (const line of lines) {
      if (line.full !== undefined) for (let i = 0; i < line.full.length; i += 1) rows.push([line.name, line.full.x[i]!, line.full.y[i]!]);
      else for (const p of line.points) rows.push([line.name, p.x, p.y]);
    }
    downloadText(toCsv(['series', xLabel, 'value'], rows), fileName(title, 'csv'));
  };
  return (
    <section className="chart-card" aria-label={title} data-testid={testId} {...attributes}>
      <header className="chart-head">
        <h4 className="chart-title">{title}</h4>
        <div className="chart-tools">
          {controls}
          <button type="button" className="chart-tool" title={`Export ${title} as PNG`} aria-label={`Export ${title} as PNG`} disabled={!hasData} onClick={() => ref.current !== null && void downloadPng(ref.current, fileName(title, 'png'))}>
            PNG
          </button>
          <button type="button" className="chart-tool" title={`Export ${title} as CSV`} aria-label={`Export ${title} as CSV`} disabled={!hasData} onClick={() => void exportCsv().catch((error: unknown) => console.error(error))}>
            CSV
          </button>
        </div>
      </header>
      <div className="chart-body" ref={ref} style={{ height }}>
        {!hasData ? <p className="chart-empty">{empty ?? 'No data yet.'}</p> : <Plot lines={lines} xLabel={xLabel} logY={logY} yDomain={yDomain} />}
      </div>
    </section>
  );
});

const autoDomain: NonNullable<ChartCardProps['yDomain']> = ['auto', 'auto'];

/**
 * The points frozen, as recharts' store (immer) would freeze them itself: immer walks every value of a new state it
 * has not seen frozen, which was its costliest work (and most of its garbage) on each redraw; frozen, it skips them.
 */
function frozen(points: readonly Point[]): Point[] {
  if (!Object.isFrozen(points)) {
    for (const p of points) Object.freeze(p);
    Object.freeze(points);
  }
  return points as Point[];
}

/** The recharts part, memoised on its (memoised) lines: the card around it re-renders cheaply on every update. */
const Plot = memo(function Plot({ lines, xLabel, logY, yDomain }: { lines: readonly ChartLine[]; xLabel: string; logY: boolean; yDomain: ChartCardProps['yDomain'] }) {
  return (
    <ResponsiveContainer width="100%" height="100%" minWidth={50} debounce={50}>
      <LineChart margin={{ top: 6, right: 12, bottom: 2, left: 0 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="2 4" />
        <XAxis dataKey="x" type="number" domain={['dataMin', 'dataMax']} allowDuplicatedCategory={false} tickFormatter={formatNumber} stroke="var(--muted)" fontSize={11} tickMargin={4} />
        <YAxis type="number" scale={logY ? 'log' : 'auto'} domain={yDomain ?? autoDomain} allowDataOverflow={logY} tickFormatter={formatNumber} stroke="var(--muted)" fontSize={11} width={52} />
        <Tooltip
          isAnimationActive={false}
          formatter={(value) => (typeof value === 'number' ? formatNumber(value) : String(value))}
          labelFormatter={(label) => `${xLabel} ${typeof label === 'number' ? formatNumber(label) : String(label)}`}
          contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', fontSize: 12 }}
        />
        {lines.filter((l) => !l.hideLegend).length > 1 && <Legend verticalAlign="top" height={20} iconSize={10} wrapperStyle={{ fontSize: 11 }} />}
        {lines.map((line) => (
          <Line
            key={line.id}
            data={frozen(line.points)}
            dataKey="y"
            name={line.name}
            type="linear"
            stroke={line.color}
            strokeWidth={line.faint ? 1 : 1.8}
            strokeOpacity={line.faint ? 0.28 : 1}
            strokeDasharray={line.dashed ? '5 3' : 0}
            dot={false}
            activeDot={line.faint ? false : { r: 3 }}
            isAnimationActive={false}
            legendType={line.hideLegend ? 'none' : 'line'}
            connectNulls
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
});
