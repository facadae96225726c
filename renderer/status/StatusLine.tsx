// Bottom status line: the engine's version, SIMD, threads, devices and CUDA status (its tooltip adds the CUDA GEMM
// backend), or what went wrong.
import type { EngineView } from '../api/hooks';
import { formatEngineDetails, formatEngineView } from './format';

export interface StatusLineProps {
  status: EngineView;
  onRestart: () => void;
}

export function StatusLine({ status, onRestart }: StatusLineProps) {
  const failed = status.state === 'error' || status.state === 'disconnected';
  return (
    <footer className="status-line" role="status" aria-live="polite" data-state={status.state}>
      <span className="status-dot" aria-hidden="true" />
      <span className="status-text" title={status.state === 'ready' ? formatEngineDetails(status.info) : undefined}>
        {formatEngineView(status)}
      </span>
      {status.state === 'error' && (
        <button type="button" className="status-action" onClick={onRestart}>
          Restart engine
        </button>
      )}
      {failed && <span className="visually-hidden">Engine unavailable</span>}
    </footer>
  );
}
