// Convolutions (torch.nn.functional.conv1d, conv2d, conv_transpose2d): im2col + the
// packed GEMM per sample and group, parallelised over the batch; 1×1 kernels skip im2col.
#include <algorithm>
#include <cstring>
#include <memory>

#include "core/autograd.h"
#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "conv_args.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

using namespace conv;

template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
          int64_t ldc) {
  if constexpr (std::is_same_v<T, float>) cpu::sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
  else cpu::dgemm(ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
}

// Few output channels (LeNet's 6 and 16): the packed GEMM would spend most of its time
// packing the column matrix, which each channel reads only a few times. These loops read
// it in place, a strip of columns at a time held in L1, in AVX-512/AVX2 clones.
#define NW_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
constexpr int64_t kSmallChannels = 16;

// C[M x N] = A @ B; A(i, k) = a[i * sai + k * sak] (a transposed view costs nothing), B row-major.
// Register blocks of R rows x 32 columns (GCC vector types: two 64-byte registers per row).
template <typename T, int R>
inline __attribute__((always_inline)) void small_gemm_nn_rows(int64_t i, int64_t N, int64_t K, const T* a, int64_t sai, int64_t sak,
                                                              const T* b, int64_t ldb, T* c, int64_t ldc) {
  typedef T V __attribute__((vector_size(64)));
  constexpr int64_t W = 64 / sizeof(T);
  constexpr int64_t S = 32 / W;  // vectors per strip (32 floats)
  constexpr int64_t SW = S * W;
  int64_t j0 = 0;
  for (; j0 + SW <= N; j0 += SW) {
    V acc[R][S] = {};
    for (int64_t k = 0; k < K; ++k) {
      const T* br = b + k * ldb + j0;
      V bv[S];
      for (int64_t q = 0; q < S; ++q) std::memcpy(&bv[q], br + q * W, sizeof(V));
      for (int r = 0; r < R; ++r) {
        const T av = a[(i + r) * sai + k * sak];
        for (int64_t q = 0; q < S; ++q) acc[r][q] += av * bv[q];
      }
    }
    for (int r = 0; r < R; ++r)
      for (int64_t q = 0; q < S; ++q) std::memcpy(c + (i + r) * ldc + j0 + q * W, &acc[r][q], sizeof(V));
  }
  if (j0 < N) {  // tail columns: one vector at a time, then scalars
    for (; j0 + W <= N; j0 += W) {
      V acc[R] = {};
      for (int64_t k = 0; k < K; ++k) {
        V bv;
        std::memcpy(&bv, b + k * ldb + j0, sizeof(V));
        for (int r = 0; r < R; ++r) acc[r] += a[(i + r) * sai + k * sak] * bv;
      }
      for (int r = 0; r < R; ++r) std::memcpy(c + (i + r) * ldc + j0, &acc[r], sizeof(V));
    }
    for (int r = 0; r < R; ++r)
      for (int64_t j = j0; j < N; ++j) {
        T acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += a[(i + r) * sai + k * sak] * b[k * ldb + j];
        c[(i + r) * ldc + j] = acc;
      }
  }
}
template <typename T>
inline __attribute__((always_inline)) void small_gemm_nn_body(int64_t M, int64_t N, int64_t K, const T* a, int64_t sai, int64_t sak,
                                                              const T* b, int64_t ldb, T* c, int64_t ldc) {
  int64_t i = 0;
  for (; i + 6 <= M; i += 6) small_gemm_nn_rows<T, 6>(i, N, K, a, sai, sak, b, ldb, c, ldc);
  for (; i + 4 <= M; i += 4) small_gemm_nn_rows<T, 4>(i, N, K, a, sai, sak, b, ldb, c, ldc);
  for (; i + 2 <= M; i += 2) small_gemm_nn_rows<T, 2>(i, N, K, a, sai, sak, b, ldb, c, ldc);
  for (; i < M; ++i) small_gemm_nn_rows<T, 1>(i, N, K, a, sai, sak, b, ldb, c, ldc);
}

// C[M x N] += A[M x L] @ B[N x L]^T: dot products over the long dimension L, blocks of R
// rows of A by four rows of B (R * 4 vector accumulators), written with GCC vector types
// (one 64-byte register per step) so they vectorise without reassociation flags.
template <typename T, int R>
inline __attribute__((always_inline)) void small_gemm_nt_rows(int64_t i, int64_t N, int64_t L, const T* a, int64_t lda, const T* b,
                                                              int64_t ldb, T* c, int64_t ldc) {
  typedef T V __attribute__((vector_size(64)));
  constexpr int64_t W = 64 / sizeof(T);
  auto hsum = [](const V& v) {
    T s = 0;
    for (int64_t q = 0; q < W; ++q) s += v[q];
    return s;
  };
  for (int64_t j = 0; j < N; j += 4) {
    const int64_t nj = std::min<int64_t>(4, N - j);
    const T* br[4];
    for (int64_t q = 0; q < 4; ++q) br[q] = b + (j + std::min<int64_t>(q, nj - 1)) * ldb;
    V s[R][4] = {};
    int64_t l = 0;
    for (; l + W <= L; l += W) {
      V bv[4];  // unaligned loads
      for (int q = 0; q < 4; ++q) std::memcpy(&bv[q], br[q] + l, sizeof(V));
      for (int r = 0; r < R; ++r) {
        V av;
        std::memcpy(&av, a + (i + r) * lda + l, sizeof(V));
        for (int q = 0; q < 4; ++q) s[r][q] += av * bv[q];
      }
    }
    for (int r = 0; r < R; ++r) {
      const T* ar = a + (i + r) * lda;
      T t[4] = {hsum(s[r][0]), hsum(s[r][1]), hsum(s[r][2]), hsum(s[r][3])};
      for (int64_t l2 = l; l2 < L; ++l2)
        for (int64_t q = 0; q < 4; ++q) t[q] += ar[l2] * br[q][l2];
      for (int64_t q = 0; q < nj; ++q) c[(i + r) * ldc + j + q] += t[q];
    }
  }
}
template <typename T>
inline __attribute__((always_inline)) void small_gemm_nt_body(int64_t M, int64_t N, int64_t L, const T* a, int64_t lda, const T* b,
                                                              int64_t ldb, T* c, int64_t ldc) {
  int64_t i = 0;
  for (; i + 4 <= M; i += 4) small_gemm_nt_rows<T, 4>(i, N, L, a, lda, b, ldb, c, ldc);
  for (; i + 2 <= M; i += 2) small_gemm_nt_rows<T, 2>(i, N, L, a, lda, b, ldb, c, ldc);
  for (; i < M; ++i) small_gemm_nt_rows<T, 1>(i, N, L, a, lda, b, ldb, c, ldc);
}

#define NW_SMALL_GEMMS(T)                                                                                                 \
  NW_SIMD_CLONES void small_gemm_nn(int64_t M, int64_t N, int64_t K, const T* a, int64_t sai, int64_t sak, const T* b,    \
                                    int64_t ldb, T* c, int64_t ldc) {                                                     \
    small_gemm_nn_body<T>(M, N, K, a, sai, sak, b, ldb, c, ldc);                                                          \
  }                                                                                                                       \
  NW_SIMD_CLONES void small_gemm_nt(int64_t M, int64_t N, int64_t L, const T* a, int64_t lda, const T* b, int64_t ldb,    \
                                    T* c, int64_t ldc) {                                                                  \
    small_gemm_nt_body<T>(M, N, L, a, lda, b, ldb, c, ldc);                                                               \
  }
NW_SMALL_GEMMS(float)
NW_SMALL_GEMMS(double)

// col[K, OH*OW] (row stride ldc) from one group's big plane [Cg, H, W]; zeros where the
// window hangs over the padding.
template <typename T>
void im2col(const ConvGeom& g, const T* x, T* col, int64_t ldc) {
  const int64_t OW = g.OW, OHW = ldc;
  for (int64_t c = 0; c < g.Cg(); ++c)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        T* row = col + ((c * g.kh + ki) * g.kw + kj) * OHW;
        const int64_t iw0 = kj * g.dw - g.pw;
        // Output columns whose input column lies inside [0, W).
        int64_t lo = iw0 >= 0 ? 0 : (-iw0 + g.sw - 1) / g.sw;
        int64_t hi = g.W - iw0 <= 0 ? 0 : std::min<int64_t>(OW, (g.W - iw0 - 1) / g.sw + 1);
        lo = std::min(lo, OW);
        if (hi < lo) hi = lo;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          T* r = row + oh * OW;
          const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
          if (ih < 0 || ih >= g.H) {
            std::fill(r, r + OW, T(0));
            continue;
          }
          const T* xr = x + (c * g.H + ih) * g.W + iw0;
          std::fill(r, r + lo, T(0));
          if (g.sw == 1) std::memcpy(r + lo, xr + lo, sizeof(T) * (hi - lo));
          else for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * g.sw];
          std::fill(r + hi, r + OW, T(0));
        }
      }
}

