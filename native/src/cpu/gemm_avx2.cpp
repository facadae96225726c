// AVX2 gemm micro-kernels: 6×16 floats / 6×8 doubles with FMA.
// Compiled with -mavx2 -mfma (cpu.cmake); only reached after a CPU check.
// NOTE: everything here stays in an anonymous namespace and uses no STL, so no inline
// function compiled with AVX2 can be merged into (and called from) baseline code.
#include <immintrin.h>

#include "gemm_kernels.h"

namespace nw::cpu::detail {
namespace {

template <typename T>
struct Vec;

template <>
struct Vec<float> {
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_load_ps(p); }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
};

template <>
struct Vec<double> {
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V set1(double x) { return _mm256_set1_pd(x); }
  static V load(const double* p) { return _mm256_load_pd(p); }
  static V loadu(const double* p) { return _mm256_loadu_pd(p); }
  static void storeu(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
};

constexpr int kMr = 6;
constexpr int kNv = 2;

template <typename T, int MR>
void kernel(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int nr) {
  using O = Vec<T>;
  using V = typename O::V;
  constexpr int NR = kNv * O::W;
  V acc[MR][kNv];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < kNv; ++j) acc[i][j] = O::zero();

#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    V bv[kNv];
#pragma GCC unroll 4
    for (int j = 0; j < kNv; ++j) bv[j] = O::load(b + j * O::W);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      V av = O::set1(a[i]);
#pragma GCC unroll 4
      for (int j = 0; j < kNv; ++j) acc[i][j] = O::fmadd(av, bv[j], acc[i][j]);
    }
    a += MR;
    b += NR;
  }

  const V va = O::set1(alpha);
  if (nr == NR) {
    const V vb = O::set1(beta);
#pragma GCC unroll 8
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
    // Partial tile: spill alpha·acc, then combine the valid columns one by one.
    alignas(32) T tmp[MR][NR];
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < kNv; ++j) O::storeu(&tmp[i][j * O::W], O::mul(acc[i][j], va));
    for (int i = 0; i < MR; ++i) {
      T* cr = c + i * ldc;
      if (beta == T(0)) {
        for (int j = 0; j < nr; ++j) cr[j] = tmp[i][j];
      } else {
        for (int j = 0; j < nr; ++j) cr[j] = tmp[i][j] + beta * cr[j];
      }
    }
  }
}

template <typename T>
KernelSet<T> make_set(int mc, int kc, int nc) {
  KernelSet<T> s{"avx2", kMr, kNv * Vec<T>::W, mc, kc, nc, {}};
  s.kernel[1] = kernel<T, 1>;
  s.kernel[2] = kernel<T, 2>;
  s.kernel[3] = kernel<T, 3>;
  s.kernel[4] = kernel<T, 4>;
  s.kernel[5] = kernel<T, 5>;
  s.kernel[6] = kernel<T, 6>;
  return s;
}

}  // namespace

const KernelSet<float>* gemm_avx2_f32() {
  static const KernelSet<float> s = make_set<float>(6 * 32, 256, 2048);
  return &s;
}
const KernelSet<double>* gemm_avx2_f64() {
  static const KernelSet<double> s = make_set<double>(6 * 16, 256, 1024);
  return &s;
}

}  // namespace nw::cpu::detail
