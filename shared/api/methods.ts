// The names of every Api call and event, without schemas, so the sandboxed preload stays tiny.

export const apiMethodNames = [
  'getAppInfo',
  'getEngineStatus',
  'restartEngine',
  'listSamples',
  'newProject',
  'openProject',
  'saveProject',
  'saveProjectAs',
  'recentProjects',
  'writeRecovery',
  'readRecovery',
  'listDirectory',
  'startRun',
  'previewDataset',
  'inspectCheckpoint',
  'graphFromCheckpoint',
  'exportModel',
  'pauseRun',
  'resumeRun',
  'stopRun',
  'listRuns',
  'openRun',
] as const;
export type ApiMethodName = (typeof apiMethodNames)[number];

export const apiEventNames = ['engineStatus', 'runStatus', 'runMetrics', 'menuCommand'] as const;
export type ApiEventName = (typeof apiEventNames)[number];

export function isApiMethodName(value: unknown): value is ApiMethodName {
  return typeof value === 'string' && (apiMethodNames as readonly string[]).includes(value);
}

export function isApiEventName(value: unknown): value is ApiEventName {
  return typeof value === 'string' && (apiEventNames as readonly string[]).includes(value);
}

/** Electron IPC channels used by the preload and main/app. */
export const ipcChannels = {
  call: 'netwright:call',
  event: 'netwright:event',
  /** main → preload: a MessagePort carrying one live run's metrics straight from its trainer (desktop only). */
  metricsPort: 'netwright:metrics-port',
} as const;
