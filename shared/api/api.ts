// The Api contract: every call the renderer can make, with zod schemas for its parameters and result.
import { z } from 'zod';
import { AppInfoSchema } from './app';
import { EngineStatusSchema } from './engine';
import type { ApiEventName, ApiMethodName } from './methods';

/** One entry per call: parameter tuple and result schema. Both sides of every boundary validate with these. */
export const apiMethods = {
  /** Name, version and hosting mode of the running app. */
  getAppInfo: { params: z.tuple([]), result: AppInfoSchema },
  /** The engine's current status (cached by the host; never blocks on the trainer). */
  getEngineStatus: { params: z.tuple([]), result: EngineStatusSchema },
  /** Stops and restarts the trainer process, e.g. after `npm run build:native`; resolves with the new status. */
  restartEngine: { params: z.tuple([]), result: EngineStatusSchema },
} as const satisfies Record<ApiMethodName, { params: z.ZodTuple; result: z.ZodType }>;

/** Events the host pushes to the renderer. */
export const apiEvents = {
  /** The engine status changed (trainer started, failed or restarted). */
  engineStatus: EngineStatusSchema,
} as const satisfies Record<ApiEventName, z.ZodType>;

type Methods = typeof apiMethods;
export type ApiParams<M extends ApiMethodName> = z.infer<Methods[M]['params']>;
export type ApiResult<M extends ApiMethodName> = z.infer<Methods[M]['result']>;
export type ApiEventData<E extends ApiEventName> = z.infer<(typeof apiEvents)[E]>;

export type ApiCalls = { [M in ApiMethodName]: (...params: ApiParams<M>) => Promise<ApiResult<M>> };

export type Unsubscribe = () => void;

/** The whole contract: implemented by main/host, and on the renderer side by the preload (IPC) or the WebSocket client. */
export interface Api extends ApiCalls {
  on<E extends ApiEventName>(event: E, listener: (data: ApiEventData<E>) => void): Unsubscribe;
}
