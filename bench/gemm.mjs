// Shared by the sgemm-<n> workloads: square float32 GEMM throughput, ours via nw_bench,
// the reference via numpy in Debian's python3, each at its best thread count (and the
// reference at its best OpenBLAS core type, see bestReferenceEnvs in harness.mjs).
import { join } from 'node:path';
import { bestReferenceEnvs, nwBenchPath, referenceEnv, referencePython, repoRoot, runJson } from './harness.mjs';

const THREADS = [1, 2];

// Names the BLAS library numpy loaded; Debian's default is netlib's reference BLAS.
function blasName(path) {
  const base = path.split('/').pop();
  if (/openblas/i.test(path)) return `OpenBLAS ${base}`;
  if (/mkl/i.test(path)) return `MKL ${base}`;
  if (/blis/i.test(path)) return `BLIS ${base}`;
  if (/\/blas\/libblas\.so/.test(path)) return `netlib reference BLAS ${base}`;
  return base;
}

export function sgemmWorkload(n) {
  return {
    name: `sgemm-${n}`,
    unit: 'GFLOPS',
    order: n,
    netwright() {
      const bin = nwBenchPath();
      const runs = THREADS.map((t) => runJson(bin, ['sgemm', String(n), '--threads', String(t)]));
      const best = runs.reduce((a, b) => (b.gflops > a.gflops ? b : a));
      // The default policy (what training gets) is shown too, but not used for the ratio.
      const auto = runJson(bin, ['sgemm', String(n)]);
      return {
        value: best.gflops,
        detail: `ours ${runs.map((r) => `${r.threads}t ${r.gflops.toFixed(1)}`).join(', ')}, default ` +
          `${auto.gflops.toFixed(1)} [${best.level}]`,
      };
    },
    // numpy under every OpenBLAS configuration bestReferenceEnvs() offers (the product's
    // OPENBLAS_CORETYPE-unset one and each AVX-512 core type), at 1 and 2 threads; the
    // fastest of them all is the reference, named with its configuration.
    reference() {
      const script = join(repoRoot, 'bench/reference/gemm.py');
      const runs = [];
      for (const { label, env } of bestReferenceEnvs()) {
        for (const t of THREADS) {
          const threadEnv = { ...env, OPENBLAS_NUM_THREADS: String(t), OMP_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t) };
          const r = runJson(referencePython, [script, String(n)], { env: threadEnv });
          if (r.error) return { value: null, name: 'missing', detail: r.error };
          runs.push({ ...r, label, threads: t });
        }
      }
      const best = runs.reduce((a, b) => (b.gflops > a.gflops ? b : a));
      const blas = best.blas.map(blasName).join('+') || 'unknown BLAS';
      const labels = [...new Set(runs.map((r) => r.label))];
      return {
        value: best.gflops,
        name: `numpy ${best.numpy} (${blas}), ${best.label}, ${best.threads} thread${best.threads > 1 ? 's' : ''}`,
        detail: 'ref ' + labels.map((l) =>
          `${l}: ${runs.filter((r) => r.label === l).map((r) => `${r.threads}t ${r.gflops.toFixed(1)}`).join(', ')}`).join('; '),
      };
    },
  };
}

// The same product against oneDNN's JIT sgemm (a tuned AVX-512 library), since the
// numpy here may be linked to netlib's unoptimised reference BLAS. Ours runs A·Bᵀ too.
export function sgemmOnednnWorkload(n) {
  return {
    name: `sgemm-onednn-${n}`,
    unit: 'GFLOPS',
    order: n + 0.5,
    netwright() {
      const bin = nwBenchPath();
      const runs = THREADS.map((t) =>
        runJson(bin, ['sgemm-shape', String(n), String(n), String(n), '0', '1', '--threads', String(t)]));
      const best = runs.reduce((a, b) => (b.gflops > a.gflops ? b : a));
      return { value: best.gflops, detail: `ours A·Bᵀ ${runs.map((r) => `${r.threads}t ${r.gflops.toFixed(1)}`).join(', ')}` };
    },
    reference() {
      const script = join(repoRoot, 'bench/reference/onednn.py');
      const runs = [];
      for (const t of THREADS) {
        const r = runJson(referencePython, [script, String(n), String(t)], { env: referenceEnv({ OMP_NUM_THREADS: String(t) }) });
        if (r.error) return { value: null, name: 'missing', detail: r.error };
        runs.push({ ...r, threads: t });
      }
      const best = runs.reduce((a, b) => (b.gflops > a.gflops ? b : a));
      return {
        value: best.gflops,
        name: `oneDNN via torch ${best.torch} mkldnn_linear, ${best.threads} thread${best.threads > 1 ? 's' : ''}`,
        detail: `ref ${runs.map((r) => `${r.threads}t ${r.gflops.toFixed(1)}`).join(', ')}`,
      };
    },
  };
}
