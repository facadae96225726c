// Error codes that cross process boundaries; every code names a cause and the message says what to do.
import { z } from 'zod';

export const errorCodes = [
  'E_ENGINE_LOAD', // the native addon could not be loaded in the trainer process
  'E_ENGINE_CALL', // the addon loaded but a call into it failed
  'E_TRAINER_START', // the trainer process could not be started
  'E_TRAINER_EXIT', // the trainer process exited while the host still needed it
  'E_TRAINER_TIMEOUT', // the trainer process did not answer in time
  'E_BAD_REQUEST', // a message did not match its schema
  'E_UNKNOWN_METHOD', // an Api call named a method the host does not implement
  'E_DISCONNECTED', // the renderer lost its connection to the host
  'E_FILE_NOT_FOUND', // a project file or folder does not exist
  'E_FILE_EXISTS', // "save as" would replace an existing file
  'E_FILE_IO', // reading or writing a file failed (permissions, disk full…)
  'E_PROJECT_INVALID', // a project file could not be parsed, migrated or validated
  'E_DATASET', // a dataset could not be read or does not fit the model's inputs
  'E_RUN', // a training run could not start or was asked something it cannot do
  'E_RUN_NOT_FOUND', // no run with that id
  'E_OOM', // the engine ran out of memory
  'E_CHECKPOINT', // a checkpoint could not be written or read
  'E_INTERNAL', // a bug: anything else
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export const ErrorInfoSchema = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
});

export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/** An error with a code, thrown by Api implementations and re-created on the far side of a boundary. */
export class ApiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message };
  }

  static from(info: ErrorInfo): ApiError {
    return new ApiError(info.code, info.message);
  }
}

/** Converts anything thrown into ErrorInfo, keeping ApiError codes and marking the rest internal. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof ApiError) return error.toInfo();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'E_INTERNAL', message };
}
