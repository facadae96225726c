// Messages between the host and the trainer process (child_process.fork or Electron utilityProcess).
import { z } from 'zod';
import { EngineInfoSchema } from './engine';
import { ErrorInfoSchema } from './errors';

export const HostToTrainerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('engineInfo'), id: z.number().int().nonnegative() }),
  z.object({ type: z.literal('shutdown') }),
]);

export const TrainerToHostSchema = z.discriminatedUnion('type', [
  /** Sent once, first, when the entry has run; the engine is loaded lazily on the first request. */
  z.object({ type: z.literal('hello'), pid: z.number().int() }),
  z.object({ type: z.literal('result'), id: z.number().int(), info: EngineInfoSchema }),
  z.object({ type: z.literal('failure'), id: z.number().int(), error: ErrorInfoSchema }),
]);

export type HostToTrainer = z.infer<typeof HostToTrainerSchema>;
export type TrainerToHost = z.infer<typeof TrainerToHostSchema>;
