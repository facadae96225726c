// Picks the Api implementation: window.netwright (Electron preload) or the WebSocket client (browser mode).
import type { Api } from '../../shared/api';
import { createWebSocketApi } from './wsClient';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    readonly netwright?: Api;
  }
}

export function connectApi(): Api {
  return window.netwright ?? createWebSocketApi(new URL(window.location.href));
}
