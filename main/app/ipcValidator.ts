// Validates one IPC message from a renderer before anything handles it: channel, sender frame, method and argument
// schema. Pure (no Electron at run time), so forged senders and malformed arguments are unit-tested.
import { apiMethods, ipcChannels, isApiMethodName, type ApiMethodName, type ErrorInfo } from '../../shared/api';
import { isTrustedSender, type IpcSender } from './security';

export type ValidatedCall = { ok: true; method: ApiMethodName; params: unknown[] } | { ok: false; error: ErrorInfo };

/** Upper bound on arguments of one call (the largest parameter tuple is 3); guards against a huge array. */
const maxArgs = 8;

export function validateIpcCall(channel: string, sender: IpcSender, args: readonly unknown[]): ValidatedCall {
  if (channel !== ipcChannels.call) return refuse(`IPC on unknown channel ${JSON.stringify(channel)} was refused.`);
  if (!isTrustedSender(sender)) return refuse('IPC from an untrusted frame (not the top frame of our app:// page) was refused.');
  if (args.length !== 2) return refuse('An Api call carries exactly a method name and a parameter array.');
  const [method, params] = args;
  if (!isApiMethodName(method)) return { ok: false, error: { code: 'E_UNKNOWN_METHOD', message: `Unknown Api method ${safeName(method)}.` } };
  if (!Array.isArray(params) || params.length > maxArgs) return refuse(`Parameters of ${method} must be an array.`);
  const parsed = apiMethods[method].params.safeParse(params);
  if (!parsed.success) return refuse(`Bad parameters for ${method}: ${parsed.error.message}`);
  return { ok: true, method, params: parsed.data as unknown[] };
}

function refuse(message: string): ValidatedCall {
  return { ok: false, error: { code: 'E_BAD_REQUEST', message } };
}

function safeName(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : typeof value;
}
