// Devices: choosing a run's device (auto/cpu/cuda:N) with errors that name what the machine has, the settings panel's
// device list and check, the engine API's device arguments and errors (cuda without a device), supports(), and model
// state that is device-independent (CPU copies out, any device in). Runs without a GPU; on a machine with one the
// cuda-only checks run too.
import { describe, expect, it } from 'vitest';
import { chooseDevice, describeDevice, parseDeviceName, parseDeviceSetting, type EngineInfo } from '../../shared/api';
import { defaultTraining } from '../../shared/graph';
import { deviceHint, deviceOptions } from '../../renderer/settings/TrainingSettings';
import { checkTraining } from '../../renderer/settings/validate';
import { formatEngineDetails, formatEngineInfo } from '../../renderer/status/format';
import * as nw from '../../native/ts/index';
import { Model } from '../../native/ts/model';
import { linearMsePlan } from './helpers/plans';

const cpuOnly: Pick<EngineInfo, 'devices' | 'cudaStatus'> = {
  cudaStatus: 'no CUDA device',
  devices: [{ id: 'cpu', kind: 'cpu', name: 'Test CPU', memoryBytes: 8 * 2 ** 30 }],
};
const oneGpu: Pick<EngineInfo, 'devices' | 'cudaStatus'> = {
  cudaStatus: '1 device',
  devices: [...cpuOnly.devices, { id: 'cuda:0', kind: 'cuda', name: 'NVIDIA H200', memoryBytes: 150_000_000_000, computeCapability: '9.0' }],
};

