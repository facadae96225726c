// Shared pieces of the interop tests: where PyTorch is, running tests/fixtures/interop/torch_side.py, tensors <-> engine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../native/ts/index';
import type { TensorData, TensorDType } from '../../shared/formats/index';

export const PYTHON = process.env['NW_TORCH_PYTHON'] ?? '/usr/bin/python3';
export const TORCH_SIDE = fileURLToPath(new URL('../fixtures/interop/torch_side.py', import.meta.url));

function probe(): string | null {
  const result = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return `PyTorch is not importable by ${PYTHON} (install Debian's python3-torch, as .ci/run does): ${(result.stderr || String(result.error)).trim().split('\n').pop()}`;
  return null;
}

/** null when PyTorch is available, else why the interop tests skip. */
export const torchMissing: string | null = probe();
if (torchMissing !== null) console.warn(`SKIPPED interop tests: ${torchMissing}`);

export function python(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}): { stdout: string; stderr: string } {
  const result = spawnSync(PYTHON, args, { encoding: 'utf8', cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeout ?? 120_000 });
  if (result.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

export function fromEngine(t: Tensor): TensorData {
  const data = t.data();
  return { dtype: t.dtype as TensorDType, shape: [...t.shape], bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
}
