// Recurrent layers with torch.nn.RNN/LSTM/GRU semantics (stacked, bidirectional,
// batch_first, inter-layer dropout): one GEMM projects every time step's input, one
// GEMM per step projects h, the gate math is one fused pass, and backward runs
// through time by hand (GEMMs for dh and the weight gradients), not on the tape.
#include <cmath>
#include <cstring>

#include "core/autograd.h"
#include "core/random.h"
#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "ops.h"
#include "recurrent.h"

namespace nw {
namespace rnn {
namespace {

// ---- math: float32 uses an inline exp (Cephes expf, ~1 ulp) so the gate loops
// vectorise; float64 uses libm for full precision.
#define NW_INLINE inline __attribute__((always_inline))

NW_INLINE float vexp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  float fx = x * 1.44269504088896341f + 0.5f;
  int n = static_cast<int>(fx);
  n -= fx < static_cast<float>(n) ? 1 : 0;  // floor without a libm call
  const float nf = static_cast<float>(n);
  x = x - nf * 0.693359375f + nf * 2.12194440e-4f;
  const float z = x * x;
  float y = 1.9875691500E-4f;
  y = y * x + 1.3981999507E-3f;
  y = y * x + 8.3334519073E-3f;
  y = y * x + 4.1665795894E-2f;
  y = y * x + 1.6666665459E-1f;
  y = y * x + 5.0000001201E-1f;
  y = y * z + x + 1.0f;
  return y * __builtin_bit_cast(float, (n + 127) << 23);
}
NW_INLINE double vexp(double x) { return std::exp(x); }
template <typename T>
NW_INLINE T sigm(T x) { return T(1) / (T(1) + vexp(-x)); }
NW_INLINE float vtanh(float x) {
  const float e = vexp(-2.0f * std::fabs(x));
  return std::copysign((1.0f - e) / (1.0f + e), x);
}
NW_INLINE double vtanh(double x) { return std::tanh(x); }

// ---- fused cell kernels over rows [r0, r1) of one time step ----

// LSTM: g holds the pre-activations i,f,g,o (x and h projections and both biases) and is
// overwritten with the activations, which backward needs.
template <typename T>
NW_INLINE void lstm_fwd_rows(int64_t r0, int64_t r1, int64_t H, T* __restrict gates, const T* __restrict cprev,
                             int64_t ldcp, T* __restrict c, T* __restrict h, int64_t ldh) {
  for (int64_t r = r0; r < r1; ++r) {
    T* g = gates + r * 4 * H;
    const T* cp = cprev + r * ldcp;
    T* cr = c + r * H;
    T* hr = h + r * ldh;
    for (int64_t j = 0; j < H; ++j) {
      const T i = sigm(g[j]), f = sigm(g[H + j]), gg = vtanh(g[2 * H + j]), o = sigm(g[3 * H + j]);
      const T cc = f * cp[j] + i * gg;
      g[j] = i;
      g[H + j] = f;
      g[2 * H + j] = gg;
      g[3 * H + j] = o;
      cr[j] = cc;
      hr[j] = o * vtanh(cc);
    }
  }
}

// LSTM backward of one step: dh (recurrent) + dy (from the output) is dL/dh_t; dc carries
// dL/dc_t in and dL/dc_{t-1} out; dg gets dL/d(pre-activations).
template <typename T>
NW_INLINE void lstm_bwd_rows(int64_t r0, int64_t r1, int64_t H, const T* __restrict gates, const T* __restrict c,
                             const T* __restrict cprev, int64_t ldcp, const T* __restrict dh, const T* __restrict dy,
                             int64_t ldy, T* __restrict dc, T* __restrict dg) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* g = gates + r * 4 * H;
    const T* cr = c + r * H;
    const T* cp = cprev + r * ldcp;
    const T* dhr = dh + r * H;
    const T* dyr = dy + r * ldy;
    T* dcr = dc + r * H;
    T* d = dg + r * 4 * H;
    for (int64_t j = 0; j < H; ++j) {
      const T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
      const T dht = dhr[j] + dyr[j];
      const T tc = vtanh(cr[j]);
      const T dct = dcr[j] + dht * o * (T(1) - tc * tc);
      d[j] = dct * gg * i * (T(1) - i);
      d[H + j] = dct * cp[j] * f * (T(1) - f);
      d[2 * H + j] = dct * i * (T(1) - gg * gg);
      d[3 * H + j] = dht * tc * o * (T(1) - o);
      dcr[j] = dct * f;
    }
  }
}

