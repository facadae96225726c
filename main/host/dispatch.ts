// Validates an untrusted (method, params) pair against the Api schemas and calls the Api with it.
import { ApiError, apiMethods, isApiMethodName, type Api } from '../../shared/api';

/** Used by the web server (WebSocket) and the Electron main (IPC): both receive untrusted calls. */
export async function dispatchCall(api: Api, method: unknown, params: unknown): Promise<unknown> {
  if (!isApiMethodName(method)) {
    throw new ApiError('E_UNKNOWN_METHOD', `Unknown Api method ${JSON.stringify(method)}.`);
  }
  const parsed = apiMethods[method].params.safeParse(params);
  if (!parsed.success) {
    throw new ApiError('E_BAD_REQUEST', `Bad parameters for ${method}: ${parsed.error.message}`);
  }
  // Each case spreads the validated tuple, typed as that method's own parameters.
  const data: unknown[] = parsed.data;
  switch (method) {
    case 'getAppInfo':
      return api.getAppInfo();
    case 'getEngineStatus':
      return api.getEngineStatus();
    case 'restartEngine':
      return api.restartEngine();
    case 'listSamples':
      return api.listSamples();
    case 'newProject':
      return api.newProject();
    case 'openProject':
      return api.openProject(...(data as Parameters<Api['openProject']>));
    case 'saveProject':
      return api.saveProject(...(data as Parameters<Api['saveProject']>));
    case 'saveProjectAs':
      return api.saveProjectAs(...(data as Parameters<Api['saveProjectAs']>));
    case 'recentProjects':
      return api.recentProjects();
    case 'writeRecovery':
      return api.writeRecovery(...(data as Parameters<Api['writeRecovery']>));
    case 'readRecovery':
      return api.readRecovery();
    case 'listDirectory':
      return api.listDirectory(...(data as Parameters<Api['listDirectory']>));
    case 'startRun':
      return api.startRun(...(data as Parameters<Api['startRun']>));
    case 'previewDataset':
      return api.previewDataset(...(data as Parameters<Api['previewDataset']>));
    case 'inspectCheckpoint':
      return api.inspectCheckpoint(...(data as Parameters<Api['inspectCheckpoint']>));
    case 'graphFromCheckpoint':
      return api.graphFromCheckpoint(...(data as Parameters<Api['graphFromCheckpoint']>));
    case 'exportModel':
      return api.exportModel(...(data as Parameters<Api['exportModel']>));
    case 'pauseRun':
      return api.pauseRun(...(data as Parameters<Api['pauseRun']>));
    case 'resumeRun':
      return api.resumeRun(...(data as Parameters<Api['resumeRun']>));
    case 'stopRun':
      return api.stopRun(...(data as Parameters<Api['stopRun']>));
    case 'listRuns':
      return api.listRuns();
    case 'openRun':
      return api.openRun(...(data as Parameters<Api['openRun']>));
  }
}
