// Devices as the product names them: parsing 'cpu' / 'cuda' / 'cuda:N', describing a device for the status line and
// messages, and choosing a run's device (auto, cpu, cuda:N) with an error that names what this machine has.
import type { DeviceInfo, EngineInfo } from './engine';

/** 'cpu' or 'cuda:N' (the engine's spelling); 'cuda' alone means cuda:0, as in PyTorch. */
export type DeviceName = 'cpu' | `cuda:${number}`;

export type DeviceParse = { ok: true; device: DeviceName } | { ok: false; message: string };

/** Parses a device string; anything but cpu, cuda or cuda:N is refused with what to write instead. */
export function parseDeviceName(text: string): DeviceParse {
  if (typeof text !== 'string') return { ok: false, message: `a device must be a string such as 'cpu' or 'cuda:0', got ${String(text)}` };
  const t = text.trim();
  if (t === 'cpu') return { ok: true, device: 'cpu' };
  if (t === 'cuda') return { ok: true, device: 'cuda:0' };
  const m = /^cuda:(\d{1,3})$/.exec(t);
  if (m) return { ok: true, device: `cuda:${Number(m[1])}` };
  return { ok: false, message: `unknown device '${text}': use cpu, cuda or cuda:N (N = 0, 1, …)` };
}

function formatMemory(bytes: number): string {
  if (!(bytes >= 2 ** 20)) return '';
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${gib >= 100 ? gib.toFixed(0) : gib.toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** `cpu (Intel Xeon)` or `cuda:0 (NVIDIA H200, 139.8 GiB, compute 9.0)`. */
export function describeDevice(device: DeviceInfo): string {
  if (device.kind === 'cpu') return `${device.id} (${device.name})`;
  const parts = [device.name, formatMemory(device.memoryBytes), device.computeCapability ? `compute ${device.computeCapability}` : ''].filter((p) => p !== '');
  return `${device.id} (${parts.join(', ')})`;
}

/** What this machine has, for messages: `cpu (…), cuda:0 (…)`. */
export function listDevices(info: Pick<EngineInfo, 'devices'>): string {
  return info.devices.length ? info.devices.map(describeDevice).join(', ') : 'none';
}

/** Why `device` cannot be used here, naming the devices that can; null when it exists. */
export function deviceUnavailable(
  device: DeviceName,
  info: Pick<EngineInfo, 'devices' | 'cudaStatus'>,
  advice = 'Choose one of them (or auto) in the training settings.',
): string | null {
  if (info.devices.some((d) => d.id === device)) return null;
  const cudas = info.devices.filter((d) => d.kind === 'cuda');
  const why = cudas.length === 0
    ? `this machine has no usable CUDA device (CUDA: ${info.cudaStatus})`
    : `this machine has ${cudas.length} CUDA device${cudas.length === 1 ? '' : 's'} (${cudas.map((d) => d.id).join(', ')})`;
  return `device ${device} is not available: ${why}. Available devices: ${listDevices(info)}. ${advice}`;
}

/** The device settings a run accepts: auto, cpu, cuda (= cuda:0) or cuda:N. */
export type DeviceSetting = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

export type DeviceChoice = { ok: true; device: DeviceName; reason: string } | { ok: false; message: string };

/**
 * A device setting as typed (a command line's --device): auto, or what parseDeviceName takes ('cuda' = cuda:0);
 * anything else is refused with what to write. Whether the device exists is chooseDevice's question.
 */
export function parseDeviceSetting(text: string): { ok: true; setting: 'auto' | DeviceName } | { ok: false; message: string } {
  if (typeof text === 'string' && text.trim() === 'auto') return { ok: true, setting: 'auto' };
  const parsed = parseDeviceName(text);
  if (parsed.ok) return { ok: true, setting: parsed.device };
  return { ok: false, message: `unknown device '${text}': use auto, cpu, cuda or cuda:N (N = 0, 1, …)` };
}

/**
 * A run's device. `auto` takes cuda:0 when it exists and runs every op of the model, else the CPU; cpu and cuda:N
 * are taken as asked or refused with a message naming the available devices (or the ops cuda cannot run).
 * `unsupported(device)` lists the model's ops that device has no implementation of.
 */
export function chooseDevice(
  setting: string,
  info: Pick<EngineInfo, 'devices' | 'cudaStatus'>,
  unsupported: (device: DeviceName) => string[] = () => [],
): DeviceChoice {
  if (setting === 'auto') {
    const gpu = info.devices.find((d) => d.kind === 'cuda');
    if (gpu === undefined) return { ok: true, device: 'cpu', reason: `auto: no CUDA device (${info.cudaStatus})` };
    const id = gpu.id as DeviceName;
    const missing = unsupported(id);
    if (missing.length) return { ok: true, device: 'cpu', reason: `auto: ${id} has no kernel for ${missing.join(', ')}` };
    return { ok: true, device: id, reason: `auto: ${describeDevice(gpu)}` };
  }
  const parsed = parseDeviceName(setting);
  if (!parsed.ok) return parsed;
  const device = parsed.device;
  if (device === 'cpu') return { ok: true, device, reason: 'cpu' };
  const why = deviceUnavailable(device, info);
  if (why !== null) return { ok: false, message: why };
  const missing = unsupported(device);
  if (missing.length) {
    return { ok: false, message: `this model uses op${missing.length === 1 ? '' : 's'} ${missing.join(', ')} that ${device} cannot run in this build; train on cpu (or auto)` };
  }
  const gpu = info.devices.find((d) => d.id === device)!;
  return { ok: true, device, reason: describeDevice(gpu) };
}
