// AVX-512 gemm micro-kernels: 14×32 floats / 14×16 doubles, FMA with embedded broadcasts.
// Compiled with -mavx512f/bw/vl/dq -mfma (cpu.cmake); only reached after a CPU check.
// NOTE: everything here stays in an anonymous namespace and uses no STL, so no inline
// function compiled with AVX-512 can be merged into (and called from) baseline code.
#include <immintrin.h>

#include "gemm_kernels.h"

namespace nw::cpu::detail {
namespace {

template <typename T>
struct Vec;

template <>
struct Vec<float> {
  using V = __m512;
  using M = __mmask16;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_load_ps(p); }
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static M mask(int n) { return n >= W ? M(0xFFFF) : M((1u << (n > 0 ? n : 0)) - 1); }
  static V maskz_loadu(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void mask_storeu(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
};

template <>
struct Vec<double> {
  using V = __m512d;
  using M = __mmask8;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V set1(double x) { return _mm512_set1_pd(x); }
  static V load(const double* p) { return _mm512_load_pd(p); }
  static V loadu(const double* p) { return _mm512_loadu_pd(p); }
  static void storeu(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static M mask(int n) { return n >= W ? M(0xFF) : M((1u << (n > 0 ? n : 0)) - 1); }
  static V maskz_loadu(M m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void mask_storeu(double* p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
};

constexpr int kMr = 14;
constexpr int kNv = 2;  // vectors per row of the tile

// NOTE: GCC 12 warns that the shuffle intrinsics' own _mm512_undefined_ps() "may be used
// uninitialized" once inlined here; it is a false positive in its header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Transposes the 16×16 block r[i][j] in registers (r[i] = row i) into r[j][i].
inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // In each 128-bit lane: u[4g+c] holds column (4·lane + c) of rows 4g..4g+3.
  for (int g = 0; g < 16; g += 4) {
    u[g + 0] = _mm512_shuffle_ps(t[g + 0], t[g + 2], 0x44);
    u[g + 1] = _mm512_shuffle_ps(t[g + 0], t[g + 2], 0xEE);
    u[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
    u[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
  }
  for (int g = 0; g < 16; g += 8)
    for (int c = 0; c < 4; ++c) {
      t[g + c] = _mm512_shuffle_f32x4(u[g + c], u[g + 4 + c], 0x88);      // lanes 0, 2
      t[g + 4 + c] = _mm512_shuffle_f32x4(u[g + c], u[g + 4 + c], 0xDD);  // lanes 1, 3
    }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0xDD);
  }
}

// Packs `rows` (<= 16) rows of a row-major matrix, 16 values of p at a time, as
// kc groups of `width` values (width 14 for A panels, 32 for B panels, at column `col`).
inline void pack_transposed16(const float* src, int64_t ld, int64_t kc, int rows, float* dst, int width,
                              int col) {
  const __mmask16 keep = __mmask16((1u << (width < 16 ? width : 16)) - 1);
  for (int64_t p = 0; p < kc; p += 16) {
    const int n = kc - p < 16 ? static_cast<int>(kc - p) : 16;
    const __mmask16 m = __mmask16((1u << n) - 1);
    __m512 r[16];
    for (int i = 0; i < 16; ++i)
      r[i] = i < rows ? _mm512_maskz_loadu_ps(m, src + i * ld + p) : _mm512_setzero_ps();
    transpose16(r);
    for (int q = 0; q < n; ++q) _mm512_mask_storeu_ps(dst + (p + q) * width + col, keep, r[q]);
  }
}

void pack_a_rows_f32(const float* src, int64_t ld, int64_t kc, int rows, float* dst) {
  pack_transposed16(src, ld, kc, rows, dst, kMr, 0);
}

void pack_b_cols_f32(const float* src, int64_t ld, int64_t kc, int rows, float* dst) {
  pack_transposed16(src, ld, kc, rows < 16 ? rows : 16, dst, 32, 0);
  pack_transposed16(src + 16 * ld, ld, kc, rows > 16 ? rows - 16 : 0, dst, 32, 16);
}


template <typename T, int MR>
void kernel(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int nr) {
  using O = Vec<T>;
  using V = typename O::V;
  constexpr int NR = kNv * O::W;
  V acc[MR][kNv];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < kNv; ++j) acc[i][j] = O::zero();
  // The C tile is read (beta != 0) and written once at the end: start its misses now.
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
  }

#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    V bv[kNv];
#pragma GCC unroll 4
    for (int j = 0; j < kNv; ++j) bv[j] = O::load(b + j * O::W);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(a + 16 * MR), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      V av = O::set1(a[i]);
#pragma GCC unroll 4
      for (int j = 0; j < kNv; ++j) acc[i][j] = O::fmadd(av, bv[j], acc[i][j]);
    }
    a += MR;
    b += NR;
  }

  const V va = O::set1(alpha);
  const V vb = O::set1(beta);
  if (nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      T* cr = c + i * ldc;
#pragma GCC unroll 4
      for (int j = 0; j < kNv; ++j) {
        V r = O::mul(acc[i][j], va);
        if (beta != T(0)) r = O::fmadd(vb, O::loadu(cr + j * O::W), r);
        O::storeu(cr + j * O::W, r);
      }
    }
  } else {
    typename O::M mk[kNv];
    for (int j = 0; j < kNv; ++j) mk[j] = O::mask(nr - j * O::W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      T* cr = c + i * ldc;
#pragma GCC unroll 4
      for (int j = 0; j < kNv; ++j) {
        V r = O::mul(acc[i][j], va);
        if (beta != T(0)) r = O::fmadd(vb, O::maskz_loadu(mk[j], cr + j * O::W), r);
        O::mask_storeu(cr + j * O::W, mk[j], r);
      }
    }
  }
}

template <typename T>
KernelSet<T> make_set(int mc, int kc, int nc) {
  KernelSet<T> s{"avx512", kMr, kNv * Vec<T>::W, mc, kc, nc, {}};
  s.kernel[1] = kernel<T, 1>;
  s.kernel[2] = kernel<T, 2>;
  s.kernel[3] = kernel<T, 3>;
  s.kernel[4] = kernel<T, 4>;
  s.kernel[5] = kernel<T, 5>;
  s.kernel[6] = kernel<T, 6>;
  s.kernel[7] = kernel<T, 7>;
  s.kernel[8] = kernel<T, 8>;
  s.kernel[9] = kernel<T, 9>;
  s.kernel[10] = kernel<T, 10>;
  s.kernel[11] = kernel<T, 11>;
  s.kernel[12] = kernel<T, 12>;
  s.kernel[13] = kernel<T, 13>;
  s.kernel[14] = kernel<T, 14>;
  return s;
}

}  // namespace

// Blocks: B micro-panel kc×nr stays in L1 (48 KiB), the packed A block mc×kc in L2
// (2 MiB on Sapphire Rapids), the packed B block kc×nc in L2/L3.
const KernelSet<float>* gemm_avx512_f32() {
  static const KernelSet<float> s = [] {
    KernelSet<float> k = make_set<float>(14 * 24, 256, 2048);
    k.pack_a_rows = pack_a_rows_f32;
    k.pack_b_cols = pack_b_cols_f32;
    return k;
  }();
  return &s;
}
const KernelSet<double>* gemm_avx512_f64() {
  static const KernelSet<double> s = make_set<double>(14 * 12, 256, 1024);
  return &s;
}

}  // namespace nw::cpu::detail
