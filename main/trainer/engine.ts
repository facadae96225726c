// Loads the native engine through native/ts and turns load failures into coded errors that say what to do.
import type * as Native from '../../native/ts/index';
import type * as NativeModel from '../../native/ts/model';
import { ApiError, EngineInfoSchema, type EngineInfo } from '../../shared/api';

export type NativeModule = typeof Native;
export type { Model, OptimizerConfig, StepResult } from '../../native/ts/model';
type ModelModule = typeof NativeModel;

let modelModule: Promise<ModelModule> | null = null;

/** The Plan executor (Model) module, loaded with the engine. */
export async function nativeModel(): Promise<ModelModule> {
  await native();
  modelModule ??= import('../../native/ts/model');
  return modelModule;
}

let nativeModule: Promise<NativeModule> | null = null;

function describeLoadError(error: unknown): ApiError {
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const missing = code === 'MODULE_NOT_FOUND' || code === 'ENOENT' || /cannot find|no such file|not found/i.test(message);
  if (missing) {
    return new ApiError(
      'E_ENGINE_LOAD',
      `The native engine is not built (native/build/Release/netwright_native.node is missing): run \`npm run build:native\`, then restart the engine. (${message})`,
    );
  }
  return new ApiError(
    'E_ENGINE_LOAD',
    `The native engine failed to load: ${message}. Rebuild it with \`npm run build:native\`, then restart the engine.`,
  );
}

/** Imports native/ts and loads the addon once; a failure is reported, not cached, so a rebuild can be retried. */
export async function native(): Promise<NativeModule> {
  nativeModule ??= import('../../native/ts/index').then((module) => {
    module.loadEngine();
    return module;
  });
  try {
    return await nativeModule;
  } catch (error: unknown) {
    nativeModule = null;
    throw describeLoadError(error);
  }
}

/** The engine's info, validated against the shared schema so a binding change shows up here, not in the UI. */
export async function readEngineInfo(): Promise<EngineInfo> {
  const module = await native();
  let raw: unknown;
  try {
    raw = module.engineInfo();
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ApiError('E_ENGINE_CALL', `engineInfo() failed in the native engine: ${message}`);
  }
  const parsed = EngineInfoSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError('E_ENGINE_CALL', `engineInfo() returned an unexpected shape (rebuild with \`npm run build:native\`): ${parsed.error.message}`);
  }
  return parsed.data;
}
