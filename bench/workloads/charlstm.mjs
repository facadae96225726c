// Char-level LSTM language model (Embedding 96→64, LSTM 64→256 ×2, Linear 256→96; seq 64,
// batch 32, Adam 2e-3, clip_grad_norm 1.0) on a text Debian ships: training tokens/s of
// ours vs PyTorch, each at its best thread count (1 or 2) and, for PyTorch, OpenBLAS
// configuration; both print their loss curves (same data order, same hyperparameters).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { referenceEnv, referencePython, repoRoot, runJson } from '../harness.mjs';

const TEXT = process.env.NW_CHARLSTM_TEXT ?? '/usr/share/common-licenses/GPL-3';
const STEPS = Number(process.env.NW_CHARLSTM_STEPS ?? 40);
const THREADS = [1, 2];

function needText() {
  if (!existsSync(TEXT)) throw new Error(`${TEXT} not found: set NW_CHARLSTM_TEXT to any ASCII text file`);
}

// Loss at steps 0, 10, 20, … and the last one.
function curve(losses) {
  return losses.filter((_, i) => i % 10 === 0 || i === losses.length - 1).map((l) => l.toFixed(2)).join(' ');
}

function describe(runs) {
  return runs.map((r) => `${r.label} ${r.tokens_per_s.toFixed(0)}/s loss ${curve(r.losses)}`).join('; ');
}

export default {
  name: 'charlstm',
  unit: 'tokens/s',
  order: 10100,
  netwright() {
    needText();
    const runs = THREADS.map((t) => ({
      ...runJson(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'bench/charlstm/netwright.ts'), TEXT, String(STEPS)], {
        env: { ...process.env, NETWRIGHT_NUM_THREADS: String(t) },
      }),
      label: `${t}t`,
    }));
    const best = runs.reduce((a, b) => (b.tokens_per_s > a.tokens_per_s ? b : a));
    const last = best.losses[best.losses.length - 1];
    if (!(last < best.losses[0] - 1)) throw new Error(`the loss did not fall: ${curve(best.losses)}`);
    return { value: best.tokens_per_s, detail: `ours ${describe(runs)}` };
  },
  reference() {
    needText();
    // OpenBLAS 0.3.21 falls back to Prescott kernels on newer CPUs with OPENBLAS_CORETYPE
    // unset; COOPERLAKE is its best AVX-512 core type. referenceEnv() drops any inherited
    // OPENBLAS_CORETYPE, so the forced one is set after it.
    const variants = [
      { label: 'unset', core: {} },
      { label: 'COOPERLAKE', core: { OPENBLAS_CORETYPE: 'COOPERLAKE' } },
    ];
    const runs = [];
    for (const v of variants)
      for (const t of THREADS) {
        const env = { ...referenceEnv({ OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) }), ...v.core };
        runs.push({ ...runJson(referencePython, [join(repoRoot, 'bench/reference/charlstm.py'), TEXT, String(STEPS), String(t)], { env }), label: `${v.label}/${t}t` });
      }
    const best = runs.reduce((a, b) => (b.tokens_per_s > a.tokens_per_s ? b : a));
    return { value: best.tokens_per_s, name: `PyTorch ${best.torch} (${best.label})`, detail: `ref ${describe(runs)}` };
  },
};
