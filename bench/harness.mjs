// Benchmark harness: loads every workload in bench/workloads/, runs ours and the
// reference in the same process run, prints a table, then one JSON line per workload.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

// Runs a command and parses the last JSON line it prints; throws with its stderr otherwise.
export function runJson(cmd, args, { env } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (r.status !== 0 || lines.length === 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
  return JSON.parse(lines[lines.length - 1]);
}

// The native benchmark driver: $NW_BENCH, the cmake-js build, or a dev build in /tmp/nwb.
export function nwBenchPath() {
  const candidates = [
    process.env.NW_BENCH,
    join(repoRoot, 'native/build/Release/nw_bench'),
    join(repoRoot, 'native/build/nw_bench'),
    '/tmp/nwb/nw_bench',
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`nw_bench not found (tried ${candidates.join(', ')}); run npm run build:native`);
  return found;
}

// Environment for reference (numpy/torch) processes: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE
// are dropped for that child only (this always wins over `extra`; see bestReferenceEnvs).
export function referenceEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

// AVX-512 core types OpenBLAS can be forced to, newest first, with the CPU flag each needs.
const AVX512_CORETYPES = [
  ['SAPPHIRERAPIDS', 'amx_tile'],
  ['COOPERLAKE', 'avx512_bf16'],
  ['SKYLAKEX', 'avx512f'],
];
const probed = new Map();

function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set((line ?? '').split(':').pop().trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

// The OpenBLAS core `python -c "import <module>"` picks under env, from OPENBLAS_VERBOSE=2
// ("Core: SkylakeX"); null when nothing loads OpenBLAS (or the import fails).
function openblasCore(python, module, env) {
  const r = spawnSync(python, ['-c', `import ${module}`], {
    encoding: 'utf8', env: { ...env, OPENBLAS_VERBOSE: '2' }, timeout: 60_000,
  });
  const m = /^Core: (\S+)/m.exec(`${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  return r.status === 0 && m ? m[1] : null;
}

// Reference variants for workloads that time numpy/torch on OpenBLAS. OpenBLAS 0.3.21
// (Debian) does not know Sapphire Rapids: with OPENBLAS_CORETYPE unset it falls back
// to its "Prescott" SSE kernels, ~5× slower than its AVX-512 ones. The product runs the
// reference with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so that is one variant;
// an honest comparison also needs the best OpenBLAS can do here, so every AVX-512 core
// type this CPU has the flags for *and* this OpenBLAS confirms (OPENBLAS_VERBOSE=2 names
// the core it picked; an unknown name falls back silently) is another.
// Returns [{ label, core, env }]: env is a full child environment (pass extra variables,
// e.g. thread counts, in `extra`), label says the configuration ("OPENBLAS_CORETYPE
// unset (Prescott)", "OPENBLAS_CORETYPE=SKYLAKEX"), core what OpenBLAS reported (null
// when `module` does not load OpenBLAS; then only the unset variant is returned).
// Usage: for (const { label, env } of bestReferenceEnvs({ OMP_NUM_THREADS: '1' }, { module: 'torch' })) ...
// and report the best run with its label as the reference name.
export function bestReferenceEnvs(extra = {}, { python = referencePython, module = 'numpy' } = {}) {
  const key = `${python}\0${module}`;
  if (!probed.has(key)) {
    const unsetCore = openblasCore(python, module, referenceEnv());
    const flags = cpuFlags();
    const forced = [];
    if (unsetCore) {
      for (const [coretype, flag] of AVX512_CORETYPES) {
        if (!flags.has(flag)) continue;
        const core = openblasCore(python, module, { ...referenceEnv(), OPENBLAS_CORETYPE: coretype });
        if (core && core.toLowerCase() === coretype.toLowerCase()) forced.push({ coretype, core });
      }
    }
    probed.set(key, { unsetCore, forced });
  }
  const { unsetCore, forced } = probed.get(key);
  return [
    { label: `OPENBLAS_CORETYPE unset${unsetCore ? ` (${unsetCore})` : ''}`, core: unsetCore, env: referenceEnv(extra) },
    ...forced.map(({ coretype, core }) => ({
      label: `OPENBLAS_CORETYPE=${coretype}`, core, env: { ...referenceEnv(extra), OPENBLAS_CORETYPE: coretype },
    })),
  ];
}

export const referencePython = process.env.NW_REFERENCE_PYTHON ?? '/usr/bin/python3';

export async function loadWorkloads() {
  const dir = join(repoRoot, 'bench/workloads');
  const files = readdirSync(dir).filter((f) => /\.m?js$/.test(f)).sort();
  const all = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    for (const w of [mod.default].flat()) {
      if (!w || typeof w.name !== 'string' || typeof w.netwright !== 'function' || typeof w.reference !== 'function')
        throw new Error(`bench/workloads/${f}: export default { name, unit, netwright(), reference() }`);
      all.push(w);
    }
  }
  return all.sort((a, b) => (a.order ?? 0) - (b.order ?? 0) || a.name.localeCompare(b.name));
}

function fmt(v) {
  return v == null ? '—' : v >= 100 ? v.toFixed(1) : v.toFixed(2);
}

// Measures each workload: ours, then the reference. A workload's run functions return
// { value, detail } ; the reference returns null value (and a note) when it is missing.
export async function runBench(names) {
  const workloads = await loadWorkloads();
  const unknown = names.filter((n) => !workloads.some((w) => w.name === n));
  if (unknown.length) {
    throw new Error(`unknown workload(s): ${unknown.join(', ')}; known: ${workloads.map((w) => w.name).join(', ')}`);
  }
  const chosen = names.length ? workloads.filter((w) => names.includes(w.name)) : workloads;
  const results = [];
  for (const w of chosen) {
    process.stderr.write(`bench: ${w.name} ...\n`);
    const ours = await w.netwright();
    let ref;
    try {
      ref = await w.reference();
    } catch (e) {
      ref = { value: null, name: 'missing', detail: String(e.message ?? e) };
    }
    const ratio = ours.value != null && ref.value ? ours.value / ref.value : null;
    results.push({ w, ours, ref, ratio });
  }
  const rows = [['workload', 'unit', 'netwright', 'reference', 'ratio', 'reference name', 'detail']];
  for (const { w, ours, ref, ratio } of results)
    rows.push([w.name, w.unit, fmt(ours.value), fmt(ref.value), ratio == null ? '—' : ratio.toFixed(2) + '×',
      ref.name ?? '', [ours.detail, ref.detail].filter(Boolean).join('; ')]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
  for (const { w, ours, ref, ratio } of results) {
    console.log(JSON.stringify({
      workload: w.name,
      unit: w.unit,
      netwright: ours.value,
      reference: ref.value,
      reference_name: ref.name ?? null,
      ratio: ratio == null ? null : Number(ratio.toFixed(4)),
    }));
  }
  return results;
}
