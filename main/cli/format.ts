// Plain-text rendering of the engine status for the terminal.
import type { EngineStatus } from '../../shared/api';

export function formatStatus(status: EngineStatus): string {
  switch (status.state) {
    case 'starting':
      return 'Engine: starting';
    case 'error':
      return `Engine error ${status.error.code}: ${status.error.message}`;
    case 'ready': {
      const { info } = status;
      const devices = info.devices.map((d) => `  ${d.id.padEnd(8)} ${d.kind.padEnd(5)} ${d.name}${d.memoryBytes > 0 ? ` (${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB)` : ''}`);
      return [
        `Engine ${info.version}`,
        `  SIMD: ${info.simd}`,
        `  threads: ${info.threads} (physical cores: ${info.physicalCores})`,
        `  CUDA: ${info.cudaStatus}`,
        ...(info.cudaGemm !== undefined ? [`  CUDA GEMM: ${info.cudaGemm}`] : []),
        'Devices:',
        ...devices,
      ].join('\n');
    }
  }
}