// GRU: gi = W_ih x + b_ih, gh = W_hh h + b_hh (both r,z,n); n = tanh(gi_n + r * gh_n).
// Saves r, z, n and gh_n per row in `gates` (4H).
template <typename T>
NW_INLINE void gru_fwd_rows(int64_t r0, int64_t r1, int64_t H, const T* __restrict gi, const T* __restrict gh,
                            const T* __restrict hprev, int64_t ldhp, T* __restrict gates, T* __restrict h, int64_t ldh) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* a = gi + r * 3 * H;
    const T* b = gh + r * 3 * H;
    const T* hp = hprev + r * ldhp;
    T* s = gates + r * 4 * H;
    T* hr = h + r * ldh;
    for (int64_t j = 0; j < H; ++j) {
      const T rr = sigm(a[j] + b[j]), z = sigm(a[H + j] + b[H + j]);
      const T ghn = b[2 * H + j];
      const T n = vtanh(a[2 * H + j] + rr * ghn);
      s[j] = rr;
      s[H + j] = z;
      s[2 * H + j] = n;
      s[3 * H + j] = ghn;
      hr[j] = (T(1) - z) * n + z * hp[j];
    }
  }
}

// GRU backward of one step: dgi, dgh get the gradients of both projections; dhp gets
// the direct part of dL/dh_{t-1} (dh * z); the W_hh part is added by a GEMM after.
template <typename T>
NW_INLINE void gru_bwd_rows(int64_t r0, int64_t r1, int64_t H, const T* __restrict gates, const T* __restrict hprev,
                            int64_t ldhp, const T* __restrict dh, const T* __restrict dy, int64_t ldy, T* __restrict dgi,
                            T* __restrict dgh, T* __restrict dhp) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* s = gates + r * 4 * H;
    const T* hp = hprev + r * ldhp;
    const T* dhr = dh + r * H;
    const T* dyr = dy + r * ldy;
    T* a = dgi + r * 3 * H;
    T* b = dgh + r * 3 * H;
    T* o = dhp + r * H;
    for (int64_t j = 0; j < H; ++j) {
      const T rr = s[j], z = s[H + j], n = s[2 * H + j], ghn = s[3 * H + j];
      const T dht = dhr[j] + dyr[j];
      const T dan = dht * (T(1) - z) * (T(1) - n * n);
      const T dar = dan * ghn * rr * (T(1) - rr);
      const T daz = dht * (hp[j] - n) * z * (T(1) - z);
      a[j] = dar;
      a[H + j] = daz;
      a[2 * H + j] = dan;
      b[j] = dar;
      b[H + j] = daz;
      b[2 * H + j] = dan * rr;
      o[j] = dht * z;
    }
  }
}

// Elman RNN: h = act(gi) where gi already holds both projections and biases.
template <typename T, bool Relu>
NW_INLINE void rnn_fwd_rows(int64_t r0, int64_t r1, int64_t H, const T* __restrict gi, T* __restrict h, int64_t ldh) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* a = gi + r * H;
    T* hr = h + r * ldh;
    for (int64_t j = 0; j < H; ++j) hr[j] = Relu ? (a[j] > T(0) ? a[j] : (a[j] != a[j] ? a[j] : T(0))) : vtanh(a[j]);
  }
}
template <typename T, bool Relu>
NW_INLINE void rnn_bwd_rows(int64_t r0, int64_t r1, int64_t H, const T* __restrict h, int64_t ldh, const T* __restrict dh,
                            const T* __restrict dy, int64_t ldy, T* __restrict dg) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* hr = h + r * ldh;
    const T* dhr = dh + r * H;
    const T* dyr = dy + r * ldy;
    T* d = dg + r * H;
    for (int64_t j = 0; j < H; ++j) {
      const T g = dhr[j] + dyr[j];
      d[j] = Relu ? (hr[j] > T(0) ? g : T(0)) : g * (T(1) - hr[j] * hr[j]);
    }
  }
}