// Horizontal stride 1: im2col of samples [0, ns) of one group, each sample's planes first
// copied into a zero-padded [Cg, Hp, Wp] buffer `pad` (no bounds checks after that). Rows
// are copied a whole 64-byte vector at a time, spilling up to one vector past their end;
// the order (column-matrix row, sample, output row) means every spill lands where a later
// copy writes, except the last, which lands in `col`'s slack of kColSlack elements.
constexpr int64_t kColSlack = 16;
int64_t padded_plane(const ConvGeom& g) { return (g.H + 2 * g.ph) * (g.W + 2 * g.pw) + kColSlack; }
template <typename T>
inline __attribute__((always_inline)) void im2col_s1_body(const ConvGeom& g, const T* const* xs, int64_t ns, T* pad, T* col, int64_t ldc) {
  typedef T V __attribute__((vector_size(64)));
  constexpr int64_t W = 64 / sizeof(T);
  const int64_t Hp = g.H + 2 * g.ph, Wp = g.W + 2 * g.pw, PP = padded_plane(g), OW = g.OW, OH = g.OH, OHW = g.OHW();
  const int64_t Cg = g.Cg(), nv = (OW + W - 1) / W;
  for (int64_t s = 0; s < ns; ++s) {
    T* ps = pad + s * Cg * PP;
    for (int64_t c = 0; c < Cg; ++c) {
      T* pc = ps + c * PP;
      std::fill(pc, pc + g.ph * Wp, T(0));
      for (int64_t h = 0; h < g.H; ++h) {
        T* row = pc + (g.ph + h) * Wp;
        for (int64_t w = 0; w < g.pw; ++w) row[w] = T(0);
        std::memcpy(row + g.pw, xs[s] + (c * g.H + h) * g.W, sizeof(T) * g.W);
        for (int64_t w = g.pw + g.W; w < Wp; ++w) row[w] = T(0);
      }
      std::fill(pc + (g.ph + g.H) * Wp, pc + PP, T(0));
    }
  }
  (void)Hp;
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        T* row = col + ((c * g.kh + ki) * g.kw + kj) * ldc;
        for (int64_t s = 0; s < ns; ++s) {
          const T* src = pad + (s * Cg + c) * PP + ki * g.dh * Wp + kj * g.dw;
          T* dst = row + s * OHW;
          for (int64_t oh = 0; oh < OH; ++oh) {
            const T* sr = src + oh * g.sh * Wp;
            T* dr = dst + oh * OW;
            for (int64_t v = 0; v < nv; ++v) {
              V t;
              std::memcpy(&t, sr + v * W, sizeof(V));
              std::memcpy(dr + v * W, &t, sizeof(V));
            }
          }
        }
      }
}
NW_SIMD_CLONES void im2col_s1(const ConvGeom& g, const float* const* xs, int64_t ns, float* pad, float* col, int64_t ldc) {
  im2col_s1_body(g, xs, ns, pad, col, ldc);
}
NW_SIMD_CLONES void im2col_s1(const ConvGeom& g, const double* const* xs, int64_t ns, double* pad, double* col, int64_t ldc) {
  im2col_s1_body(g, xs, ns, pad, col, ldc);
}
// Reads of a padded row reach at most one vector past its last used element: that must
// stay inside the plane's slack.
bool use_im2col_s1(const ConvGeom& g) {
  const int64_t Wp = g.W + 2 * g.pw;
  const int64_t last = (g.OH - 1) * g.sh * Wp + (g.kh - 1) * g.dh * Wp + (g.kw - 1) * g.dw + ((g.OW + 15) / 16) * 16;
  return g.sw == 1 && last <= padded_plane(g);
}

