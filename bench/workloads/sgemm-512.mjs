// Square float32 GEMM, n = 512 (see bench/gemm.mjs).
import { sgemmWorkload } from '../gemm.mjs';

export default sgemmWorkload(512);
