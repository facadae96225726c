// The status line's text, as a pure function of the engine status (tested without a DOM).
import { listDevices, type EngineInfo } from '../../shared/api';
import type { EngineView } from '../api/hooks';

/** `Engine <version> · <simd> · <n> threads · devices: cpu (<name>)[, cuda:0 (<name>, <memory>, compute <cc>)] · CUDA: <status>` */
export function formatEngineInfo(info: EngineInfo): string {
  const devices = listDevices(info);
  const threads = `${info.threads} ${info.threads === 1 ? 'thread' : 'threads'}`;
  return ['Engine ' + info.version, info.simd, threads, `devices: ${devices}`, `CUDA: ${info.cudaStatus}`].join(' · ');
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