// big plane [Cg, H, W] += col2im(col): the adjoint of im2col.
template <typename T>
void col2im(const ConvGeom& g, const T* col, T* x, int64_t ldc) {
  const int64_t OW = g.OW, OHW = ldc;
  for (int64_t c = 0; c < g.Cg(); ++c)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const T* row = col + ((c * g.kh + ki) * g.kw + kj) * OHW;
        const int64_t iw0 = kj * g.dw - g.pw;
        int64_t lo = iw0 >= 0 ? 0 : (-iw0 + g.sw - 1) / g.sw;
        int64_t hi = g.W - iw0 <= 0 ? 0 : std::min<int64_t>(OW, (g.W - iw0 - 1) / g.sw + 1);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          const T* r = row + oh * OW;
          T* xr = x + (c * g.H + ih) * g.W + iw0;
          if (g.sw == 1) for (int64_t ow = lo; ow < hi; ++ow) xr[ow] += r[ow];
          else for (int64_t ow = lo; ow < hi; ++ow) xr[ow * g.sw] += r[ow];
        }
      }
}

// Scratch per chunk: the column matrix (+ slack), the small-side block, the padded planes.
int64_t conv_scratch(const ConvGeom& g, int64_t nb) {
  if (g.direct()) return 0;
  return (g.K() + g.OCg()) * nb * g.OHW() + kColSlack + nb * g.Cg() * padded_plane(g);
}

