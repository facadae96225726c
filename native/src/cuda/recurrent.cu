// Recurrent layers on CUDA with ops/recurrent.cpp's semantics (torch.nn.RNN/LSTM/GRU:
// stacked, bidirectional, batch_first, inter-layer dropout, initial states) and the same
// inputs, outputs and saved-tensor layout (ops/recurrent.h). One GEMM projects every
// time step's input, one GEMM per step projects h, a fused kernel does each step's gate
// math, and backward runs through time by hand with the CPU's formulas.
#include "core/autograd.h"
#include "core/random.h"
#include "cuda/common.cuh"
#include "cuda/sum_rows.cuh"
#include "ops/ops.h"
#include "ops/recurrent.h"

namespace nw::cuda {
namespace {

using rnn::Config;
using rnn::Mode;
using rnn::Slots;

template <typename T>
constexpr DType dtype_of() {
  return std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
}
template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <typename T>
__device__ inline T sigm(T x) {
  return T(1) / (T(1) + exp(-x));
}

// ---- fused step kernels: one thread per (row r, unit j) of a step's [N, H] ----

// LSTM: g holds the pre-activations i,f,g,o (x and h projections and both biases) and is
// overwritten with the activations, which backward needs.
template <typename T>
void lstm_step_forward(int device, int64_t N, int64_t H, T* gates, const T* cprev, int64_t ldcp, T* c, T* h,
                       int64_t ldh) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    T* g = gates + r * 4 * H;
    const T i = sigm(g[j]), f = sigm(g[H + j]), gg = tanh(g[2 * H + j]), o = sigm(g[3 * H + j]);
    const T cc = f * cprev[r * ldcp + j] + i * gg;
    g[j] = i;
    g[H + j] = f;
    g[2 * H + j] = gg;
    g[3 * H + j] = o;
    c[r * H + j] = cc;
    h[r * ldh + j] = o * tanh(cc);
  });
}

// LSTM backward of one step: dh (recurrent) + dy (from the output) is dL/dh_t; dc carries
// dL/dc_t in and dL/dc_{t-1} out; dg gets dL/d(pre-activations).
template <typename T>
void lstm_step_backward(int device, int64_t N, int64_t H, const T* gates, const T* c, const T* cprev, int64_t ldcp,
                        const T* dh, const T* dy, int64_t ldy, T* dc, T* dg) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    const T* g = gates + r * 4 * H;
    T* d = dg + r * 4 * H;
    const T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
    const T dht = dh[r * H + j] + dy[r * ldy + j];
    const T tc = tanh(c[r * H + j]);
    const T dct = dc[r * H + j] + dht * o * (T(1) - tc * tc);
    d[j] = dct * gg * i * (T(1) - i);
    d[H + j] = dct * cprev[r * ldcp + j] * f * (T(1) - f);
    d[2 * H + j] = dct * i * (T(1) - gg * gg);
    d[3 * H + j] = dht * tc * o * (T(1) - o);
    dc[r * H + j] = dct * f;
  });
}

// GRU: gi = W_ih x + b_ih, gh = W_hh h (+ b_hh, added here); n = tanh(gi_n + r * gh_n).
// Saves r, z, n and gh_n (with its bias) per row in `gates` (4H).
template <typename T>
void gru_step_forward(int device, int64_t N, int64_t H, const T* gi, const T* gh, const T* bhh, const T* hprev,
                      int64_t ldhp, T* gates, T* h, int64_t ldh) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    const T* a = gi + r * 3 * H;
    const T* b = gh + r * 3 * H;
    const T br = bhh ? bhh[j] : T(0), bz = bhh ? bhh[H + j] : T(0), bn = bhh ? bhh[2 * H + j] : T(0);
    const T rr = sigm(a[j] + (b[j] + br)), z = sigm(a[H + j] + (b[H + j] + bz));
    const T ghn = b[2 * H + j] + bn;
    const T n = tanh(a[2 * H + j] + rr * ghn);
    T* s = gates + r * 4 * H;
    s[j] = rr;
    s[H + j] = z;
    s[2 * H + j] = n;
    s[3 * H + j] = ghn;
    h[r * ldh + j] = (T(1) - z) * n + z * hprev[r * ldhp + j];
  });
}

