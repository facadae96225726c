// Square float32 GEMM, n = 256 (see bench/gemm.mjs).
import { sgemmWorkload } from '../gemm.mjs';

export default sgemmWorkload(256);
