// Benchmark harness: loads every workload in bench/workloads/, runs ours and the
// reference in the same process run, prints a table, then one JSON line per workload.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
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

// Environment for reference (numpy/torch) processes: OpenBLAS tuning variables that
// slow it down on this machine are dropped for that child only.
export function referenceEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
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