describe('choosing a device', () => {
  it('parses cpu, cuda and cuda:N and refuses anything else with what to write', () => {
    expect(parseDeviceName('cpu')).toEqual({ ok: true, device: 'cpu' });
    expect(parseDeviceName('cuda')).toEqual({ ok: true, device: 'cuda:0' });
    expect(parseDeviceName('cuda:3')).toEqual({ ok: true, device: 'cuda:3' });
    for (const bad of ['gpu', 'cuda:', 'cuda:x', 'CUDA:0', 'cuda:-1', 'cpu:0', '']) {
      const r = parseDeviceName(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/use cpu, cuda or cuda:N/);
    }
  });

  it('a device setting (a command line\'s --device) is auto or a device name, else what to write', () => {
    expect(parseDeviceSetting('auto')).toEqual({ ok: true, setting: 'auto' });
    expect(parseDeviceSetting('cuda')).toEqual({ ok: true, setting: 'cuda:0' });
    expect(parseDeviceSetting(' cpu ')).toEqual({ ok: true, setting: 'cpu' });
    expect(parseDeviceSetting('cuda:2')).toEqual({ ok: true, setting: 'cuda:2' });
    for (const bad of ['gpu', 'cuda:x', 'AUTO', '']) {
      const r = parseDeviceSetting(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toBe(`unknown device '${bad}': use auto, cpu, cuda or cuda:N (N = 0, 1, …)`);
    }
  });

  it('describes devices with name, memory and compute capability', () => {
    expect(describeDevice(oneGpu.devices[1]!)).toBe('cuda:0 (NVIDIA H200, 140 GiB, compute 9.0)');
    expect(describeDevice(oneGpu.devices[0]!)).toBe('cpu (Test CPU)');
  });

  it('auto takes cuda:0 when it exists and runs every op, else the CPU', () => {
    expect(chooseDevice('auto', cpuOnly)).toMatchObject({ ok: true, device: 'cpu' });
    expect(chooseDevice('auto', oneGpu)).toMatchObject({ ok: true, device: 'cuda:0' });
    const partial = chooseDevice('auto', oneGpu, () => ['lstm']);
    expect(partial).toMatchObject({ ok: true, device: 'cpu' });
    if (partial.ok) expect(partial.reason).toMatch(/cuda:0 has no kernel for lstm/);
  });

  it('a cuda device this machine lacks is refused, naming the available devices', () => {
    const none = chooseDevice('cuda', cpuOnly);
    expect(none.ok).toBe(false);
    if (!none.ok) {
      expect(none.message).toMatch(/^device cuda:0 is not available: this machine has no usable CUDA device \(CUDA: no CUDA device\)/);
      expect(none.message).toContain('Available devices: cpu (Test CPU)');
    }
    const second = chooseDevice('cuda:1', oneGpu);
    expect(second.ok).toBe(false);
    if (!second.ok) {
      expect(second.message).toContain('this machine has 1 CUDA device (cuda:0)');
      expect(second.message).toContain('cuda:0 (NVIDIA H200, 140 GiB, compute 9.0)');
    }
    expect(chooseDevice('cuda:0', oneGpu)).toMatchObject({ ok: true, device: 'cuda:0' });
    expect(chooseDevice('cpu', oneGpu)).toMatchObject({ ok: true, device: 'cpu' });
    const ops = chooseDevice('cuda:0', oneGpu, () => ['lstm', 'gru']);
    expect(ops.ok).toBe(false);
    if (!ops.ok) expect(ops.message).toMatch(/ops lstm, gru that cuda:0 cannot run in this build; train on cpu/);
    expect(chooseDevice('tpu', oneGpu).ok).toBe(false);
  });

  it('the settings panel lists this machine\'s devices and flags a missing one as an error', () => {
    expect(deviceOptions('auto', oneGpu as EngineInfo).map(([v]) => v)).toEqual(['auto', 'cpu', 'cuda:0']);
    expect(deviceOptions('auto', cpuOnly as EngineInfo).map(([v]) => v)).toEqual(['auto', 'cpu']);
    expect(deviceOptions('cuda:2', oneGpu as EngineInfo).map(([v]) => v)).toEqual(['auto', 'cpu', 'cuda:0', 'cuda:2']);
    const t = { ...defaultTraining(), device: 'cuda:0' };
    const issues = checkTraining(t, cpuOnly);
    expect(issues).toContainEqual(expect.objectContaining({ field: 'device', severity: 'error', message: expect.stringContaining('Available devices: cpu') }));
    expect(checkTraining(t, oneGpu).filter((i) => i.field === 'device')).toEqual([]);
    // Without the engine's info (starting), nothing is claimed about devices.
    expect(checkTraining(t, null).filter((i) => i.field === 'device')).toEqual([]);
    // The schema takes cuda:N and refuses other spellings.
    expect(checkTraining({ ...defaultTraining(), device: 'gpu0' }).some((i) => i.field === 'device' && i.severity === 'error')).toBe(true);
  });

  it('the status line names each device with its memory and compute capability', () => {
    const info = { version: '1.0.0', simd: 'avx2', threads: 4, physicalCores: 4, cudaCompiled: true, ...oneGpu };
    expect(formatEngineInfo(info)).toContain('devices: cpu (Test CPU), cuda:0 (NVIDIA H200, 140 GiB, compute 9.0)');
  });

  it('the CUDA GEMM backend shows in the status line\'s tooltip and under the settings\' device list', () => {
    const base = { version: '1.0.0', simd: 'avx2', threads: 4, physicalCores: 4, cudaCompiled: true };
    const gpu = { ...base, ...oneGpu, cudaGemm: 'cublas 12.4.5 (libcublas.so.12)' };
    expect(formatEngineDetails(gpu).split('\n')).toEqual([
      'Engine 1.0.0 (avx2, 4 threads)',
      'device cpu (Test CPU)',
      'device cuda:0 (NVIDIA H200, 140 GiB, compute 9.0)',
      'CUDA: 1 device',
      'CUDA GEMM: cublas 12.4.5 (libcublas.so.12)',
    ]);
    expect(deviceHint(gpu)).toBe('GEMM on cuda: cublas 12.4.5 (libcublas.so.12)');
    // A build without CUDA reports no backend; a machine without a GPU has nothing to say it about in the settings.
    expect(formatEngineDetails({ ...base, ...cpuOnly, cudaCompiled: false })).not.toContain('GEMM');
    expect(deviceHint({ ...base, ...cpuOnly, cudaGemm: 'built-in kernel (cuBLAS not found (…))' })).toBeUndefined();
    expect(deviceHint(null)).toBeUndefined();
  });
});

const info = nw.engineInfo();
const gpu = info.devices.find((d) => d.kind === 'cuda')?.id ?? null;

describe('engine API: devices', () => {
  it('supports() answers per op and device, and lists every op on the CPU', () => {
    const names = nw.opTable().map((o) => o.name);
    expect(nw.supportedOps('cpu')).toEqual(names);
    expect(nw.supports('relu', 'cpu')).toBe(true);
    expect(() => nw.supports('no_such_op', 'cpu')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_OP' }));
    expect(() => nw.supports('relu', 'gpu')).toThrow(expect.objectContaining({ code: 'E_DEVICE' }));
    const onCuda = nw.supportedOps('cuda:0');
    expect(onCuda.every((n) => names.includes(n))).toBe(true);
    if (info.cudaCompiled) expect(onCuda).toContain('relu');
    else expect(onCuda).toEqual([]);
    // to_device moves data between devices in any build with CUDA.
    expect(nw.supports('to_device', 'cuda:0')).toBe(info.cudaCompiled);
    // Composite ops are claimed where all their parts run (stack: unsqueeze + cat), so auto never picks a device
    // that fails halfway through a model.
    expect(nw.supports('stack', 'cuda:0')).toBe(nw.supports('unsqueeze', 'cuda:0') && nw.supports('cat', 'cuda:0'));
    expect(nw.supports('stack', 'cpu')).toBe(true);
  });

  it('engine info names the CUDA GEMM backend in builds with CUDA, and only there', () => {
    if (info.cudaCompiled) expect(info.cudaGemm).toMatch(/^(cublas|built-in kernel) /);
    else expect(info.cudaGemm).toBeUndefined();
  });

  it('bad device strings are refused in TypeScript with what to write', () => {
    for (const bad of ['gpu', 'cuda:x', 'cuda0']) {
      expect(() => nw.zeros([2], { device: bad })).toThrow(expect.objectContaining({ code: 'E_DEVICE', message: expect.stringMatching(/use cpu, cuda or cuda:N/) }));
    }
    expect(() => nw.ones([2]).to('gpu')).toThrow(expect.objectContaining({ code: 'E_DEVICE' }));
    expect(nw.checkDevice('cpu')).toBe('cpu');
    expect(nw.zeros([2], { device: 'cpu', dtype: 'float64' }).dtype).toBe('float64');
    expect(nw.ones([2]).to('float64').dtype).toBe('float64');
    expect(nw.ones([2]).to('cpu').device).toBe('cpu');
  });

  it.skipIf(gpu !== null)('cuda without a device is a clear E_DEVICE error naming the available devices', () => {
    const checks: (() => unknown)[] = [
      () => nw.zeros([2, 3], { device: 'cuda:0' }),
      () => nw.randn([2], { device: 'cuda' }),
      () => nw.tensor([1, 2, 3], { device: 'cuda:0' }),
      () => nw.ones([2]).to('cuda:0'),
      () => nw.ones([2]).cuda(),
      () => nw.cudaMemoryStats('cuda:0'),
      () => nw.emptyCache('cuda:0'),
      () => new Model(linearMsePlan('float32'), { device: 'cuda:0' }),
    ];
    for (const check of checks) {
      expect(check).toThrow(expect.objectContaining({ code: 'E_DEVICE', message: expect.stringContaining('device cuda:0 is not available') }));
      expect(check).toThrow(/Available devices: cpu \(/);
    }
    expect(() => nw.cudaMemoryStats('cpu')).toThrow(/needs a CUDA device/);
  });

  it.skipIf(gpu === null)('tensors move to cuda and back, creation takes a device, memory stats count them', () => {
    const x = nw.tensor([[1, 2], [3, 4]], { dtype: 'float32', device: gpu! });
    expect(x.device).toBe(gpu);
    expect(x.toArray()).toEqual([1, 2, 3, 4]);
    const y = nw.ones([2, 2]).to(gpu!);
    expect(y.device).toBe(gpu);
    expect(y.cpu().toArray()).toEqual([1, 1, 1, 1]);
    nw.manualSeed(5);
    const a = nw.randn([16]).toArray();
    nw.manualSeed(5);
    expect(nw.randn([16], { device: gpu! }).toArray()).toEqual(a);
    expect(nw.zerosLike(x).device).toBe(gpu);
    const stats = nw.cudaMemoryStats(gpu!);
    expect(stats.inUse).toBeGreaterThan(0);
    expect(stats.deviceTotal).toBeGreaterThan(stats.deviceFree);
    nw.synchronize(gpu!);
    nw.emptyCache(gpu!);
  });
});

function xy(): { x: nw.Tensor; y: nw.Tensor } {
  const x = nw.tensor(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), { shape: [8, 4] });
  const y = nw.tensor(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), { shape: [8, 3] });
  return { x, y };
}

describe('model state is device-independent', () => {
  it('exports CPU copies and loads them into another model; optimizer state round-trips', async () => {
    nw.manualSeed(11);
    const a = new Model(linearMsePlan('float32'), { device: 'cpu' });
    expect(a.device).toBe('cpu');
    a.configureOptimizer({ kind: 'adam', lr: 0.01, amsgrad: true });
    const { x, y } = xy();
    for (let i = 0; i < 3; i += 1) await a.trainStep([x], [y], { clipNorm: 1, clipNormType: Infinity });
    const exported = a.stateDict({ device: 'cpu' });
    const opt = a.optimizerState()!;
    expect([...exported.values()].every((t) => t.device === 'cpu')).toBe(true);
    expect(Object.keys(opt[0]!.buffers).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    // The export is a copy: changing it leaves the model alone.
    const w = exported.get('fc.weight')!;
    const before = a.stateDict().get('fc.weight')!.toArray();
    const zero = nw.zeros([3, 4]);
    w.handle.copyFrom(zero.handle);
    expect(a.stateDict().get('fc.weight')!.toArray()).toEqual(before);

    nw.manualSeed(99);
    const b = new Model(linearMsePlan('float32'));
    b.configureOptimizer({ kind: 'adam', lr: 0.01, amsgrad: true });
    b.loadStateDict(a.stateDict({ device: 'cpu' }));
    b.setOptimizerState(opt);
    for (const [k, t] of a.stateDict()) expect(b.stateDict().get(k)!.toArray()).toEqual(t.toArray());
    const ra = await a.trainStep([x], [y]);
    const rb = await b.trainStep([x], [y]);
    expect(rb.loss).toBe(ra.loss);
    for (const [k, t] of a.stateDict()) expect(b.stateDict().get(k)!.toArray()).toEqual(t.toArray());
    a.dispose();
    b.dispose();
  });

  it('prefetch is accepted on the CPU and changes nothing', async () => {
    const run = async (prefetch: boolean): Promise<number[]> => {
      nw.manualSeed(4);
      const m = new Model(linearMsePlan('float32'));
      m.configureOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9 });
      const { x, y } = xy();
      if (prefetch) m.prefetch([x], [y]);
      await m.trainStep([x], [y]);
      const w = m.stateDict().get('fc.weight')!.toArray();
      m.dispose();
      return w;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('inputs on another device than the model are refused with E_DEVICE (checked before the engine)', () => {
    const m = new Model(linearMsePlan('float32'));
    const fake = { dtype: 'float32', shape: [8, 4], device: 'cuda:0', handle: {} } as unknown as nw.Tensor;
    expect(() => m.trainStep([fake], [xy().y])).toThrow(expect.objectContaining({ code: 'E_DEVICE', message: expect.stringContaining("input 'x' is on cuda:0 but the model is on cpu") }));
    m.dispose();
  });

  it.skipIf(gpu === null)('a model trained on cuda matches the CPU and its checkpoint loads on the CPU', async () => {
    if (!nw.supports('linear', gpu!) || !nw.supports('mse_loss', gpu!)) return;
    nw.manualSeed(21);
    const c = new Model(linearMsePlan('float32'));
    nw.manualSeed(21);
    const g = new Model(linearMsePlan('float32'), { device: gpu! });
    for (const [k, t] of c.stateDict()) expect(g.stateDict({ device: 'cpu' }).get(k)!.toArray()).toEqual(t.toArray());
    for (const m of [c, g]) m.configureOptimizer({ kind: 'rmsprop', lr: 0.01, momentum: 0.5, centered: true });
    for (let i = 0; i < 4; i += 1) {
      const { x, y } = xy();
      g.prefetch([x], [y]);
      const [rc, rg] = [await c.trainStep([x], [y], { paramStats: true }), await g.trainStep([x], [y], { paramStats: true })];
      expect(Math.abs(rg.loss - rc.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(rc.loss)));
    }
    const back = new Model(linearMsePlan('float32'));
    back.configureOptimizer({ kind: 'rmsprop', lr: 0.01, momentum: 0.5, centered: true });
    back.loadStateDict(g.stateDict({ device: 'cpu' }));
    back.setOptimizerState(g.optimizerState()!);
    for (const [k, t] of g.stateDict()) expect(back.stateDict().get(k)!.toArray()).toEqual(t.toArray());
    for (const m of [c, g, back]) m.dispose();
  });
});
