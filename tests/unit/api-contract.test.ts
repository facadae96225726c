// The Api contract: method/event name lists match the schema tables, and the schemas accept and reject what they should.
import { describe, expect, it } from 'vitest';
import {
  apiEventNames,
  apiEvents,
  apiMethodNames,
  apiMethods,
  EngineStatusSchema,
  HostToTrainerSchema,
  RpcRequestSchema,
  TrainerToHostSchema,
} from '../../shared/api';
import { dispatchCall } from '../../main/host';
import { createFakeApi, fakeEngineInfo } from './helpers/fakeApi';

describe('Api contract', () => {
  it('lists exactly the methods and events that have schemas', () => {
    expect([...apiMethodNames].sort()).toEqual(Object.keys(apiMethods).sort());
    expect([...apiEventNames].sort()).toEqual(Object.keys(apiEvents).sort());
  });

  it('validates engine statuses', () => {
    expect(EngineStatusSchema.parse({ state: 'ready', info: fakeEngineInfo })).toEqual({ state: 'ready', info: fakeEngineInfo });
    expect(EngineStatusSchema.safeParse({ state: 'ready' }).success).toBe(false);
    expect(EngineStatusSchema.safeParse({ state: 'error', error: { code: 'E_NOPE', message: '' } }).success).toBe(false);
    const cuda = { ...fakeEngineInfo, devices: [{ id: 'cuda:0', kind: 'cuda', name: 'GPU', memoryBytes: 1, computeCapability: '9.0' }] };
    expect(EngineStatusSchema.safeParse({ state: 'ready', info: cuda }).success).toBe(true);
  });

  it('validates wire messages', () => {
    expect(RpcRequestSchema.safeParse({ kind: 'request', id: 1, method: 'getEngineStatus', params: [] }).success).toBe(true);
    expect(RpcRequestSchema.safeParse({ kind: 'request', id: -1, method: 'getEngineStatus', params: [] }).success).toBe(false);
    expect(HostToTrainerSchema.safeParse({ type: 'engineInfo', id: 3 }).success).toBe(true);
    expect(TrainerToHostSchema.safeParse({ type: 'result', id: 3, info: { version: 1 } }).success).toBe(false);
  });

  it('dispatches validated calls and refuses the rest with codes', async () => {
    const api = createFakeApi();
    await expect(dispatchCall(api, 'getEngineStatus', [])).resolves.toEqual({ state: 'ready', info: fakeEngineInfo });
    await expect(dispatchCall(api, 'toString', [])).rejects.toMatchObject({ code: 'E_UNKNOWN_METHOD' });
    await expect(dispatchCall(api, 'getEngineStatus', [1])).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await expect(dispatchCall(api, 'getEngineStatus', 'x')).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
  });
});
