// Wire messages of the browser-mode WebSocket (request/response + events), validated on both ends.
import { z } from 'zod';
import { ErrorInfoSchema } from './errors';
import { apiEventNames, apiMethodNames } from './methods';

export const RpcRequestSchema = z.object({
  kind: z.literal('request'),
  id: z.number().int().nonnegative(),
  method: z.enum(apiMethodNames),
  params: z.array(z.unknown()),
});

export const RpcResponseSchema = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(false), error: ErrorInfoSchema }),
]);

export const RpcEventSchema = z.object({
  kind: z.literal('event'),
  event: z.enum(apiEventNames),
  data: z.unknown(),
});

export const RpcServerMessageSchema = z.union([RpcResponseSchema, RpcEventSchema]);

export type RpcRequest = z.infer<typeof RpcRequestSchema>;
export type RpcResponse = z.infer<typeof RpcResponseSchema>;
export type RpcEvent = z.infer<typeof RpcEventSchema>;
export type RpcServerMessage = z.infer<typeof RpcServerMessageSchema>;

/** WebSocket path of the browser-mode Api. */
export const rpcPath = '/api';