// float32 entry points, compiled for AVX-512, AVX2+FMA and baseline; the loader picks one.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NW_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define NW_CLONES
#endif
NW_CLONES void lstm_fwd_f32(int64_t r0, int64_t r1, int64_t H, float* g, const float* cp, int64_t ldcp, float* c, float* h, int64_t ldh) {
  lstm_fwd_rows<float>(r0, r1, H, g, cp, ldcp, c, h, ldh);
}
NW_CLONES void lstm_bwd_f32(int64_t r0, int64_t r1, int64_t H, const float* g, const float* c, const float* cp, int64_t ldcp,
                            const float* dh, const float* dy, int64_t ldy, float* dc, float* dg) {
  lstm_bwd_rows<float>(r0, r1, H, g, c, cp, ldcp, dh, dy, ldy, dc, dg);
}
NW_CLONES void gru_fwd_f32(int64_t r0, int64_t r1, int64_t H, const float* gi, const float* gh, const float* hp, int64_t ldhp,
                           float* s, float* h, int64_t ldh) {
  gru_fwd_rows<float>(r0, r1, H, gi, gh, hp, ldhp, s, h, ldh);
}
NW_CLONES void gru_bwd_f32(int64_t r0, int64_t r1, int64_t H, const float* s, const float* hp, int64_t ldhp, const float* dh,
                           const float* dy, int64_t ldy, float* dgi, float* dgh, float* dhp) {
  gru_bwd_rows<float>(r0, r1, H, s, hp, ldhp, dh, dy, ldy, dgi, dgh, dhp);
}
NW_CLONES void rnn_tanh_fwd_f32(int64_t r0, int64_t r1, int64_t H, const float* gi, float* h, int64_t ldh) {
  rnn_fwd_rows<float, false>(r0, r1, H, gi, h, ldh);
}
NW_CLONES void rnn_tanh_bwd_f32(int64_t r0, int64_t r1, int64_t H, const float* h, int64_t ldh, const float* dh, const float* dy,
                                int64_t ldy, float* dg) {
  rnn_bwd_rows<float, false>(r0, r1, H, h, ldh, dh, dy, ldy, dg);
}

template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta,
          T* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if constexpr (std::is_same_v<T, float>) cpu::sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else cpu::dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Rows of one step split over the pool when the step is big enough to pay for it.
template <typename F>
void for_rows(int64_t rows, int64_t width, F f) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(width, 1));
  if (rows <= grain) {
    f(int64_t(0), rows);
    return;
  }
  cpu::parallel_for(0, rows, grain, [&](int64_t b, int64_t e) { f(b, e); });
}

}  // namespace

// ---- configuration ----

namespace {
const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Lstm: return "lstm";
    case Mode::Gru: return "gru";
    default: return "rnn";
  }
}
}  // namespace

