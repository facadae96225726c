// Square float32 GEMM, n = 1024 (see bench/gemm.mjs).
import { sgemmWorkload } from '../gemm.mjs';

export default sgemmWorkload(1024);