// The column matrix [K, (n1 - n0) * OHW] of samples [n0, n1), group gr.
template <typename T>
void im2col_block(const ConvGeom& g, const T* big, int64_t n0, int64_t n1, int64_t gr, T* col, T* pad) {
  const int64_t L = (n1 - n0) * g.OHW();
  if (!use_im2col_s1(g)) {
    for (int64_t s = 0; s < n1 - n0; ++s) im2col(g, big + ((n0 + s) * g.C + gr * g.Cg()) * g.HW(), col + s * g.OHW(), L);
    return;
  }
  const T* xs[64];
  for (int64_t s0 = 0; s0 < n1 - n0; s0 += 64) {
    const int64_t ns = std::min<int64_t>(64, n1 - n0 - s0);
    for (int64_t s = 0; s < ns; ++s) xs[s] = big + ((n0 + s0 + s) * g.C + gr * g.Cg()) * g.HW();
    if (ns == n1 - n0) {
      im2col_s1(g, xs, ns, pad, col, L);
    } else {  // more than 64 samples in a block: the spills of one batch land in the next, still later
      for (int64_t s = 0; s < ns; ++s) im2col(g, xs[s], col + (s0 + s) * g.OHW(), L);
    }
  }
}

// Samples per GEMM: several samples' columns side by side make one wider GEMM (small
// convolutions are otherwise all packing and call overhead), up to ~1 MiB of columns.
int64_t block_samples(const ConvGeom& g) {
  if (g.direct()) return 1;
  const int64_t per = std::max<int64_t>(g.K() * g.OHW(), 1);
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>(g.N, cpu::num_threads()));
  const int64_t fair = (g.N + threads - 1) / threads;
  return std::max<int64_t>(1, std::min<int64_t>({fair, (int64_t(1) << 18) / per, g.N}));
}

