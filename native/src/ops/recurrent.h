// The recurrent ops (rnn, lstm, gru), shared by the CPU implementation (recurrent.cpp)
// and the CUDA one (cuda/recurrent.cu): argument checks, the input layout (x, h0, [c0],
// weights per layer and direction, PyTorch's order), the saved-tensor layout, and the
// whole forward and backward through layers, directions and time steps, so both devices
// agree on every rule and message. A device supplies its GEMM, copies and fused step
// kernels (the `Dev` policy below).
#pragma once

#include <type_traits>
#include <utility>

#include "ops/host_device.h"
#include "core/op.h"
#include "ops/ops.h"

namespace nw::rnn {

enum class Mode { RnnTanh, RnnRelu, Lstm, Gru };

struct Config {
  Mode mode = Mode::Lstm;
  const char* name = "lstm";
  int64_t L = 1, D = 1, H = 0, I = 0, T = 0, N = 0, G = 1;
  bool bias = true, batch_first = false, unbatched = false, training = false;
  double dropout = 0;
  int state_inputs = 1;  // h0 (+ c0 for LSTM)
  int64_t per_dir = 4;   // weights per layer and direction
  bool has_cell() const { return mode == Mode::Lstm; }
  bool dropping() const { return training && dropout > 0 && L > 1; }
  int64_t in_size(int64_t l) const { return l == 0 ? I : D * H; }
  int64_t weight_index(int64_t l, int64_t d) const { return 1 + state_inputs + (l * D + d) * per_dir; }
};

// Checks the op's inputs and attributes (E_ARG, E_ARITY, E_SHAPE, E_DTYPE) and returns the
// configuration. `mode` is RnnTanh for the rnn op (the nonlinearity attribute picks relu).
Config make_config(Mode mode, const TensorList& in, const Attrs& at);

// Saved-tensor layout: [x_tm, h0, c0, per layer (Y, Xnext, mask), per layer-dir (gates, C), weights...]
struct Slots {
  int64_t x = 0, h0 = 1, c0 = 2, layers = 3, dirs, weights;
  explicit Slots(const Config& c) : dirs(3 + 3 * c.L), weights(3 + 3 * c.L + 2 * c.L * c.D) {}
  int64_t y(int64_t l) const { return layers + 3 * l; }
  int64_t xnext(int64_t l) const { return layers + 3 * l + 1; }
  int64_t mask(int64_t l) const { return layers + 3 * l + 2; }
  int64_t gates(const Config& c, int64_t l, int64_t d) const { return dirs + 2 * (l * c.D + d); }
  int64_t cell(const Config& c, int64_t l, int64_t d) const { return dirs + 2 * (l * c.D + d) + 1; }
};

// The configuration rebuilt in backward from the attributes and the saved tensors `sv`
// (time-major x [T, N, I] and h0 [L*D, N, H]); the inputs themselves are not kept.
Config saved_config(Mode mode, const OpContext& ctx, const TensorList& sv);

// ---- the math of one unit (row r, unit j) of a step, shared by the CPU loops and the CUDA
// kernels; M supplies exp and tanh for T (the CPU's vectorisable ones, the device's) ----
template <class M, typename T>
NW_HOST_DEVICE_INLINE T sigmoid(T x) {
  return T(1) / (T(1) + M::exp(-x));
}
// LSTM: g (the row's gates) holds the pre-activations i,f,g,o of unit j and is overwritten
// with the activations, which backward needs; *c and *h get the new state.
template <class M, typename T>
NW_HOST_DEVICE_INLINE void lstm_unit(int64_t j, int64_t H, T* g, T cprev, T* c, T* h) {
  const T i = sigmoid<M>(g[j]), f = sigmoid<M>(g[H + j]), gg = M::tanh(g[2 * H + j]), o = sigmoid<M>(g[3 * H + j]);
  const T cc = f * cprev + i * gg;
  g[j] = i;
  g[H + j] = f;
  g[2 * H + j] = gg;
  g[3 * H + j] = o;
  *c = cc;
  *h = o * M::tanh(cc);
}
// LSTM backward: dht = dL/dh_t (recurrent + from the output); *dc carries dL/dc_t in and
// dL/dc_{t-1} out; d (the row's 4H) gets dL/d(pre-activations).
template <class M, typename T>
NW_HOST_DEVICE_INLINE void lstm_unit_backward(int64_t j, int64_t H, const T* g, T c, T cprev, T dht, T* dc, T* d) {
  const T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
  const T tc = M::tanh(c);
  const T dct = *dc + dht * o * (T(1) - tc * tc);
  d[j] = dct * gg * i * (T(1) - i);
  d[H + j] = dct * cprev * f * (T(1) - f);
  d[2 * H + j] = dct * i * (T(1) - gg * gg);
  d[3 * H + j] = dht * tc * o * (T(1) - o);
  *dc = dct * f;
}
// GRU: a = W_ih x + b_ih (the row's r,z,n), gh_* = W_hh h + b_hh of unit j;
// n = tanh(a_n + r * gh_n). s (the row's 4H) gets r, z, n and gh_n; *h the new state.
template <class M, typename T>
NW_HOST_DEVICE_INLINE void gru_unit(int64_t j, int64_t H, const T* a, T ghr, T ghz, T ghn, T hprev, T* s, T* h) {
  const T rr = sigmoid<M>(a[j] + ghr), z = sigmoid<M>(a[H + j] + ghz);
  const T n = M::tanh(a[2 * H + j] + rr * ghn);
  s[j] = rr;
  s[H + j] = z;
  s[2 * H + j] = n;
  s[3 * H + j] = ghn;
  *h = (T(1) - z) * n + z * hprev;
}
// GRU backward: a and b (the row's 3H) get the gradients of both projections, *dhp the
// direct part of dL/dh_{t-1} (dht * z); the W_hh part is added by a GEMM after.
template <typename T>
NW_HOST_DEVICE_INLINE void gru_unit_backward(int64_t j, int64_t H, const T* s, T hprev, T dht, T* a, T* b, T* dhp) {
  const T rr = s[j], z = s[H + j], n = s[2 * H + j], ghn = s[3 * H + j];
  const T dan = dht * (T(1) - z) * (T(1) - n * n);
  const T dar = dan * ghn * rr * (T(1) - rr);
  const T daz = dht * (hprev - n) * z * (T(1) - z);
  a[j] = dar;
  a[H + j] = daz;
  a[2 * H + j] = dan;
  b[j] = dar;
  b[H + j] = daz;
  b[2 * H + j] = dan * rr;
  *dhp = dht * z;
}
// Elman RNN: h = tanh(a) or relu(a) (relu keeps NaN); backward from the output h.
template <class M, typename T>
NW_HOST_DEVICE_INLINE T rnn_unit(T a, bool relu) {
  return relu ? (a > T(0) ? a : (a != a ? a : T(0))) : M::tanh(a);
}
template <typename T>
NW_HOST_DEVICE_INLINE T rnn_unit_backward(T h, T dht, bool relu) {
  return relu ? (h > T(0) ? dht : T(0)) : dht * (T(1) - h * h);
}

// ---- forward and backward on a device ----
// `Dev` supplies, for T float or double, pointers on the device `dv`, arrays row-major:
//   Guard(dv): makes the device current for the scope.
//   gemm<T>(dv, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc): C = op(A) op(B) + beta C.
//   bias_rows<T>(dv, dst, rows, width, b1, b2): dst[r, :] = b1 (+ b2 when not null).
//   copy_rows<T>(dv, dst, src, ld_src, rows, width): dst[r, :] = src[r * ld_src + 0:width].
//   copy_or_zero<T>(dv, dst, src, n): dst = src, or zeros when src is null.
//   sum_rows<T>(dv, src, rows, width, dst): dst[j] = sum_r src[r, j].
//   lstm_cell<T>(dv, N, H, gates, cprev, ldcp, c, h, ldh): gates holds the pre-activations
//     i,f,g,o and is overwritten with the activations; writes c and h.
//   gru_step<T>(dv, N, H, gi, gh, Whh, bhh, hprev, ldhp, gates, h, ldh): gh = hprev Whh^T
//     + bhh, then r, z, n and h; gates gets r, z, n and gh_n (with its bias).
//   rnn_cell<T>(dv, relu, N, H, gi, h, ldh): h = tanh(gi) or relu(gi) (relu keeps NaN).
//   lstm_cell_backward<T>(dv, N, H, gates, c, cprev, ldcp, dh, dy, ldy, dc, dg),
//   gru_cell_backward<T>(dv, N, H, gates, hprev, ldhp, dh, dy, ldy, dgi, dgh, dhp),
//   rnn_cell_backward<T>(dv, relu, N, H, h, ldh, dh, dy, ldy, dg): one step back, dL/dh_t =
//     dh + dy; see the kernels for what each writes.
//   dropout<T>(dv, p, n, y, mask, xn): mask = (u >= p) / (1 - p) for uniform u, xn = y * mask.
//   mul_mask<T>(dv, n, x, mask): x *= mask.

template <typename T>
constexpr DType dtype_of() {
  return std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
}
template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
// Sequence-major [T, N, F] contiguous copy of a batch-first [N, T, F] tensor (and back).
inline Tensor swap01(const Tensor& t) { return ops::transpose(t, 0, 1).contiguous(); }

// Forward of one layer and direction: Y [T, N, D*H] (this direction's columns), gates and
// C (per step, saved for backward), h_n and c_n.
template <class Dev, typename T>
void layer_forward(const Config& c, const Device& dv, int64_t l, int64_t d, const T* X, const T* Wih, const T* Whh,
                   const T* bih, const T* bhh, const T* h0, const T* c0, T* Y, T* gates, T* C, T* hn, T* cn) {
  const int64_t H = c.H, N = c.N, TT = c.T, GH = c.G * H, Ld = c.D * H, I = c.in_size(l);
  const int64_t rows = TT * N;
  // Input projection of every step at once; for RNN/LSTM both biases go in here.
  Tensor gi_buf;
  T* gi = gates;
  if (c.mode != Mode::Lstm) {
    gi_buf = empty({rows, GH}, dtype_of<T>(), dv);
    gi = gi_buf.data<T>();
  }
  if (bih) Dev::bias_rows(dv, gi, rows, GH, bih, c.mode == Mode::Gru ? nullptr : bhh);
  Dev::gemm(dv, false, true, rows, GH, I, X, I, Wih, I, bih ? T(1) : T(0), gi, GH);
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
      Dev::gru_step(dv, N, H, git, gh, Whh, bhh, hp, ldhp, gates + t * N * 4 * H, yt, Ld);
    } else {
      Dev::gemm(dv, false, true, N, GH, H, hp, ldhp, Whh, H, T(1), git, GH);
      if (c.mode == Mode::Lstm) {
        const T* cp = s == 0 ? c0 : C + tp * N * H;
        Dev::lstm_cell(dv, N, H, git, cp, H, C + t * N * H, yt, Ld);
      } else {
        Dev::rnn_cell(dv, c.mode == Mode::RnnRelu, N, H, git, yt, Ld);
      }
    }
  }
  const int64_t tl = d == 0 ? TT - 1 : 0;
  Dev::copy_rows(dv, hn, Y + tl * N * Ld + d * H, Ld, N, H);
  if (cn) Dev::copy_rows(dv, cn, C + tl * N * H, H, N, H);
}

