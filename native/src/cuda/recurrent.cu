// Recurrent layers on CUDA: ops/recurrent.h's forward and backward (torch.nn.RNN/LSTM/GRU:
// stacked, bidirectional, batch_first, inter-layer dropout, initial states) over this
// device's GEMM and fused step kernels, one thread per (row, unit) of a step, with the
// CPU's formulas.
#include <cmath>

#include "core/autograd.h"
#include "core/random.h"
#include "cuda/common.cuh"
#include "cuda/sum_rows.cuh"
#include "ops/ops.h"
#include "ops/recurrent.h"

namespace nw::cuda {
namespace {

using rnn::Mode;

// The unit math of ops/recurrent.h with the device's exp and tanh.
struct CudaMath {
  template <typename T> NW_HOST_DEVICE static T exp(T x) { return std::exp(x); }
  template <typename T> NW_HOST_DEVICE static T tanh(T x) { return std::tanh(x); }
};

// ---- fused step kernels: one thread per (row r, unit j) of a step's [N, H] ----

template <typename T>
void lstm_step_forward(int device, int64_t N, int64_t H, T* gates, const T* cprev, int64_t ldcp, T* c, T* h,
                       int64_t ldh) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    rnn::lstm_unit<CudaMath>(j, H, gates + r * 4 * H, cprev[r * ldcp + j], c + r * H + j, h + r * ldh + j);
  });
}

template <typename T>
void lstm_step_backward(int device, int64_t N, int64_t H, const T* gates, const T* c, const T* cprev, int64_t ldcp,
                        const T* dh, const T* dy, int64_t ldy, T* dc, T* dg) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    rnn::lstm_unit_backward<CudaMath>(j, H, gates + r * 4 * H, c[r * H + j], cprev[r * ldcp + j],
                                      dh[r * H + j] + dy[r * ldy + j], dc + r * H + j, dg + r * 4 * H);
  });
}

// gh holds W_hh h; b_hh (when given) is added here.
template <typename T>
void gru_step_forward(int device, int64_t N, int64_t H, const T* gi, const T* gh, const T* bhh, const T* hprev,
                      int64_t ldhp, T* gates, T* h, int64_t ldh) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    const T* b = gh + r * 3 * H;
    const T br = bhh ? bhh[j] : T(0), bz = bhh ? bhh[H + j] : T(0), bn = bhh ? bhh[2 * H + j] : T(0);
    rnn::gru_unit<CudaMath>(j, H, gi + r * 3 * H, b[j] + br, b[H + j] + bz, b[2 * H + j] + bn, hprev[r * ldhp + j],
                            gates + r * 4 * H, h + r * ldh + j);
  });
}

template <typename T>
void gru_step_backward(int device, int64_t N, int64_t H, const T* gates, const T* hprev, int64_t ldhp, const T* dh,
                       const T* dy, int64_t ldy, T* dgi, T* dgh, T* dhp) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    rnn::gru_unit_backward(j, H, gates + r * 4 * H, hprev[r * ldhp + j], dh[r * H + j] + dy[r * ldy + j],
                           dgi + r * 3 * H, dgh + r * 3 * H, dhp + r * H + j);
  });
}

template <typename T>
void rnn_step_forward(int device, bool relu, int64_t N, int64_t H, const T* gi, T* h, int64_t ldh) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    h[r * ldh + j] = rnn::rnn_unit<CudaMath>(gi[r * H + j], relu);
  });
}
template <typename T>
void rnn_step_backward(int device, bool relu, int64_t N, int64_t H, const T* h, int64_t ldh, const T* dh, const T* dy,
                       int64_t ldy, T* dg) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    dg[r * H + j] = rnn::rnn_unit_backward(h[r * ldh + j], dh[r * H + j] + dy[r * ldy + j], relu);
  });
}

// gi[r, :] = b1 (+ b2) for every row: the biases the input projection GEMM adds to.
template <typename T>
void fill_bias_rows(int device, T* gi, int64_t rows, int64_t width, const T* b1, const T* b2) {
  launch(device, rows * width, [=] __device__(int64_t e) {
    const int64_t j = e % width;
    gi[e] = b2 ? b1[j] + b2[j] : b1[j];
  });
}

// dst[r, 0:H] = src[r * ld_src + 0:H] for r < N.
template <typename T>
void copy_rows(int device, T* dst, const T* src, int64_t ld_src, int64_t N, int64_t H) {
  if (N <= 0 || H <= 0) return;
  NW_CUDA_CHECK(cudaMemcpy2DAsync(dst, sizeof(T) * H, src, sizeof(T) * ld_src, sizeof(T) * H, N,
                                  cudaMemcpyDeviceToDevice, stream(device)));
}

// Counter-based uniform draws in [0, 1) for the inter-layer dropout mask: a splitmix64
// hash of (seed, element), the seed drawn from the device's generator (manual_seed).
__device__ inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Inverted dropout between layers: mask = (u >= p) / (1 - p), xn = y * mask.
template <typename T>
void dropout_mask(int device, uint64_t seed, double p, int64_t n, const T* y, T* mask, T* xn) {
  const T scale = p >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  launch(device, n, [=] __device__(int64_t i) {
    const double u =
        static_cast<double>(mix64(seed ^ mix64(static_cast<uint64_t>(i))) >> 11) * (1.0 / 9007199254740992.0);
    const T m = u >= p ? scale : T(0);
    mask[i] = m;
    xn[i] = y[i] * m;
  });
}