// GRU backward of one step: dgi, dgh get the gradients of both projections; dhp gets the
// direct part of dL/dh_{t-1} (dh * z); the W_hh part is added by a GEMM after.
template <typename T>
void gru_step_backward(int device, int64_t N, int64_t H, const T* gates, const T* hprev, int64_t ldhp, const T* dh,
                       const T* dy, int64_t ldy, T* dgi, T* dgh, T* dhp) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    const T* s = gates + r * 4 * H;
    const T rr = s[j], z = s[H + j], n = s[2 * H + j], ghn = s[3 * H + j];
    const T dht = dh[r * H + j] + dy[r * ldy + j];
    const T dan = dht * (T(1) - z) * (T(1) - n * n);
    const T dar = dan * ghn * rr * (T(1) - rr);
    const T daz = dht * (hprev[r * ldhp + j] - n) * z * (T(1) - z);
    T* a = dgi + r * 3 * H;
    T* b = dgh + r * 3 * H;
    a[j] = dar;
    a[H + j] = daz;
    a[2 * H + j] = dan;
    b[j] = dar;
    b[H + j] = daz;
    b[2 * H + j] = dan * rr;
    dhp[r * H + j] = dht * z;
  });
}

// Elman RNN: h = act(gi) where gi already holds both projections and biases. relu keeps NaN.
template <typename T>
void rnn_step_forward(int device, bool relu, int64_t N, int64_t H, const T* gi, T* h, int64_t ldh) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    const T a = gi[r * H + j];
    h[r * ldh + j] = relu ? (a > T(0) ? a : (a != a ? a : T(0))) : tanh(a);
  });
}
template <typename T>
void rnn_step_backward(int device, bool relu, int64_t N, int64_t H, const T* h, int64_t ldh, const T* dh, const T* dy,
                       int64_t ldy, T* dg) {
  launch(device, N * H, [=] __device__(int64_t e) {
    const int64_t r = e / H, j = e - r * H;
    const T g = dh[r * H + j] + dy[r * ldy + j];
    const T hv = h[r * ldh + j];
    dg[r * H + j] = relu ? (hv > T(0) ? g : T(0)) : g * (T(1) - hv * hv);
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

template <typename T>
void gemm1(int device, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
           int64_t ldb, T beta, T* c, int64_t ldc) {
  gemm<T>(device, ta, tb, m, n, k, T(1), a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
}

// ---- forward of one layer and direction (device pointers; the CPU's layer_forward) ----
template <typename T>
void layer_forward(const Config& c, int device, int64_t l, int64_t d, const T* X, const T* Wih, const T* Whh,
                   const T* bih, const T* bhh, const T* h0, const T* c0, T* Y, T* gates, T* C, T* hn, T* cn) {
  const int64_t H = c.H, N = c.N, TT = c.T, GH = c.G * H, Ld = c.D * H, I = c.in_size(l);
  const int64_t rows = TT * N;
  const Device dv{DeviceType::CUDA, device};
  // Input projection of every step at once; for RNN/LSTM both biases go in here.
  Tensor gi_buf;
  T* gi = gates;
  if (c.mode != Mode::Lstm) {
    gi_buf = empty({rows, GH}, dtype_of<T>(), dv);
    gi = gi_buf.data<T>();
  }
  if (bih) fill_bias_rows<T>(device, gi, rows, GH, bih, c.mode == Mode::Gru ? nullptr : bhh);
  gemm1<T>(device, false, true, rows, GH, I, X, I, Wih, I, bih ? T(1) : T(0), gi, GH);
  Tensor gh_buf;
  T* gh = nullptr;
  if (c.mode == Mode::Gru) {
    gh_buf = empty({N, GH}, dtype_of<T>(), dv);
    gh = gh_buf.data<T>();
  }
  for (int64_t s = 0; s < TT; ++s) {
    const int64_t t = d == 0 ? s : TT - 1 - s;
    const int64_t tp = d == 0 ? t - 1 : t + 1;
    const T* hp = s == 0 ? h0 : Y + tp * N * Ld + d * H;
    const int64_t ldhp = s == 0 ? H : Ld;
    T* yt = Y + t * N * Ld + d * H;
    T* git = gi + t * N * GH;
    if (c.mode == Mode::Gru) {
      gemm1<T>(device, false, true, N, GH, H, hp, ldhp, Whh, H, T(0), gh, GH);
      gru_step_forward<T>(device, N, H, git, gh, bhh, hp, ldhp, gates + t * N * 4 * H, yt, Ld);
    } else {
      gemm1<T>(device, false, true, N, GH, H, hp, ldhp, Whh, H, T(1), git, GH);
      if (c.mode == Mode::Lstm) {
        const T* cp = s == 0 ? c0 : C + tp * N * H;
        lstm_step_forward<T>(device, N, H, git, cp, H, C + t * N * H, yt, Ld);
      } else {
        rnn_step_forward<T>(device, c.mode == Mode::RnnRelu, N, H, git, yt, Ld);
      }
    }
  }
  const int64_t tl = d == 0 ? TT - 1 : 0;
  copy_rows<T>(device, hn, Y + tl * N * Ld + d * H, Ld, N, H);
  if (cn) copy_rows<T>(device, cn, C + tl * N * H, H, N, H);
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

// Sequence-major [T, N, F] contiguous copy of a batch-first [N, T, F] tensor (and back).
Tensor swap01(const Tensor& t) { return ops::transpose(t, 0, 1).contiguous(); }

TensorList recurrent_forward(Mode mode, OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Config c = rnn::make_config(mode, in, at);
  const DType dt = in[0].dtype();
  const Device dv = in[0].device();
  const int device = dv.index;
  DeviceGuard guard(device);
  const int64_t H = c.H, N = c.N, TT = c.T, Ld = c.D * H;
  Tensor x = in[0];
  if (c.unbatched) x = ops::unsqueeze(x, 1);
  else if (c.batch_first) x = swap01(x);
  x = x.contiguous();
  auto state = [&](int i) {
    Tensor s = in[1 + i];
    if (!s.defined()) return zeros({c.L * c.D, N, H}, dt, dv);
    return (c.unbatched ? ops::unsqueeze(s, 1) : s).contiguous();
  };
  Tensor h0 = state(0);
  Tensor c0 = c.has_cell() ? state(1) : Tensor();
  Tensor hn = empty({c.L * c.D, N, H}, dt, dv);
  Tensor cn = c.has_cell() ? empty({c.L * c.D, N, H}, dt, dv) : Tensor();
  Slots slots(c);
  TensorList saved(slots.weights + c.L * c.D * c.per_dir);
  saved[slots.x] = x;
  saved[slots.h0] = h0;
  saved[slots.c0] = c0;
  for (int64_t k = 0; k < c.L * c.D * c.per_dir; ++k) saved[slots.weights + k] = in[1 + c.state_inputs + k].contiguous();
  Tensor layer_in = x;
  Tensor y;
  NW_DISPATCH_FLOAT(dt, c.name, [&] {
    using T = scalar_t;
    for (int64_t l = 0; l < c.L; ++l) {
      y = empty({TT, N, Ld}, dt, dv);
      for (int64_t d = 0; d < c.D; ++d) {
        const int64_t w = slots.weights + (l * c.D + d) * c.per_dir;
        Tensor gates = c.mode == Mode::Lstm || c.mode == Mode::Gru ? empty({TT * N, 4 * H}, dt, dv) : Tensor();
        Tensor cell = c.has_cell() ? empty({TT * N, H}, dt, dv) : Tensor();
        const int64_t sidx = l * c.D + d;
        layer_forward<T>(c, device, l, d, layer_in.data<T>(), ptr<T>(saved[w]), ptr<T>(saved[w + 1]),
                         c.bias ? ptr<T>(saved[w + 2]) : nullptr, c.bias ? ptr<T>(saved[w + 3]) : nullptr,
                         h0.data<T>() + sidx * N * H, c.has_cell() ? c0.data<T>() + sidx * N * H : nullptr,
                         y.data<T>(), ptr<T>(gates), ptr<T>(cell), hn.data<T>() + sidx * N * H,
                         c.has_cell() ? cn.data<T>() + sidx * N * H : nullptr);
        saved[slots.gates(c, l, d)] = gates;
        saved[slots.cell(c, l, d)] = cell;
      }
      saved[slots.y(l)] = y;
      layer_in = y;
      if (l + 1 < c.L && c.dropping()) {
        Tensor mask = empty({TT, N, Ld}, dt, dv);
        Tensor xn = empty({TT, N, Ld}, dt, dv);
        const uint64_t seed = default_generator(dv).next_u64();
        dropout_mask<T>(device, seed, c.dropout, mask.numel(), y.data<T>(), mask.data<T>(), xn.data<T>());
        saved[slots.mask(l)] = mask;
        saved[slots.xnext(l)] = xn;
        layer_in = xn;
      }
    }
  });
  ctx.save(saved);
  Tensor out = y;
  if (c.unbatched) {
    out = ops::reshape(y, {TT, Ld});
    hn = ops::reshape(hn, {c.L * c.D, H});
    if (cn.defined()) cn = ops::reshape(cn, {c.L * c.D, H});
  } else if (c.batch_first) {
    out = swap01(y);
  }
  if (c.has_cell()) return {out, hn, cn};
  return {out, hn};
}

// ---- backward of one layer and direction (the CPU's layer_backward) ----
// dY: dL/d(this layer's output) [T, N, D*H]; dhn/dcn: dL/dh_n, dL/dc_n slices (or null);
// writes dX (+= when d > 0), dh0, dc0 and the four weight gradients.
template <typename T>
void layer_backward(const Config& c, int device, int64_t l, int64_t d, const T* X, const T* Y, const T* gates,
                    const T* C, const T* Wih, const T* Whh, const T* h0, const T* c0, const T* dY, const T* dhn,
                    const T* dcn, T* dX, T* dh0, T* dc0, T* dWih, T* dWhh, T* dbih, T* dbhh) {
  const int64_t H = c.H, N = c.N, TT = c.T, GH = c.G * H, Ld = c.D * H, I = c.in_size(l), rows = TT * N;
  const DType dt = dtype_of<T>();
  const Device dv{DeviceType::CUDA, device};
  cudaStream_t st = stream(device);
  Tensor dgi_t = empty({rows, GH}, dt, dv);
  Tensor dgh_t = c.mode == Mode::Gru ? empty({rows, GH}, dt, dv) : dgi_t;
  T* dgi = dgi_t.data<T>();
  T* dgh = dgh_t.data<T>();
  Tensor dh_a = empty({N, H}, dt, dv), dh_b = empty({N, H}, dt, dv);
  T* dh = dh_a.data<T>();
  T* dh_next = dh_b.data<T>();
  const size_t state_bytes = sizeof(T) * static_cast<size_t>(N * H);
  if (state_bytes) {
    if (dhn) NW_CUDA_CHECK(cudaMemcpyAsync(dh, dhn, state_bytes, cudaMemcpyDeviceToDevice, st));
    else NW_CUDA_CHECK(cudaMemsetAsync(dh, 0, state_bytes, st));
  }
  Tensor dc_t;
  T* dc = nullptr;
  if (c.has_cell()) {
    dc_t = empty({N, H}, dt, dv);
    dc = dc_t.data<T>();
    if (state_bytes) {
      if (dcn) NW_CUDA_CHECK(cudaMemcpyAsync(dc, dcn, state_bytes, cudaMemcpyDeviceToDevice, st));
      else NW_CUDA_CHECK(cudaMemsetAsync(dc, 0, state_bytes, st));
    }
  }
  for (int64_t s = TT - 1; s >= 0; --s) {
    const int64_t t = d == 0 ? s : TT - 1 - s;
    const int64_t tp = d == 0 ? t - 1 : t + 1;
    const T* hp = s == 0 ? h0 : Y + tp * N * Ld + d * H;
    const int64_t ldhp = s == 0 ? H : Ld;
    const T* dyt = dY + t * N * Ld + d * H;
    T* dgit = dgi + t * N * GH;
    T* dght = dgh + t * N * GH;
    if (c.mode == Mode::Lstm) {
      const T* cp = s == 0 ? c0 : C + tp * N * H;
      lstm_step_backward<T>(device, N, H, gates + t * N * GH, C + t * N * H, cp, H, dh, dyt, Ld, dc, dgit);
      gemm1<T>(device, false, false, N, H, GH, dgit, GH, Whh, H, T(0), dh_next, H);
    } else if (c.mode == Mode::Gru) {
      gru_step_backward<T>(device, N, H, gates + t * N * 4 * H, hp, ldhp, dh, dyt, Ld, dgit, dght, dh_next);
      gemm1<T>(device, false, false, N, H, GH, dght, GH, Whh, H, T(1), dh_next, H);
    } else {
      rnn_step_backward<T>(device, c.mode == Mode::RnnRelu, N, H, Y + t * N * Ld + d * H, Ld, dh, dyt, Ld, dgit);
      gemm1<T>(device, false, false, N, H, GH, dgit, GH, Whh, H, T(0), dh_next, H);
    }
    std::swap(dh, dh_next);
  }
  if (state_bytes) {
    NW_CUDA_CHECK(cudaMemcpyAsync(dh0, dh, state_bytes, cudaMemcpyDeviceToDevice, st));
    if (dc0) NW_CUDA_CHECK(cudaMemcpyAsync(dc0, dc, state_bytes, cudaMemcpyDeviceToDevice, st));
  }
  // Weight gradients for all steps at once.
  gemm1<T>(device, true, false, GH, I, rows, dgi, GH, X, I, T(0), dWih, I);
  // dW_hh = sum_t dgh_t^T h_prev(t): h_prev is the previous step's output, h0 at the first step.
  const int64_t first = d == 0 ? 0 : TT - 1;  // the step that read h0
  if (TT > 1) {
    const T* dg_rest = d == 0 ? dgh + N * GH : dgh;
    const T* h_rest = d == 0 ? Y + d * H : Y + N * Ld + d * H;
    gemm1<T>(device, true, false, GH, H, (TT - 1) * N, dg_rest, GH, h_rest, Ld, T(0), dWhh, H);
  }
  gemm1<T>(device, true, false, GH, H, N, dgh + first * N * GH, GH, h0, H, TT > 1 ? T(1) : T(0), dWhh, H);
  if (dbih) {
    sum_rows<T>(device, dgi, rows, GH, GH, dbih);
    sum_rows<T>(device, dgh, rows, GH, GH, dbhh);
  }
  if (dX) gemm1<T>(device, false, false, rows, I, GH, dgi, GH, Wih, I, d == 0 ? T(0) : T(1), dX, I);
}

// x *= mask, elementwise (the inter-layer dropout's gradient).
template <typename T>
void mul_inplace(int device, int64_t n, T* x, const T* mask) {
  launch(device, n, [=] __device__(int64_t i) { x[i] *= mask[i]; });
}

TensorList recurrent_backward(Mode mode, OpContext& ctx, const TensorList& g) {
  TensorList sv = ctx.saved();
  const Config c = rnn::saved_config(mode, ctx, sv);
  const Slots slots(c);
  const Tensor& x = sv[slots.x];
  const DType dt = x.dtype();
  const Device dv = x.device();
  const int device = dv.index;
  DeviceGuard guard(device);
  const int64_t H = c.H, N = c.N, TT = c.T, Ld = c.D * H;
  const size_t n_in = ctx.needs_input_grad.size();
  TensorList grads(n_in);
  auto time_major = [&](const Tensor& t) -> Tensor {
    if (c.unbatched) return ops::reshape(t, {TT, 1, Ld}).contiguous();
    return (c.batch_first ? swap01(t) : t).contiguous();
  };
  auto state_grad = [&](const Tensor& t) -> Tensor {
    if (!t.defined()) return Tensor();
    return ops::reshape(t, {c.L * c.D, N, H}).contiguous();
  };
  Tensor dy = g[0].defined() ? time_major(g[0]) : zeros({TT, N, Ld}, dt, dv);
  Tensor dhn = state_grad(g[1]);
  Tensor dcn = c.has_cell() && g.size() > 2 ? state_grad(g[2]) : Tensor();
  Tensor dh0 = empty({c.L * c.D, N, H}, dt, dv);
  Tensor dc0 = c.has_cell() ? empty({c.L * c.D, N, H}, dt, dv) : Tensor();
  Tensor dx;
  NW_DISPATCH_FLOAT(dt, c.name, [&] {
    using T = scalar_t;
    // Gradients arrive in the op's dtype (autograd casts them back to each input's).
    if (dy.dtype() != dt) dy = to_dtype(dy, dt);
    if (dhn.defined() && dhn.dtype() != dt) dhn = to_dtype(dhn, dt);
    if (dcn.defined() && dcn.dtype() != dt) dcn = to_dtype(dcn, dt);
    for (int64_t l = c.L - 1; l >= 0; --l) {
      const Tensor& X = l == 0 ? x : (c.dropping() ? sv[slots.xnext(l - 1)] : sv[slots.y(l - 1)]);
      const bool want_dx = l > 0 || ctx.needs_input_grad[0];
      Tensor dX = want_dx ? empty({TT, N, c.in_size(l)}, dt, dv) : Tensor();
      for (int64_t d = 0; d < c.D; ++d) {
        const int64_t sidx = l * c.D + d;
        const int64_t wi = slots.weights + sidx * c.per_dir;
        const int64_t gi = 1 + c.state_inputs + sidx * c.per_dir;
        Tensor dWih = empty(sv[wi].sizes(), dt, dv), dWhh = empty(sv[wi + 1].sizes(), dt, dv);
        Tensor dbih = c.bias ? empty(sv[wi + 2].sizes(), dt, dv) : Tensor();
        Tensor dbhh = c.bias ? empty(sv[wi + 3].sizes(), dt, dv) : Tensor();
        layer_backward<T>(c, device, l, d, X.data<T>(), sv[slots.y(l)].data<T>(), ptr<T>(sv[slots.gates(c, l, d)]),
                          ptr<T>(sv[slots.cell(c, l, d)]), sv[wi].data<T>(), sv[wi + 1].data<T>(),
                          sv[slots.h0].data<T>() + sidx * N * H,
                          c.has_cell() ? sv[slots.c0].data<T>() + sidx * N * H : nullptr, dy.data<T>(),
                          dhn.defined() ? dhn.data<T>() + sidx * N * H : nullptr,
                          dcn.defined() ? dcn.data<T>() + sidx * N * H : nullptr, ptr<T>(dX),
                          dh0.data<T>() + sidx * N * H, c.has_cell() ? dc0.data<T>() + sidx * N * H : nullptr,
                          dWih.data<T>(), dWhh.data<T>(), ptr<T>(dbih), ptr<T>(dbhh));
        grads[gi] = dWih;
        grads[gi + 1] = dWhh;
        if (c.bias) {
          grads[gi + 2] = dbih;
          grads[gi + 3] = dbhh;
        }
      }
      if (l > 0) {
        if (c.dropping()) mul_inplace<T>(device, dX.numel(), dX.data<T>(), sv[slots.mask(l - 1)].data<T>());
        dy = dX;
      } else {
        dx = dX;
      }
    }
  });
  if (dx.defined()) {
    if (c.unbatched) grads[0] = ops::reshape(dx, {TT, c.I});
    else grads[0] = c.batch_first ? swap01(dx) : dx;
  }
  auto state_out = [&](const Tensor& t) { return c.unbatched ? ops::reshape(t, {c.L * c.D, H}) : t; };
  if (n_in > 1 && ctx.needs_input_grad[1]) grads[1] = state_out(dh0);
  if (c.has_cell() && n_in > 2 && ctx.needs_input_grad[2]) grads[2] = state_out(dc0);
  return grads;
}

TensorList rnn_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  return recurrent_forward(Mode::RnnTanh, ctx, in, at);
}
TensorList rnn_backward(OpContext& ctx, const TensorList& g) { return recurrent_backward(Mode::RnnTanh, ctx, g); }
TensorList lstm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  return recurrent_forward(Mode::Lstm, ctx, in, at);
}
TensorList lstm_backward(OpContext& ctx, const TensorList& g) { return recurrent_backward(Mode::Lstm, ctx, g); }
TensorList gru_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  return recurrent_forward(Mode::Gru, ctx, in, at);
}
TensorList gru_backward(OpContext& ctx, const TensorList& g) { return recurrent_backward(Mode::Gru, ctx, g); }

}  // namespace

void register_recurrent_ops(OpRegistry& r) {
  r.add(op_rnn, rnn_forward, rnn_backward);
  r.add(op_lstm, lstm_forward, lstm_backward);
  r.add(op_gru, gru_forward, gru_backward);
}

}  // namespace nw::cuda