// Runs fn(chunk, n0, n1, scratch) over blocks [n0, n1) of samples; blocks are split into
// one chunk per thread, each with its own scratch (the GEMMs inside run on that thread).
template <typename T, typename F>
void for_each_block(int64_t N, int64_t nb, int64_t scratch_elems, F fn) {
  const int64_t blocks = (N + nb - 1) / nb;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(blocks, cpu::num_threads()));
  cpu::parallel_for(0, chunks, 1, [&](int64_t cb, int64_t ce) {
    std::unique_ptr<T[]> scratch(new T[static_cast<size_t>(std::max<int64_t>(scratch_elems, 1))]);  // uninitialised
    for (int64_t c = cb; c < ce; ++c)
      for (int64_t b = blocks * c / chunks; b < blocks * (c + 1) / chunks; ++b) fn(c, b * nb, std::min(N, (b + 1) * nb), scratch.get());
  });
}

// The small-side planes of samples [n0, n1), group gr, as one [OCg, nbk * OHW] matrix (and back).
template <typename T>
void gather_small(const ConvGeom& g, const T* small, int64_t n0, int64_t n1, int64_t gr, T* out) {
  const int64_t OHW = g.OHW(), L = (n1 - n0) * OHW;
  for (int64_t s = 0; s < n1 - n0; ++s)
    for (int64_t o = 0; o < g.OCg(); ++o)
      std::memcpy(out + o * L + s * OHW, small + ((n0 + s) * g.OC + gr * g.OCg() + o) * OHW, sizeof(T) * OHW);
}

// small[n] = W @ im2col(big[n]) (+ bias per small channel).
template <typename T>
void conv_small_from_big(const ConvGeom& g, const T* big, const T* w, const T* bias, T* small) {
  const int64_t K = g.K(), OHW = g.OHW(), HW = g.HW(), nb = block_samples(g);
  for_each_block<T>(g.N, nb, conv_scratch(g, nb), [&](int64_t, int64_t n0, int64_t n1, T* scratch) {
    const int64_t L = (n1 - n0) * OHW;
    T* col = scratch;
    T* tmp = scratch + K * L;
    for (int64_t gr = 0; gr < g.groups; ++gr) {
      const T* wg = w + gr * g.OCg() * K;
      if (g.direct()) {
        const T* xb = big + (n0 * g.C + gr * g.Cg()) * HW;
        T* yb = small + (n0 * g.OC + gr * g.OCg()) * OHW;
        if (bias)
          for (int64_t o = 0; o < g.OCg(); ++o) std::fill(yb + o * OHW, yb + (o + 1) * OHW, bias[gr * g.OCg() + o]);
        gemm<T>(false, false, g.OCg(), OHW, K, wg, K, xb, OHW, bias ? T(1) : T(0), yb, OHW);
        continue;
      }
      im2col_block(g, big, n0, n1, gr, col, scratch + (K + g.OCg()) * L + kColSlack);
      if (g.OCg() <= kSmallChannels) small_gemm_nn(g.OCg(), L, K, wg, K, int64_t(1), col, L, tmp, L);
      else gemm<T>(false, false, g.OCg(), L, K, wg, K, col, L, T(0), tmp, L);
      for (int64_t s = 0; s < n1 - n0; ++s)
        for (int64_t o = 0; o < g.OCg(); ++o) {
          const T* src = tmp + o * L + s * OHW;
          T* dst = small + ((n0 + s) * g.OC + gr * g.OCg() + o) * OHW;
          const T b = bias ? bias[gr * g.OCg() + o] : T(0);
          for (int64_t i = 0; i < OHW; ++i) dst[i] = src[i] + b;
        }
    }
  });
}