template <class Dev>
TensorList forward(const Config& c, OpContext& ctx, const TensorList& in) {
  const DType dt = in[0].dtype();
  const Device dv = in[0].device();
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
        layer_forward<Dev, T>(c, dv, l, d, layer_in.data<T>(), ptr<T>(saved[w]), ptr<T>(saved[w + 1]),
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
        // Inverted dropout between layers: keep with probability 1-p, scale by 1/(1-p).
        Tensor mask = empty({TT, N, Ld}, dt, dv);
        Tensor xn = empty({TT, N, Ld}, dt, dv);
        Dev::dropout(dv, c.dropout, mask.numel(), y.data<T>(), mask.data<T>(), xn.data<T>());
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

// Backward of one layer and direction.
// dY: dL/d(this layer's output) [T, N, D*H]; dhn/dcn: dL/dh_n, dL/dc_n slices (or null);
// writes dX (+= when d > 0), dh0, dc0 and the four weight gradients.
template <class Dev, typename T>
void layer_backward(const Config& c, const Device& dv, int64_t l, int64_t d, const T* X, const T* Y, const T* gates,
                    const T* C, const T* Wih, const T* Whh, const T* h0, const T* c0, const T* dY, const T* dhn,
                    const T* dcn, T* dX, T* dh0, T* dc0, T* dWih, T* dWhh, T* dbih, T* dbhh) {
  const int64_t H = c.H, N = c.N, TT = c.T, GH = c.G * H, Ld = c.D * H, I = c.in_size(l), rows = TT * N;
  const DType dt = dtype_of<T>();
  Tensor dgi_t = empty({rows, GH}, dt, dv);
  Tensor dgh_t = c.mode == Mode::Gru ? empty({rows, GH}, dt, dv) : dgi_t;
  T* dgi = dgi_t.data<T>();
  T* dgh = dgh_t.data<T>();
  Tensor dh_a = empty({N, H}, dt, dv), dh_b = empty({N, H}, dt, dv);
  T* dh = dh_a.data<T>();
  T* dh_next = dh_b.data<T>();
  Dev::copy_or_zero(dv, dh, dhn, N * H);
  Tensor dc_t;
  T* dc = nullptr;
  if (c.has_cell()) {
    dc_t = empty({N, H}, dt, dv);
    dc = dc_t.data<T>();
    Dev::copy_or_zero(dv, dc, dcn, N * H);
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
      Dev::lstm_cell_backward(dv, N, H, gates + t * N * GH, C + t * N * H, cp, H, dh, dyt, Ld, dc, dgit);
      Dev::gemm(dv, false, false, N, H, GH, dgit, GH, Whh, H, T(0), dh_next, H);
    } else if (c.mode == Mode::Gru) {
      Dev::gru_cell_backward(dv, N, H, gates + t * N * 4 * H, hp, ldhp, dh, dyt, Ld, dgit, dght, dh_next);
      Dev::gemm(dv, false, false, N, H, GH, dght, GH, Whh, H, T(1), dh_next, H);
    } else {
      Dev::rnn_cell_backward(dv, c.mode == Mode::RnnRelu, N, H, Y + t * N * Ld + d * H, Ld, dh, dyt, Ld, dgit);
      Dev::gemm(dv, false, false, N, H, GH, dgit, GH, Whh, H, T(0), dh_next, H);
    }
    std::swap(dh, dh_next);
  }
  Dev::copy_or_zero(dv, dh0, static_cast<const T*>(dh), N * H);
  if (dc0) Dev::copy_or_zero(dv, dc0, static_cast<const T*>(dc), N * H);
  // Weight gradients for all steps at once.
  Dev::gemm(dv, true, false, GH, I, rows, dgi, GH, X, I, T(0), dWih, I);
  // dW_hh = sum_t dgh_t^T h_prev(t): h_prev is the previous step's output, h0 at the first step.
  const int64_t first = d == 0 ? 0 : TT - 1;  // the step that read h0
  if (TT > 1) {
    const T* dg_rest = d == 0 ? dgh + N * GH : dgh;
    const T* h_rest = d == 0 ? Y + d * H : Y + N * Ld + d * H;
    Dev::gemm(dv, true, false, GH, H, (TT - 1) * N, dg_rest, GH, h_rest, Ld, T(0), dWhh, H);
  }
  Dev::gemm(dv, true, false, GH, H, N, dgh + first * N * GH, GH, h0, H, TT > 1 ? T(1) : T(0), dWhh, H);
  if (dbih) {
    Dev::sum_rows(dv, dgi, rows, GH, dbih);
    Dev::sum_rows(dv, dgh, rows, GH, dbhh);
  }
  if (dX) Dev::gemm(dv, false, false, rows, I, GH, dgi, GH, Wih, I, d == 0 ? T(0) : T(1), dX, I);
}

template <class Dev>
TensorList backward(const Config& c, OpContext& ctx, const TensorList& sv, const TensorList& g) {
  const Slots slots(c);
  const Tensor& x = sv[slots.x];
  const DType dt = x.dtype();
  const Device dv = x.device();
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
        layer_backward<Dev, T>(c, dv, l, d, X.data<T>(), sv[slots.y(l)].data<T>(), ptr<T>(sv[slots.gates(c, l, d)]),
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
        if (c.dropping()) Dev::mul_mask(dv, dX.numel(), dX.data<T>(), static_cast<const T*>(sv[slots.mask(l - 1)].data<T>()));
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

// The op functions (ForwardFn, BackwardFn) of mode M on device Dev.
template <class Dev, Mode M>
TensorList forward_op(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Config c = make_config(M, in, at);
  typename Dev::Guard guard(in[0].device());
  return forward<Dev>(c, ctx, in);
}
template <class Dev, Mode M>
TensorList backward_op(OpContext& ctx, const TensorList& g) {
  const TensorList sv = ctx.saved();
  const Config c = saved_config(M, ctx, sv);
  typename Dev::Guard guard(sv[Slots(c).x].device());
  return backward<Dev>(c, ctx, sv, g);
}

}  // namespace nw::rnn