// This device's part of the recurrent ops (the Dev policy of ops/recurrent.h).
struct CudaRnn {
  struct Guard {
    explicit Guard(const Device& dv) : guard(dv.index) {}
    DeviceGuard guard;
  };
  template <typename T>
  static void gemm(const Device& dv, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                   const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
    cuda::gemm<T>(dv.index, ta, tb, m, n, k, T(1), a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
  }
  template <typename T>
  static void bias_rows(const Device& dv, T* dst, int64_t rows, int64_t width, const T* b1, const T* b2) {
    fill_bias_rows<T>(dv.index, dst, rows, width, b1, b2);
  }
  template <typename T>
  static void copy_rows(const Device& dv, T* dst, const T* src, int64_t ld_src, int64_t rows, int64_t width) {
    cuda::copy_rows<T>(dv.index, dst, src, ld_src, rows, width);
  }
  template <typename T>
  static void copy_or_zero(const Device& dv, T* dst, const T* src, int64_t n) {
    const size_t bytes = sizeof(T) * static_cast<size_t>(n);
    if (bytes == 0) return;
    cudaStream_t st = stream(dv.index);
    if (src) NW_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, st));
    else NW_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, st));
  }
  template <typename T>
  static void sum_rows(const Device& dv, const T* src, int64_t rows, int64_t width, T* dst) {
    cuda::sum_rows<T>(dv.index, src, rows, width, width, dst);
  }
  template <typename T>
  static void lstm_cell(const Device& dv, int64_t N, int64_t H, T* gates, const T* cprev, int64_t ldcp, T* c, T* h,
                        int64_t ldh) {
    lstm_step_forward<T>(dv.index, N, H, gates, cprev, ldcp, c, h, ldh);
  }
  // gh = W_hh h by the GEMM; the step kernel adds b_hh.
  template <typename T>
  static void gru_step(const Device& dv, int64_t N, int64_t H, const T* gi, T* gh, const T* Whh, const T* bhh,
                       const T* hprev, int64_t ldhp, T* gates, T* h, int64_t ldh) {
    gemm<T>(dv, false, true, N, 3 * H, H, hprev, ldhp, Whh, H, T(0), gh, 3 * H);
    gru_step_forward<T>(dv.index, N, H, gi, gh, bhh, hprev, ldhp, gates, h, ldh);
  }
  template <typename T>
  static void rnn_cell(const Device& dv, bool relu, int64_t N, int64_t H, const T* gi, T* h, int64_t ldh) {
    rnn_step_forward<T>(dv.index, relu, N, H, gi, h, ldh);
  }
  template <typename T>
  static void lstm_cell_backward(const Device& dv, int64_t N, int64_t H, const T* gates, const T* c, const T* cprev,
                                 int64_t ldcp, const T* dh, const T* dy, int64_t ldy, T* dc, T* dg) {
    lstm_step_backward<T>(dv.index, N, H, gates, c, cprev, ldcp, dh, dy, ldy, dc, dg);
  }
  template <typename T>
  static void gru_cell_backward(const Device& dv, int64_t N, int64_t H, const T* gates, const T* hprev, int64_t ldhp,
                                const T* dh, const T* dy, int64_t ldy, T* dgi, T* dgh, T* dhp) {
    gru_step_backward<T>(dv.index, N, H, gates, hprev, ldhp, dh, dy, ldy, dgi, dgh, dhp);
  }
  template <typename T>
  static void rnn_cell_backward(const Device& dv, bool relu, int64_t N, int64_t H, const T* h, int64_t ldh,
                                const T* dh, const T* dy, int64_t ldy, T* dg) {
    rnn_step_backward<T>(dv.index, relu, N, H, h, ldh, dh, dy, ldy, dg);
  }
  template <typename T>
  static void dropout(const Device& dv, double p, int64_t n, const T* y, T* mask, T* xn) {
    dropout_mask<T>(dv.index, default_generator(dv).next_u64(), p, n, y, mask, xn);
  }
  template <typename T>
  static void mul_mask(const Device& dv, int64_t n, T* x, const T* mask) {
    launch(dv.index, n, [=] __device__(int64_t i) { x[i] *= mask[i]; });
  }
};

}  // namespace

void register_recurrent_ops(OpRegistry& r) {
  using rnn::backward_op;
  using rnn::forward_op;
  r.add(op_rnn, forward_op<CudaRnn, Mode::RnnTanh>, backward_op<CudaRnn, Mode::RnnTanh>);
  r.add(op_lstm, forward_op<CudaRnn, Mode::Lstm>, backward_op<CudaRnn, Mode::Lstm>);
  r.add(op_gru, forward_op<CudaRnn, Mode::Gru>, backward_op<CudaRnn, Mode::Gru>);
}

}  // namespace nw::cuda