// big[n] = col2im(W^T @ small[n]) (+ bias per big channel).
template <typename T>
void conv_big_from_small(const ConvGeom& g, const T* small, const T* w, const T* bias, T* big) {
  const int64_t K = g.K(), OHW = g.OHW(), HW = g.HW(), nb = block_samples(g);
  for_each_block<T>(g.N, nb, conv_scratch(g, nb), [&](int64_t, int64_t n0, int64_t n1, T* scratch) {
    const int64_t L = (n1 - n0) * OHW;
    T* col = scratch;
    T* tmp = scratch + K * L;
    for (int64_t gr = 0; gr < g.groups; ++gr) {
      const T* wg = w + gr * g.OCg() * K;
      if (g.direct()) {
        gemm<T>(true, false, K, OHW, g.OCg(), wg, K, small + (n0 * g.OC + gr * g.OCg()) * OHW, OHW, T(0),
                big + (n0 * g.C + gr * g.Cg()) * HW, OHW);
      } else {
        gather_small(g, small, n0, n1, gr, tmp);
        if (g.OCg() <= kSmallChannels) small_gemm_nn(K, L, g.OCg(), wg, int64_t(1), K, tmp, L, col, L);
        else gemm<T>(true, false, K, L, g.OCg(), wg, K, tmp, L, T(0), col, L);
        for (int64_t s = 0; s < n1 - n0; ++s) {
          T* xb = big + ((n0 + s) * g.C + gr * g.Cg()) * HW;
          std::fill(xb, xb + g.Cg() * HW, T(0));
          col2im(g, col + s * OHW, xb, L);
        }
      }
      if (bias)
        for (int64_t s = 0; s < n1 - n0; ++s)
          for (int64_t c = 0; c < g.Cg(); ++c) {
            T* xb = big + ((n0 + s) * g.C + gr * g.Cg() + c) * HW;
            const T b = bias[gr * g.Cg() + c];
            for (int64_t i = 0; i < HW; ++i) xb[i] += b;
          }
    }
  });
}

// dW = sum_n small[n] @ im2col(big[n])^T, reduced over per-chunk partial sums.
template <typename T>
void conv_weight_grad(const ConvGeom& g, const T* small, const T* big, T* dw) {
  const int64_t K = g.K(), OHW = g.OHW(), HW = g.HW(), WN = g.OC * K, nb = block_samples(g);
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>((g.N + nb - 1) / nb, cpu::num_threads()));
  std::vector<T> partial(static_cast<size_t>(chunks * WN), T(0));
  for_each_block<T>(g.N, nb, conv_scratch(g, nb), [&](int64_t c, int64_t n0, int64_t n1, T* scratch) {
    T* acc = partial.data() + c * WN;
    const int64_t L = (n1 - n0) * OHW;
    T* col = scratch;
    T* tmp = scratch + K * L;
    for (int64_t gr = 0; gr < g.groups; ++gr) {
      if (g.direct()) {
        gemm<T>(false, true, g.OCg(), K, OHW, small + (n0 * g.OC + gr * g.OCg()) * OHW, OHW, big + (n0 * g.C + gr * g.Cg()) * HW, OHW,
                T(1), acc + gr * g.OCg() * K, K);
        continue;
      }
      im2col_block(g, big, n0, n1, gr, col, scratch + (K + g.OCg()) * L + kColSlack);
      gather_small(g, small, n0, n1, gr, tmp);
      // The packed GEMM would pack the column matrix transposed (a strided gather): dot products instead.
      if (g.OCg() <= kSmallChannels) small_gemm_nt(g.OCg(), K, L, tmp, L, col, L, acc + gr * g.OCg() * K, K);
      else gemm<T>(false, true, g.OCg(), K, L, tmp, L, col, L, T(1), acc + gr * g.OCg() * K, K);
    }
  });
  for (int64_t i = 0; i < WN; ++i) {
    T s = 0;
    for (int64_t c = 0; c < chunks; ++c) s += partial[c * WN + i];
    dw[i] = s;
  }
}

// Sum over batch and spatial positions per channel: the bias gradient.
template <typename T>
void channel_sum(const T* x, int64_t N, int64_t C, int64_t HW, T* out) {
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* p = x + (n * C + c) * HW;
      T lanes[8] = {};  // eight independent partial sums vectorise; planes are added in double
      int64_t i = 0;
      for (; i + 8 <= HW; i += 8)
        for (int j = 0; j < 8; ++j) lanes[j] += p[i + j];
      double part = 0;
      for (; i < HW; ++i) part += p[i];
      for (int j = 0; j < 8; ++j) part += lanes[j];
      s += part;
    }
    out[c] = static_cast<T>(s);
  }
}

