// The app shell: top bar, layer palette, canvas and engine status line, wired to the Api.
import type { Edge, Node } from '@xyflow/react';
import type { Api } from '../shared/api';
import { useAppInfo, useEngineStatus } from './api/hooks';
import { Canvas } from './canvas/Canvas';
import { Palette, type PaletteItem } from './palette/Palette';
import { TopBar } from './shell/TopBar';
import { StatusLine } from './status/StatusLine';

// Until the layer catalog (shared/layers) exists there is nothing to list.
const paletteItems: readonly PaletteItem[] = [];
const noNodes: Node[] = [];
const noEdges: Edge[] = [];

export function App({ api }: { api: Api }) {
  const appInfo = useAppInfo(api);
  const { status, restart } = useEngineStatus(api);
  return (
    <div className="app">
      <TopBar appInfo={appInfo} />
      <main className="workspace">
        <Palette items={paletteItems} />
        <Canvas nodes={noNodes} edges={noEdges} />
      </main>
      <StatusLine status={status} onRestart={restart} />
    </div>
  );
}
