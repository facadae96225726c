// Dense matrix multiply on the CPU (BLAS sgemm/dgemm semantics, row-major).
#pragma once

#include <cstdint>

namespace nw::cpu {

// C[m×n] = alpha·op(A)·op(B) + beta·C, all row-major.
// op(A) is A (m×k, row stride lda) or, with trans_a, Aᵀ where A is stored k×m.
// op(B) is B (k×n, row stride ldb) or, with trans_b, Bᵀ where B is stored n×k.
// beta == 0 overwrites C without reading it (old NaNs do not propagate).
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
           int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// Forces the kernel set ("avx512", "avx2", "scalar"); nullptr, "" or "auto" restores the
// run-time choice. Returns false (and changes nothing) when this CPU cannot run it.
// For tests and benchmarks; not thread-safe against concurrent gemm calls.
bool gemm_force_level(const char* level);
// The kernel set gemm uses now.
const char* gemm_level();

// Most threads gemm uses for an m×n×k problem (<= num_threads()); small problems run
// on one thread because waking a second costs more than it saves. Larger ones run on
// one or on this many, whichever has been faster lately for that size (measured as it
// runs, since a busy machine can make a second thread a loss).
int gemm_threads(int64_t m, int64_t n, int64_t k);
// n > 0: use min(n, num_threads()) threads whenever the problem has enough tiles,
// ignoring the size heuristic (tests and benchmarks); n <= 0 restores the heuristic.
void gemm_set_threads(int n);

}  // namespace nw::cpu