Config make_config(Mode mode, const TensorList& in, const Attrs& at) {
  Config c;
  c.mode = mode;
  c.name = mode_name(mode);
  if (mode == Mode::RnnTanh) {
    std::string nl = at.s("nonlinearity", "tanh");
    NW_CHECK(nl == "tanh" || nl == "relu", "E_ARG", "rnn: nonlinearity must be 'tanh' or 'relu', got '" + nl + "'");
    if (nl == "relu") c.mode = Mode::RnnRelu;
  }
  c.G = mode == Mode::Lstm ? 4 : mode == Mode::Gru ? 3 : 1;
  c.state_inputs = mode == Mode::Lstm ? 2 : 1;
  c.L = at.i("num_layers", 1);
  c.D = at.b("bidirectional", false) ? 2 : 1;
  c.bias = at.b("bias", true);
  c.batch_first = at.b("batch_first", false);
  c.dropout = at.f("dropout", 0.0);
  c.training = at.b("training", false);
  c.per_dir = c.bias ? 4 : 2;
  const std::string op = c.name;
  NW_CHECK(c.L >= 1, "E_ARG", op + ": num_layers must be >= 1");
  NW_CHECK(c.dropout >= 0 && c.dropout <= 1, "E_ARG", op + ": dropout must be between 0 and 1");
  const int64_t want = 1 + c.state_inputs + c.L * c.D * c.per_dir;
  NW_CHECK(static_cast<int64_t>(in.size()) == want, "E_ARITY",
           op + " with num_layers=" + std::to_string(c.L) + (c.D == 2 ? ", bidirectional" : "") + (c.bias ? "" : ", bias=False") +
               " takes " + std::to_string(want) + " inputs (x, h0" + (c.has_cell() ? ", c0" : "") +
               ", then weight_ih, weight_hh" + (c.bias ? ", bias_ih, bias_hh" : "") + " per layer and direction), got " +
               std::to_string(in.size()));
  const Tensor& x = in[0];
  NW_CHECK(x.defined() && is_floating(x.dtype()), "E_DTYPE", op + ": input must be a float32 or float64 tensor");
  NW_CHECK(x.dim() == 2 || x.dim() == 3, "E_SHAPE",
           op + ": input must be 3-D " + (c.batch_first ? "[N, T, input_size]" : "[T, N, input_size]") + " (or 2-D unbatched), got " +
               shape_str(x.sizes()));
  c.unbatched = x.dim() == 2;
  c.T = c.unbatched || !c.batch_first ? x.sizes()[0] : x.sizes()[1];
  c.N = c.unbatched ? 1 : (c.batch_first ? x.sizes()[0] : x.sizes()[1]);
  c.I = x.sizes().back();
  const Tensor& w0 = in[c.weight_index(0, 0)];
  NW_CHECK(w0.defined() && w0.dim() == 2, "E_SHAPE", op + ": weight_ih_l0 must be a 2-D tensor");
  c.H = at.has("hidden_size") ? at.i("hidden_size") : w0.sizes()[0] / c.G;
  if (at.has("input_size"))
    NW_CHECK(at.i("input_size") == c.I, "E_SHAPE",
             op + ": input has " + std::to_string(c.I) + " features but input_size=" + std::to_string(at.i("input_size")));
  NW_CHECK(c.T >= 1, "E_SHAPE", op + ": the sequence is empty");
  for (int64_t l = 0; l < c.L; ++l)
    for (int64_t d = 0; d < c.D; ++d) {
      const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
      const int64_t k = c.weight_index(l, d);
      const Shape wih{c.G * c.H, c.in_size(l)}, whh{c.G * c.H, c.H}, b{c.G * c.H};
      auto check = [&](int64_t idx, const Shape& s, const std::string& name) {
        const Tensor& w = in[idx];
        NW_CHECK(w.defined(), "E_ARG", op + ": " + name + " is missing");
        NW_CHECK(w.sizes() == s, "E_SHAPE", op + ": " + name + " must have shape " + shape_str(s) + ", got " + shape_str(w.sizes()));
        NW_CHECK(w.dtype() == x.dtype(), "E_DTYPE",
                 op + ": " + name + " is " + dtype_name(w.dtype()) + " but the input is " + dtype_name(x.dtype()));
      };
      check(k, wih, "weight_ih" + sfx);
      check(k + 1, whh, "weight_hh" + sfx);
      if (c.bias) {
        check(k + 2, b, "bias_ih" + sfx);
        check(k + 3, b, "bias_hh" + sfx);
      }
    }
  const Shape state = c.unbatched ? Shape{c.L * c.D, c.H} : Shape{c.L * c.D, c.N, c.H};
  for (int s = 0; s < c.state_inputs; ++s) {
    const Tensor& h = in[1 + s];
    if (!h.defined()) continue;
    const char* nm = s == 0 ? "h0" : "c0";
    NW_CHECK(h.sizes() == state, "E_SHAPE",
             op + ": " + nm + " must have shape " + shape_str(state) + " ([num_layers*directions, N, hidden_size]), got " + shape_str(h.sizes()));
    NW_CHECK(h.dtype() == x.dtype(), "E_DTYPE", op + ": " + nm + " must have the input's dtype");
  }
  return c;
}

Config saved_config(Mode mode, const OpContext& ctx, const TensorList& sv) {
  Config c;
  c.mode = mode;
  if (mode == Mode::RnnTanh && ctx.attrs.s("nonlinearity", "tanh") == "relu") c.mode = Mode::RnnRelu;
  c.name = mode_name(mode);
  c.G = mode == Mode::Lstm ? 4 : mode == Mode::Gru ? 3 : 1;
  c.state_inputs = mode == Mode::Lstm ? 2 : 1;
  c.L = ctx.attrs.i("num_layers", 1);
  c.D = ctx.attrs.b("bidirectional", false) ? 2 : 1;
  c.bias = ctx.attrs.b("bias", true);
  c.batch_first = ctx.attrs.b("batch_first", false);
  c.dropout = ctx.attrs.f("dropout", 0.0);
  c.training = ctx.attrs.b("training", false);
  c.per_dir = c.bias ? 4 : 2;
  c.unbatched = ctx.input_shapes[0].size() == 2;
  const Slots slots(c);
  const Tensor& x = sv[slots.x];
  c.T = x.sizes()[0];
  c.N = x.sizes()[1];
  c.I = x.sizes()[2];
  c.H = sv[slots.h0].sizes()[2];
  return c;
}

