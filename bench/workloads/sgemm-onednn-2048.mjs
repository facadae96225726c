// Square float32 A·Bᵀ against oneDNN, n = 2048 (see bench/gemm.mjs).
import { sgemmOnednnWorkload } from '../gemm.mjs';

export default sgemmOnednnWorkload(2048);
