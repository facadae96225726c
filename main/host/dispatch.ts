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
  // Every method currently takes no parameters; when one does, switch on `method` so each call is typed.
  switch (method) {
    case 'getAppInfo':
      return api.getAppInfo();
    case 'getEngineStatus':
      return api.getEngineStatus();
    case 'restartEngine':
      return api.restartEngine();
  }
}
