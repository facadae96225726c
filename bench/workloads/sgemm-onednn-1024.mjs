// Square float32 A·Bᵀ against oneDNN, n = 1024 (see bench/gemm.mjs).
import { sgemmOnednnWorkload } from '../gemm.mjs';

export default sgemmOnednnWorkload(1024);