namespace {

// Sequence-major [T, N, F] contiguous copy of a batch-first [N, T, F] tensor (and back).
Tensor swap01(const Tensor& t) { return ops::transpose(t, 0, 1).contiguous(); }

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// ---- forward of one layer and direction ----
template <typename T>
void layer_forward(const Config& c, int64_t l, int64_t d, const T* X, const T* Wih, const T* Whh, const T* bih, const T* bhh,
                   const T* h0, const T* c0, T* Y, T* gates, T* C, T* hn, T* cn) {
  const int64_t H = c.H, N = c.N, TT = c.T, GH = c.G * H, Ld = c.D * H, I = c.in_size(l);
  const int64_t rows = TT * N;
  // Input projection of every step at once; for RNN/LSTM both biases go in here.
  Tensor gi_buf;
  T* gi = gates;
  if (c.mode == Mode::Gru || c.mode == Mode::RnnTanh || c.mode == Mode::RnnRelu) {
    gi_buf = empty({rows, GH}, std::is_same_v<T, float> ? DType::Float32 : DType::Float64);
    gi = gi_buf.data<T>();
  }
  if (bih) {
    for (int64_t j = 0; j < GH; ++j) gi[j] = c.mode == Mode::Gru ? bih[j] : bih[j] + bhh[j];
    for (int64_t r = 1; r < rows; ++r) std::memcpy(gi + r * GH, gi, sizeof(T) * GH);
  }
  gemm<T>(false, true, rows, GH, I, T(1), X, I, Wih, I, bih ? T(1) : T(0), gi, GH);
  Tensor gh_buf;
  T* gh = nullptr;
  if (c.mode == Mode::Gru) {
    gh_buf = empty({N, GH}, std::is_same_v<T, float> ? DType::Float32 : DType::Float64);
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
      if (bhh)
        for (int64_t r = 0; r < N; ++r) std::memcpy(gh + r * GH, bhh, sizeof(T) * GH);
      gemm<T>(false, true, N, GH, H, T(1), hp, ldhp, Whh, H, bhh ? T(1) : T(0), gh, GH);
      T* st = gates + t * N * 4 * H;
      for_rows(N, 4 * H, [&](int64_t b, int64_t e) {
        if constexpr (std::is_same_v<T, float>) gru_fwd_f32(b, e, H, git, gh, hp, ldhp, st, yt, Ld);
        else gru_fwd_rows<T>(b, e, H, git, gh, hp, ldhp, st, yt, Ld);
      });
    } else {
      gemm<T>(false, true, N, GH, H, T(1), hp, ldhp, Whh, H, T(1), git, GH);
      if (c.mode == Mode::Lstm) {
        const T* cp = s == 0 ? c0 : C + tp * N * H;
        T* ct = C + t * N * H;
        for_rows(N, 5 * H, [&](int64_t b, int64_t e) {
          if constexpr (std::is_same_v<T, float>) lstm_fwd_f32(b, e, H, git, cp, H, ct, yt, Ld);
          else lstm_fwd_rows<T>(b, e, H, git, cp, H, ct, yt, Ld);
        });
      } else if (c.mode == Mode::RnnTanh) {
        for_rows(N, 2 * H, [&](int64_t b, int64_t e) {
          if constexpr (std::is_same_v<T, float>) rnn_tanh_fwd_f32(b, e, H, git, yt, Ld);
          else rnn_fwd_rows<T, false>(b, e, H, git, yt, Ld);
        });
      } else {
        rnn_fwd_rows<T, true>(0, N, H, git, yt, Ld);
      }
    }
  }
  const int64_t tl = d == 0 ? TT - 1 : 0;
  for (int64_t r = 0; r < N; ++r) std::memcpy(hn + r * H, Y + (tl * N + r) * Ld + d * H, sizeof(T) * H);
  if (cn) std::memcpy(cn, C + tl * N * H, sizeof(T) * N * H);
}

