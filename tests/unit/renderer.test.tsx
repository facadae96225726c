// Renderer pieces without a browser: the status line text and the palette's empty and filled states.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Palette } from '../../renderer/palette/Palette';
import { StatusLine } from '../../renderer/status/StatusLine';
import { formatEngineInfo, formatEngineView } from '../../renderer/status/format';
import { fakeEngineInfo } from './helpers/fakeApi';

describe('status line', () => {
  it('formats the engine info as specified', () => {
    const info = {
      ...fakeEngineInfo,
      cudaCompiled: true,
      cudaStatus: '1 device',
      devices: [...fakeEngineInfo.devices, { id: 'cuda:0', kind: 'cuda' as const, name: 'NVIDIA H200', memoryBytes: 1 }],
    };
    expect(formatEngineInfo(info)).toBe(
      'Engine 9.9.9-test · avx2 · 4 threads · devices: cpu (Test CPU), cuda:0 (NVIDIA H200) · CUDA: 1 device',
    );
  });

  it('shows errors with their code and offers a restart', () => {
    const status = { state: 'error' as const, error: { code: 'E_ENGINE_LOAD' as const, message: 'run `npm run build:native`' } };
    expect(formatEngineView(status)).toBe('Engine error E_ENGINE_LOAD: run `npm run build:native`');
    const html = renderToStaticMarkup(<StatusLine status={status} onRestart={() => undefined} />);
    expect(html).toContain('role="status"');
    expect(html).toContain('Restart engine');
  });
});

describe('palette', () => {
  it('shows an empty state when there are no layers', () => {
    const html = renderToStaticMarkup(<Palette items={[]} />);
    expect(html).toContain('aria-label="Layer palette"');
    expect(html).toContain('No layers yet');
  });

  it('groups items by category', () => {
    const html = renderToStaticMarkup(
      <Palette
        items={[
          { id: 'linear', title: 'Linear', category: 'Dense' },
          { id: 'conv2d', title: 'Conv2d', category: 'Convolution' },
          { id: 'bilinear', title: 'Bilinear', category: 'Dense' },
        ]}
      />,
    );
    expect(html).not.toContain('No layers yet');
    expect(html.indexOf('Linear')).toBeLessThan(html.indexOf('Bilinear'));
    expect(html.indexOf('Bilinear')).toBeLessThan(html.indexOf('Conv2d'));
  });
});
