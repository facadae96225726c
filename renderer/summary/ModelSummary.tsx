// Model summary: a torchinfo-like table (layer, output shape, params, trainable) with totals and estimated memory per batch.
import type { GraphAnalysis, Project } from '../../shared/graph';
import { formatShape, type Dim } from '../../shared/layers';
import { countElements, formatBytes, formatCount, nodeWeights } from '../canvas/nodeView';

export interface SummaryRow {
  id: string;
  path: string;
  title: string;
  output: string;
  params: number | null;
  trainable: boolean;
}

export interface SummaryTotals {
  params: number;
  trainable: number;
  /** float32 bytes of weights (parameters and buffers) */
  paramBytes: number;
  /** float32 bytes of every layer output for one batch (forward); training keeps them and their gradients (×2) */
  activationBytes: number;
  inputBytes: number;
  batchSize: number;
}

const perSample = (shape: readonly Dim[]): number => countElements(shape.slice(1).map((dim) => (typeof dim === 'number' ? dim : 1)));

export function summarize(project: Project, analysis: GraphAnalysis): { rows: SummaryRow[]; totals: SummaryTotals } {
  const batchSize = project.training.batchSize;
  const rows: SummaryRow[] = [];
  let params = 0;
  let trainable = 0;
  let paramBytes = 0;
  let activationBytes = 0;
  let inputBytes = 0;
  for (const id of analysis.order) {
    const info = analysis.nodes.get(id);
    if (info === undefined) continue;
    const weights = nodeWeights(info);
    const count = weights === null ? null : weights.filter((weight) => !weight.buffer).reduce((sum, weight) => sum + countElements(weight.shape), 0);
    if (weights !== null) paramBytes += weights.reduce((sum, weight) => sum + countElements(weight.shape), 0) * 4;
    if (count !== null) {
      params += count;
      trainable += count;
    }
    const outputs = Object.values(info.outputs);
    const elements = outputs.reduce((sum, output) => sum + perSample(output.shape), 0) * batchSize * 4;
    if (info.spec.category === 'input') inputBytes += elements;
    else activationBytes += elements;
    rows.push({
      id,
      path: analysis.paths.get(id) ?? id,
      title: info.spec.title,
      output: outputs.map((output) => formatShape(output.shape)).join(', ') || '?',
      params: count,
      trainable: (count ?? 0) > 0,
    });
  }
  return { rows, totals: { params, trainable, paramBytes, activationBytes, inputBytes, batchSize } };
}

export function ModelSummary({ project, analysis, onClose }: { project: Project; analysis: GraphAnalysis; onClose: () => void }) {
  const { rows, totals } = summarize(project, analysis);
  // torchinfo's estimate: input + forward/backward pass (activations and their gradients) + params.
  const forwardBackward = totals.activationBytes * 2;
  const total = totals.inputBytes + forwardBackward + totals.paramBytes;
  return (
    <section className="summary-panel" aria-label="Model summary">
      <header className="summary-header">
        <h2 className="panel-title">Model summary</h2>
        <button type="button" className="small" onClick={onClose} aria-label="Close model summary">
          ×
        </button>
      </header>
      <div className="summary-scroll">
        <table className="summary-table">
          <thead>
            <tr>
              <th scope="col">Layer (type)</th>
              <th scope="col">Output shape</th>
              <th scope="col" className="num">
                Param #
              </th>
              <th scope="col">Trainable</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <td>
                  <code>{row.path}</code> ({row.title})
                </td>
                <td>
                  <code>{row.output}</code>
                </td>
                <td className="num">{row.params === null ? '?' : row.params.toLocaleString('en-US')}</td>
                <td>{row.params === null ? '?' : row.trainable ? 'yes' : '—'}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total params</th>
              <td />
              <td className="num">{totals.params.toLocaleString('en-US')}</td>
              <td>{formatCount(totals.params)}</td>
            </tr>
            <tr>
              <th scope="row">Trainable params</th>
              <td />
              <td className="num">{totals.trainable.toLocaleString('en-US')}</td>
              <td />
            </tr>
          </tfoot>
        </table>
        <dl className="memory-list" aria-label="Estimated memory">
          <div>
            <dt>Batch size</dt>
            <dd>{totals.batchSize}</dd>
          </div>
          <div>
            <dt>Input size</dt>
            <dd>{formatBytes(totals.inputBytes)}</dd>
          </div>
          <div>
            <dt>Forward/backward pass size</dt>
            <dd>{formatBytes(forwardBackward)}</dd>
          </div>
          <div>
            <dt>Params size</dt>
            <dd>{formatBytes(totals.paramBytes)}</dd>
          </div>
          <div>
            <dt>Estimated total per batch</dt>
            <dd>{formatBytes(total)}</dd>
          </div>
        </dl>
        <p className="muted">float32; symbolic dims (T) counted as 1. Optimizer state (Adam: 2× params) is not included.</p>
      </div>
    </section>
  );
}