TensorList recurrent_forward(Mode mode, OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Config c = make_config(mode, in, at);
  const DType dt = in[0].dtype();
  const int64_t H = c.H, N = c.N, TT = c.T, Ld = c.D * H;
  Tensor x = in[0];
  if (c.unbatched) x = ops::unsqueeze(x, 1);
  else if (c.batch_first) x = swap01(x);
  x = x.contiguous();
  auto state = [&](int i) {
    Tensor s = in[1 + i];
    if (!s.defined()) return zeros({c.L * c.D, N, H}, dt);
    return (c.unbatched ? ops::unsqueeze(s, 1) : s).contiguous();
  };
  Tensor h0 = state(0);
  Tensor c0 = c.has_cell() ? state(1) : Tensor();
  Tensor hn = empty({c.L * c.D, N, H}, dt);
  Tensor cn = c.has_cell() ? empty({c.L * c.D, N, H}, dt) : Tensor();
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
      y = empty({TT, N, Ld}, dt);
      for (int64_t d = 0; d < c.D; ++d) {
        const int64_t w = slots.weights + (l * c.D + d) * c.per_dir;
        Tensor gates = c.mode == Mode::Lstm || c.mode == Mode::Gru ? empty({TT * N, 4 * H}, dt) : Tensor();
        Tensor cell = c.has_cell() ? empty({TT * N, H}, dt) : Tensor();
        const int64_t sidx = l * c.D + d;
        layer_forward<T>(c, l, d, layer_in.data<T>(), ptr<T>(saved[w]), ptr<T>(saved[w + 1]), c.bias ? ptr<T>(saved[w + 2]) : nullptr,
                         c.bias ? ptr<T>(saved[w + 3]) : nullptr, h0.data<T>() + sidx * N * H,
                         c.has_cell() ? c0.data<T>() + sidx * N * H : nullptr, y.data<T>(), ptr<T>(gates), ptr<T>(cell),
                         hn.data<T>() + sidx * N * H, c.has_cell() ? cn.data<T>() + sidx * N * H : nullptr);
        saved[slots.gates(c, l, d)] = gates;
        saved[slots.cell(c, l, d)] = cell;
      }
      saved[slots.y(l)] = y;
      layer_in = y;
      if (l + 1 < c.L && c.dropping()) {
        // Inverted dropout between layers: keep with probability 1-p, scale by 1/(1-p).
        Tensor mask = empty({TT, N, Ld}, dt);
        T* m = mask.data<T>();
        const T scale = c.dropout >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - c.dropout));
        Generator& gen = default_generator();
        for (int64_t i = 0; i < mask.numel(); ++i) m[i] = gen.uniform() >= c.dropout ? scale : T(0);
        Tensor xn = empty({TT, N, Ld}, dt);
        const T* py = y.data<T>();
        T* px = xn.data<T>();
        for (int64_t i = 0; i < xn.numel(); ++i) px[i] = py[i] * m[i];
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

