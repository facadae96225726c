// Internal: the micro-kernel sets gemm.cpp drives. Each ISA file fills one KernelSet.
#pragma once

#include <cstdint>

namespace nw::cpu::detail {

// Computes a mr×nr tile: C = alpha·(A panel · B panel) + beta·C (beta == 0: C not read).
// a: packed A panel, k-major with mr values per k (mr = the kernel's row count);
// b: packed B panel, k-major with KernelSet::nr values per k, zero-padded;
// nr: valid columns of C (1..KernelSet::nr).
template <typename T>
using MicroKernel = void (*)(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int nr);

// Optional ISA packers for full panels (nullptr: gemm.cpp's portable loops).
// PackRows: mr rows of row-major A (row stride ld) → kc groups of mr values (p-major).
// PackCols: nr rows of Bᵀ storage (B is n×k, row stride ld) → kc groups of nr values.
// Both read rows [0, rows) and zero-fill the rest of the panel (rows <= mr or nr).
template <typename T>
using PackPanel = void (*)(const T* src, int64_t ld, int64_t kc, int rows, T* dst);

constexpr int kMaxMr = 16;

template <typename T>
struct KernelSet {
  const char* name;
  int mr, nr;      // register tile
  int mc, kc, nc;  // cache blocks (mc a multiple of mr, nc a multiple of nr)
  MicroKernel<T> kernel[kMaxMr + 1];  // kernel[r] computes r rows, 1 <= r <= mr
  PackPanel<T> pack_a_rows = nullptr;  // A not transposed, panel of mr (only full ones)
  PackPanel<T> pack_b_cols = nullptr;  // B transposed, panel of nr (zero-padded)
};

// Defined in gemm_avx512.cpp / gemm_avx2.cpp (compiled with their ISA flags); only
// call them after checking the CPU supports that ISA.
const KernelSet<float>* gemm_avx512_f32();
const KernelSet<double>* gemm_avx512_f64();
const KernelSet<float>* gemm_avx2_f32();
const KernelSet<double>* gemm_avx2_f64();

}  // namespace nw::cpu::detail
