// An in-memory Api for tests of the transports (web server, IPC dispatch) without a trainer process.
import type { Api, EngineInfo, EngineStatus } from '../../../shared/api';

export const fakeEngineInfo: EngineInfo = {
  version: '9.9.9-test',
  simd: 'avx2',
  threads: 4,
  physicalCores: 2,
  cudaCompiled: false,
  cudaStatus: 'not compiled',
  devices: [{ id: 'cpu', kind: 'cpu', name: 'Test CPU', memoryBytes: 0 }],
};

export interface FakeApi extends Api {
  emitStatus(status: EngineStatus): void;
}

export function createFakeApi(): FakeApi {
  let status: EngineStatus = { state: 'ready', info: fakeEngineInfo };
  const listeners = new Set<(data: EngineStatus) => void>();
  return {
    getAppInfo: () => Promise.resolve({ name: 'Netwright', version: '0.0.0-test', mode: 'browser', platform: 'test' }),
    getEngineStatus: () => Promise.resolve(status),
    restartEngine: () => Promise.resolve(status),
    // Project calls: tests of the project store use main/host/projects.ts directly.
    listSamples: () => Promise.resolve([]),
    newProject: () => Promise.reject(new Error('fake Api: newProject is not implemented')),
    openProject: () => Promise.reject(new Error('fake Api: openProject is not implemented')),
    saveProject: () => Promise.reject(new Error('fake Api: saveProject is not implemented')),
    saveProjectAs: () => Promise.reject(new Error('fake Api: saveProjectAs is not implemented')),
    recentProjects: () => Promise.resolve([]),
    writeRecovery: () => Promise.resolve(null),
    readRecovery: () => Promise.resolve(null),
    listDirectory: () => Promise.reject(new Error('fake Api: listDirectory is not implemented')),
    // Run calls: run tests use main/host/runs.ts and real trainer processes.
    startRun: () => Promise.reject(new Error('fake Api: startRun is not implemented')),
    previewDataset: () => Promise.reject(new Error('fake Api: previewDataset is not implemented')),
    inspectCheckpoint: () => Promise.reject(new Error('fake Api: inspectCheckpoint is not implemented')),
    graphFromCheckpoint: () => Promise.reject(new Error('fake Api: graphFromCheckpoint is not implemented')),
    exportModel: () => Promise.reject(new Error('fake Api: exportModel is not implemented')),
    pauseRun: () => Promise.reject(new Error('fake Api: pauseRun is not implemented')),
    resumeRun: () => Promise.reject(new Error('fake Api: resumeRun is not implemented')),
    stopRun: () => Promise.reject(new Error('fake Api: stopRun is not implemented')),
    listRuns: () => Promise.resolve([]),
    openRun: () => Promise.reject(new Error('fake Api: openRun is not implemented')),
    on(event, listener) {
      // Only engineStatus is ever emitted here; run events never fire.
      if (event !== 'engineStatus') return () => undefined;
      const typed = listener as (data: EngineStatus) => void;
      listeners.add(typed);
      return () => listeners.delete(typed);
    },
    emitStatus(next) {
      status = next;
      for (const listener of listeners) listener(next);
    },
  };
}
