// Start page: new / open / new from checkpoint, recovered work, recent files and the sample gallery with graph thumbnails.
import type { RecentProject, Recovery, SampleInfo } from '../../shared/api';
import { parseProject, type Project } from '../../shared/graph';
import { layerSpec } from '../../shared/layers';

export interface StartPageProps {
  samples: readonly SampleInfo[];
  recent: readonly RecentProject[];
  recovery: Recovery | null;
  onNew: () => void;
  /** New from checkpoint… (a graph inferred from a state_dict's keys) */
  onNewFromCheckpoint?: () => void;
  onOpen: () => void;
  onOpenPath: (path: string) => void;
  onSample: (sample: SampleInfo) => void;
  onRecover: (recovery: Recovery) => void;
  onDiscardRecovery: () => void;
}

/** A small SVG of the graph: nodes as category-coloured boxes at their positions, edges as lines. */
export function Thumbnail({ project }: { project: Project }) {
  const nodes = project.graph.nodes;
  if (nodes.length === 0) return <svg className="thumbnail" viewBox="0 0 160 90" aria-hidden="true" />;
  const w = 200;
  const h = 96;
  const xs = nodes.map((node) => node.position.x);
  const ys = nodes.map((node) => node.position.y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const spanX = Math.max(...xs) - minX + w;
  const spanY = Math.max(...ys) - minY + h;
  const scale = Math.min(150 / spanX, 80 / spanY);
  const ox = (160 - spanX * scale) / 2;
  const oy = (90 - spanY * scale) / 2;
  const at = new Map(nodes.map((node) => [node.id, { x: ox + (node.position.x - minX) * scale, y: oy + (node.position.y - minY) * scale }]));
  return (
    <svg className="thumbnail" viewBox="0 0 160 90" aria-hidden="true">
      {project.graph.edges.map((edge) => {
        const a = at.get(edge.source.node);
        const b = at.get(edge.target.node);
        if (a === undefined || b === undefined) return null;
        return <line key={edge.id} x1={a.x + w * scale} y1={a.y + (h * scale) / 2} x2={b.x} y2={b.y + (h * scale) / 2} className="thumb-edge" />;
      })}
      {nodes.map((node) => {
        const p = at.get(node.id);
        if (p === undefined) return null;
        return <rect key={node.id} x={p.x} y={p.y} width={Math.max(2, w * scale)} height={Math.max(2, h * scale)} rx={Math.max(1, 6 * scale)} className={`thumb-node cat-${layerSpec(node.layer)?.category ?? 'unknown'}`} />;
      })}
    </svg>
  );
}

function sampleProject(sample: SampleInfo): Project | null {
  try {
    return parseProject(sample.text).project;
  } catch {
    return null;
  }
}

export function StartPage(props: StartPageProps) {
  const { samples, recent, recovery } = props;
  return (
    <main className="start-page" aria-label="Start page">
      <div className="start-inner">
        <section className="start-actions" aria-label="Start">
          <h2>Start</h2>
          <div className="button-row">
            <button type="button" className="primary" onClick={props.onNew}>
              New project
            </button>
            <button type="button" onClick={props.onOpen}>
              Open…
            </button>
            {props.onNewFromCheckpoint !== undefined && (
              <button type="button" onClick={props.onNewFromCheckpoint} title="A new project whose graph is inferred from a PyTorch state_dict (.mdl, .pt, .safetensors)">
                New from checkpoint…
              </button>
            )}
          </div>
          {recovery !== null && (
            <div className="recovery-card" role="group" aria-label="Unsaved work">
              <p>
                Unsaved work from {new Date(recovery.savedAt).toLocaleString()}
                {recovery.path !== null ? ` (${recovery.path})` : ''} was recovered.
              </p>
              <div className="button-row">
                <button type="button" className="primary" onClick={() => props.onRecover(recovery)}>
                  Restore unsaved work
                </button>
                <button type="button" onClick={props.onDiscardRecovery}>
                  Discard
                </button>
              </div>
            </div>
          )}
          <h2>Recent</h2>
          {recent.length === 0 ? (
            <p className="muted">No recent projects.</p>
          ) : (
            <ul className="recent-list" aria-label="Recent projects">
              {recent.map((item) => (
                <li key={item.path}>
                  <button type="button" className="recent-item" disabled={!item.exists} onClick={() => props.onOpenPath(item.path)} title={item.path} aria-label={`Open ${item.name} (${item.path})`}>
                    <span className="recent-name">{item.name}</span>
                    <span className="recent-path">{item.exists ? item.path : `${item.path} (missing)`}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="gallery" aria-label="Samples">
          <h2>Samples</h2>
          <ul className="gallery-grid">
            {samples.map((sample) => {
              const project = sampleProject(sample);
              return (
                <li key={sample.id}>
                  <button type="button" className="sample-card" onClick={() => props.onSample(sample)} aria-label={`Open sample ${sample.name}`}>
                    {project !== null && <Thumbnail project={project} />}
                    <span className="sample-name">{sample.name}</span>
                    <span className="sample-description">{sample.description}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      </div>
    </main>
  );
}
