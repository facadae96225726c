// The status line's text, as a pure function of the engine status (tested without a DOM).
import { describeDevice, listDevices, type EngineInfo } from '../../shared/api';
import type { EngineView } from '../api/hooks';

/** `Engine <version> · <simd> · <n> threads · devices: cpu (<name>)[, cuda:0 (<name>, <memory>, compute <cc>)] · CUDA: <status>` */
export function formatEngineInfo(info: EngineInfo): string {
  const devices = listDevices(info);
  const threads = `${info.threads} ${info.threads === 1 ? 'thread' : 'threads'}`;
  return ['Engine ' + info.version, info.simd, threads, `devices: ${devices}`, `CUDA: ${info.cudaStatus}`].join(' · ');
}

/** The status line's tooltip: the same facts one per line, with the CUDA GEMM backend in builds with CUDA. */
export function formatEngineDetails(info: EngineInfo): string {
  return [
    `Engine ${info.version} (${info.simd}, ${info.threads} ${info.threads === 1 ? 'thread' : 'threads'})`,
    ...info.devices.map((d) => `device ${describeDevice(d)}`),
    `CUDA: ${info.cudaStatus}`,
    ...(info.cudaGemm !== undefined ? [`CUDA GEMM: ${info.cudaGemm}`] : []),
  ].join('\n');
}

export function formatEngineView(view: EngineView): string {
  switch (view.state) {
    case 'starting':
      return 'Engine starting…';
    case 'ready':
      return formatEngineInfo(view.info);
    case 'error':
      return `Engine error ${view.error.code}: ${view.error.message}`;
    case 'disconnected':
      return `Not connected (${view.error.code}): ${view.error.message}`;
  }
}