// ---- conv1d / conv2d (small from big) and conv_transpose2d (big from small) ----
template <int Spatial, bool Transposed>
TensorList conv_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const char* op = Transposed ? "conv_transpose2d" : Spatial == 1 ? "conv1d" : "conv2d";
  const ConvArgs a = Transposed ? conv_transpose2d_args(in[0], in[1], in[2], at) : conv_args(in[0], in[1], in[2], at, Spatial, op);
  Tensor x = as_4d(in[0], Spatial, a.batched);
  Tensor w = in[1].contiguous();
  Tensor b = in[2].defined() ? in[2].contiguous() : Tensor();
  Tensor y = empty(Transposed ? a.big_shape() : a.small_shape(), x.dtype());
  NW_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    const T* pb = b.defined() ? b.data<T>() : nullptr;
    if constexpr (Transposed) conv_big_from_small<T>(a.g, x.data<T>(), w.data<T>(), pb, y.data<T>());
    else conv_small_from_big<T>(a.g, x.data<T>(), w.data<T>(), pb, y.data<T>());
  });
  ctx.save({x, w});
  ctx.ints = a.g.pack();
  return {y};
}
// A conv's gradient flows small to big, a transposed conv's big to small.
template <bool Transposed>
TensorList conv_backward(OpContext& ctx, const TensorList& grads) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1];
  ConvGeom g = ConvGeom::unpack(ctx.ints);
  Tensor gy = grads[0].contiguous();
  Tensor gx, gw, gb;
  NW_DISPATCH_FLOAT(x.dtype(), Transposed ? "conv_transpose2d" : "conv", [&] {
    using T = scalar_t;
    if (ctx.needs_input_grad[0]) {
      gx = empty(ctx.input_shapes[0], x.dtype());
      if constexpr (Transposed) conv_small_from_big<T>(g, gy.data<T>(), w.data<T>(), nullptr, gx.data<T>());
      else conv_big_from_small<T>(g, gy.data<T>(), w.data<T>(), nullptr, gx.data<T>());
    }
    if (ctx.needs_input_grad[1]) {
      gw = empty(w.sizes(), w.dtype());
      if constexpr (Transposed) conv_weight_grad<T>(g, x.data<T>(), gy.data<T>(), gw.data<T>());
      else conv_weight_grad<T>(g, gy.data<T>(), x.data<T>(), gw.data<T>());
    }
    if (ctx.needs_input_grad.size() > 2 && ctx.needs_input_grad[2]) {
      const int64_t C = Transposed ? g.C : g.OC;
      gb = empty({C}, x.dtype());
      channel_sum<T>(gy.data<T>(), g.N, C, Transposed ? g.HW() : g.OHW(), gb.data<T>());
    }
  });
  return {gx, gw, gb};
}

}  // namespace

const OpDef op_conv1d = {"conv1d", 3, GradKind::Differentiable, conv_forward<1, false>, conv_backward<false>,
                         "1-D convolution over [N, C, L]: weight [out, in/groups, k], bias optional; stride, padding (ints, 'same', 'valid'), dilation, groups"};
const OpDef op_conv2d = {"conv2d", 3, GradKind::Differentiable, conv_forward<2, false>, conv_backward<false>,
                         "2-D convolution over [N, C, H, W]: weight [out, in/groups, kH, kW], bias optional; stride, padding (ints, 'same', 'valid'), dilation, groups"};
const OpDef op_conv_transpose2d = {"conv_transpose2d", 3, GradKind::Differentiable, conv_forward<2, true>,
                                   conv_backward<true>,
                                   "transposed 2-D convolution: weight [in, out/groups, kH, kW], bias optional; stride, padding, output_padding, groups, dilation"};

}  // namespace nw
