// Square float32 GEMM, n = 2048 (see bench/gemm.mjs).
import { sgemmWorkload } from '../gemm.mjs';

export default sgemmWorkload(2048);