// ---- backward of one layer and direction ----
// dY: dL/d(this layer's output) [T, N, D*H]; dhn/dcn: dL/dh_n, dL/dc_n slices (or null);
// writes dX (+= when d > 0), dh0, dc0 and the four weight gradients.
template <typename T>
void layer_backward(const Config& c, int64_t l, int64_t d, const T* X, const T* Y, const T* gates, const T* C, const T* Wih,
                    const T* Whh, const T* h0, const T* c0, const T* dY, const T* dhn, const T* dcn, T* dX, T* dh0, T* dc0,
                    T* dWih, T* dWhh, T* dbih, T* dbhh) {
  const int64_t H = c.H, N = c.N, TT = c.T, GH = c.G * H, Ld = c.D * H, I = c.in_size(l), rows = TT * N;
  const DType dt = std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
  Tensor dgi_t = empty({rows, GH}, dt);
  Tensor dgh_t = c.mode == Mode::Gru ? empty({rows, GH}, dt) : dgi_t;
  T* dgi = dgi_t.data<T>();
  T* dgh = dgh_t.data<T>();
  Tensor dh_a = empty({N, H}, dt), dh_b = empty({N, H}, dt);
  T* dh = dh_a.data<T>();
  T* dh_next = dh_b.data<T>();
  if (dhn) std::memcpy(dh, dhn, sizeof(T) * N * H);
  else std::fill(dh, dh + N * H, T(0));
  Tensor dc_t;
  T* dc = nullptr;
  if (c.has_cell()) {
    dc_t = empty({N, H}, dt);
    dc = dc_t.data<T>();
    if (dcn) std::memcpy(dc, dcn, sizeof(T) * N * H);
    else std::fill(dc, dc + N * H, T(0));
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
      const T* gt = gates + t * N * GH;
      const T* ct = C + t * N * H;
      for_rows(N, 5 * H, [&](int64_t b, int64_t e) {
        if constexpr (std::is_same_v<T, float>) lstm_bwd_f32(b, e, H, gt, ct, cp, H, dh, dyt, Ld, dc, dgit);
        else lstm_bwd_rows<T>(b, e, H, gt, ct, cp, H, dh, dyt, Ld, dc, dgit);
      });
      gemm<T>(false, false, N, H, GH, T(1), dgit, GH, Whh, H, T(0), dh_next, H);
    } else if (c.mode == Mode::Gru) {
      const T* st = gates + t * N * 4 * H;
      for_rows(N, 4 * H, [&](int64_t b, int64_t e) {
        if constexpr (std::is_same_v<T, float>) gru_bwd_f32(b, e, H, st, hp, ldhp, dh, dyt, Ld, dgit, dght, dh_next);
        else gru_bwd_rows<T>(b, e, H, st, hp, ldhp, dh, dyt, Ld, dgit, dght, dh_next);
      });
      gemm<T>(false, false, N, H, GH, T(1), dght, GH, Whh, H, T(1), dh_next, H);
    } else {
      const T* yt = Y + t * N * Ld + d * H;
      if (c.mode == Mode::RnnTanh) {
        for_rows(N, 2 * H, [&](int64_t b, int64_t e) {
          if constexpr (std::is_same_v<T, float>) rnn_tanh_bwd_f32(b, e, H, yt, Ld, dh, dyt, Ld, dgit);
          else rnn_bwd_rows<T, false>(b, e, H, yt, Ld, dh, dyt, Ld, dgit);
        });
      } else {
        rnn_bwd_rows<T, true>(0, N, H, yt, Ld, dh, dyt, Ld, dgit);
      }
      gemm<T>(false, false, N, H, GH, T(1), dgit, GH, Whh, H, T(0), dh_next, H);
    }
    std::swap(dh, dh_next);
  }
  std::memcpy(dh0, dh, sizeof(T) * N * H);
  if (dc0) std::memcpy(dc0, dc, sizeof(T) * N * H);
  // Weight gradients for all steps at once.
  gemm<T>(true, false, GH, I, rows, T(1), dgi, GH, X, I, T(0), dWih, I);
  // dW_hh = sum_t dgh_t^T h_prev(t): h_prev is the previous step's output, h0 at the first step.
  const int64_t first = d == 0 ? 0 : TT - 1;  // the step that read h0
  if (TT > 1) {
    const T* dg_rest = d == 0 ? dgh + N * GH : dgh;
    const T* h_rest = d == 0 ? Y + d * H : Y + N * Ld + d * H;
    gemm<T>(true, false, GH, H, (TT - 1) * N, T(1), dg_rest, GH, h_rest, Ld, T(0), dWhh, H);
  }
  gemm<T>(true, false, GH, H, N, T(1), dgh + first * N * GH, GH, h0, H, TT > 1 ? T(1) : T(0), dWhh, H);
  if (dbih) {
    std::fill(dbih, dbih + GH, T(0));
    std::fill(dbhh, dbhh + GH, T(0));
    for (int64_t r = 0; r < rows; ++r) {
      const T* a = dgi + r * GH;
      const T* b = dgh + r * GH;
      for (int64_t j = 0; j < GH; ++j) {
        dbih[j] += a[j];
        dbhh[j] += b[j];
      }
    }
  }
  if (dX) gemm<T>(false, false, rows, I, GH, T(1), dgi, GH, Wih, I, d == 0 ? T(0) : T(1), dX, I);
}

