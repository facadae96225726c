// Engine information reported by the native addon, and the host's view of the engine's state.
import { z } from 'zod';
import { ErrorInfoSchema } from './errors';

export const DeviceInfoSchema = z.object({
  id: z.string(),
  kind: z.enum(['cpu', 'cuda']),
  name: z.string(),
  memoryBytes: z.number().nonnegative(),
  computeCapability: z.string().optional(),
});

export type DeviceInfo = z.infer<typeof DeviceInfoSchema>;

/** What `engineInfo()` in native/ts returns: build, SIMD level, threads, devices and the CUDA GEMM backend. */
export const EngineInfoSchema = z.object({
  version: z.string(),
  simd: z.string(),
  threads: z.number().int().nonnegative(),
  physicalCores: z.number().int().nonnegative(),
  cudaCompiled: z.boolean(),
  cudaStatus: z.string(),
  /** CUDA builds only: what runs matrix products on cuda, e.g. `cublas 12.4.5 (libcublas.so.12)` or
   * `built-in kernel (cuBLAS not found (…))` */
  cudaGemm: z.string().optional(),
  devices: z.array(DeviceInfoSchema),
});

export type EngineInfo = z.infer<typeof EngineInfoSchema>;

/** The engine as the host sees it: starting the trainer, ready with its info, or failed with a coded error. */
export const EngineStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('starting') }),
  z.object({ state: z.literal('ready'), info: EngineInfoSchema }),
  z.object({ state: z.literal('error'), error: ErrorInfoSchema }),
]);

export type EngineStatus = z.infer<typeof EngineStatusSchema>;
export type EngineState = EngineStatus['state'];
