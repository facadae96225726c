// CLI output: the engine status as the `netwright info` command prints it.
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../main/cli/format';
import { fakeEngineInfo } from './helpers/fakeApi';

describe('netwright info', () => {
  it('prints version, SIMD, threads, CUDA status and devices', () => {
    const text = formatStatus({ state: 'ready', info: { ...fakeEngineInfo, devices: [{ id: 'cpu', kind: 'cpu', name: 'Test CPU', memoryBytes: 2 ** 31 }] } });
    expect(text.split('\n')).toEqual([
      'Engine 9.9.9-test',
      '  SIMD: avx2',
      '  threads: 4 (physical cores: 2)',
      '  CUDA: not compiled',
      'Devices:',
      '  cpu      cpu   Test CPU (2.0 GiB)',
    ]);
  });

  it('prints errors with their code', () => {
    expect(formatStatus({ state: 'error', error: { code: 'E_ENGINE_LOAD', message: 'run `npm run build:native`' } })).toBe(
      'Engine error E_ENGINE_LOAD: run `npm run build:native`',
    );
  });
});