TensorList recurrent_backward(Mode mode, OpContext& ctx, const TensorList& g) {
  TensorList sv = ctx.saved();
  const Config c = saved_config(mode, ctx, sv);
  const Slots slots(c);
  const Tensor& x = sv[slots.x];
  const DType dt = x.dtype();
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
  Tensor dy = g[0].defined() ? time_major(g[0]) : zeros({TT, N, Ld}, dt);
  Tensor dhn = state_grad(g[1]);
  Tensor dcn = c.has_cell() && g.size() > 2 ? state_grad(g[2]) : Tensor();
  Tensor dh0 = empty({c.L * c.D, N, H}, dt);
  Tensor dc0 = c.has_cell() ? empty({c.L * c.D, N, H}, dt) : Tensor();
  Tensor dx;
  NW_DISPATCH_FLOAT(dt, c.name, [&] {
    using T = scalar_t;
    for (int64_t l = c.L - 1; l >= 0; --l) {
      const Tensor& X = l == 0 ? x : (c.dropping() ? sv[slots.xnext(l - 1)] : sv[slots.y(l - 1)]);
      const bool want_dx = l > 0 || ctx.needs_input_grad[0];
      Tensor dX = want_dx ? empty({TT, N, c.in_size(l)}, dt) : Tensor();
      for (int64_t d = 0; d < c.D; ++d) {
        const int64_t sidx = l * c.D + d;
        const int64_t wi = slots.weights + sidx * c.per_dir;
        const int64_t gi = 1 + c.state_inputs + sidx * c.per_dir;
        Tensor dWih = empty(sv[wi].sizes(), dt), dWhh = empty(sv[wi + 1].sizes(), dt);
        Tensor dbih = c.bias ? empty(sv[wi + 2].sizes(), dt) : Tensor();
        Tensor dbhh = c.bias ? empty(sv[wi + 3].sizes(), dt) : Tensor();
        layer_backward<T>(c, l, d, X.data<T>(), sv[slots.y(l)].data<T>(), ptr<T>(sv[slots.gates(c, l, d)]),
                          ptr<T>(sv[slots.cell(c, l, d)]), sv[wi].data<T>(), sv[wi + 1].data<T>(),
                          sv[slots.h0].data<T>() + sidx * N * H, c.has_cell() ? sv[slots.c0].data<T>() + sidx * N * H : nullptr,
                          dy.data<T>(), dhn.defined() ? dhn.data<T>() + sidx * N * H : nullptr,
                          dcn.defined() ? dcn.data<T>() + sidx * N * H : nullptr, ptr<T>(dX), dh0.data<T>() + sidx * N * H,
                          c.has_cell() ? dc0.data<T>() + sidx * N * H : nullptr, dWih.data<T>(), dWhh.data<T>(), ptr<T>(dbih),
                          ptr<T>(dbhh));
        grads[gi] = dWih;
        grads[gi + 1] = dWhh;
        if (c.bias) {
          grads[gi + 2] = dbih;
          grads[gi + 3] = dbhh;
        }
      }
      if (l > 0) {
        if (c.dropping()) {
          const T* m = sv[slots.mask(l - 1)].data<T>();
          T* p = dX.data<T>();
          for (int64_t i = 0; i < dX.numel(); ++i) p[i] *= m[i];
        }
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

TensorList rnn_forward(OpContext& ctx, const TensorList& in, const Attrs& at) { return recurrent_forward(Mode::RnnTanh, ctx, in, at); }
TensorList rnn_backward(OpContext& ctx, const TensorList& g) { return recurrent_backward(Mode::RnnTanh, ctx, g); }
TensorList lstm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) { return recurrent_forward(Mode::Lstm, ctx, in, at); }
TensorList lstm_backward(OpContext& ctx, const TensorList& g) { return recurrent_backward(Mode::Lstm, ctx, g); }
TensorList gru_forward(OpContext& ctx, const TensorList& in, const Attrs& at) { return recurrent_forward(Mode::Gru, ctx, in, at); }
TensorList gru_backward(OpContext& ctx, const TensorList& g) { return recurrent_backward(Mode::Gru, ctx, g); }

}  // namespace
}  // namespace rnn

using rnn::rnn_forward;
using rnn::rnn_backward;
using rnn::lstm_forward;
using rnn::lstm_backward;
using rnn::gru_forward;
using rnn::gru_backward;

const OpDef op_rnn = {"rnn", -1, GradKind::Differentiable, rnn_forward, rnn_backward,
                      "nn.RNN (tanh or relu): (x, h0|none, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...) -> (output, h_n)"};
const OpDef op_lstm = {"lstm", -1, GradKind::Differentiable, lstm_forward, lstm_backward,
                       "nn.LSTM (gates i,f,g,o): (x, h0|none, c0|none, weights per layer and direction) -> (output, h_n, c_n)"};
const OpDef op_gru = {"gru", -1, GradKind::Differentiable, gru_forward, gru_backward,
                      "nn.GRU (gates r,z,n): (x, h0|none, weights per layer and direction) -> (output, h_n)"};

}  // namespace nw
