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
NW_INLINE float vtanh(float x) {
  const float e = vexp(-2.0f * std::fabs(x));
  return std::copysign((1.0f - e) / (1.0f + e), x);
}
NW_INLINE double vtanh(double x) { return std::tanh(x); }

// The unit math of recurrent.h with these exp and tanh.
struct CpuMath {
  template <typename T> static NW_INLINE T exp(T x) { return vexp(x); }
  template <typename T> static NW_INLINE T tanh(T x) { return vtanh(x); }
};

// ---- fused cell loops over rows [r0, r1) of one time step (recurrent.h's unit math) ----

template <typename T>
NW_INLINE void lstm_fwd_rows(int64_t r0, int64_t r1, int64_t H, T* __restrict gates, const T* __restrict cprev,
                             int64_t ldcp, T* __restrict c, T* __restrict h, int64_t ldh) {
  for (int64_t r = r0; r < r1; ++r) {
    T* g = gates + r * 4 * H;
    const T* cp = cprev + r * ldcp;
    T* cr = c + r * H;
    T* hr = h + r * ldh;
    for (int64_t j = 0; j < H; ++j) lstm_unit<CpuMath>(j, H, g, cp[j], cr + j, hr + j);
  }
}

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
    for (int64_t j = 0; j < H; ++j) lstm_unit_backward<CpuMath>(j, H, g, cr[j], cp[j], dhr[j] + dyr[j], dcr + j, d);
  }
}

// gh holds W_hh h + b_hh.
template <typename T>
NW_INLINE void gru_fwd_rows(int64_t r0, int64_t r1, int64_t H, const T* __restrict gi, const T* __restrict gh,
                            const T* __restrict hprev, int64_t ldhp, T* __restrict gates, T* __restrict h, int64_t ldh) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* a = gi + r * 3 * H;
    const T* b = gh + r * 3 * H;
    const T* hp = hprev + r * ldhp;
    T* s = gates + r * 4 * H;
    T* hr = h + r * ldh;
    for (int64_t j = 0; j < H; ++j) gru_unit<CpuMath>(j, H, a, b[j], b[H + j], b[2 * H + j], hp[j], s, hr + j);
  }
}

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
    for (int64_t j = 0; j < H; ++j) gru_unit_backward(j, H, s, hp[j], dhr[j] + dyr[j], a, b, o + j);
  }
}

template <typename T, bool Relu>
NW_INLINE void rnn_fwd_rows(int64_t r0, int64_t r1, int64_t H, const T* __restrict gi, T* __restrict h, int64_t ldh) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* a = gi + r * H;
    T* hr = h + r * ldh;
    for (int64_t j = 0; j < H; ++j) hr[j] = rnn_unit<CpuMath>(a[j], Relu);
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
    for (int64_t j = 0; j < H; ++j) d[j] = rnn_unit_backward(hr[j], dhr[j] + dyr[j], Relu);
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

// The CPU's part of the recurrent ops (the Dev policy of recurrent.h): the packed GEMM,
// memcpy, and the fused step loops split over the thread pool (float32 through the
// SIMD clones).
struct CpuRnn {
  struct Guard {
    explicit Guard(const Device&) {}
  };
  template <typename T>
  static void gemm(const Device&, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
                   int64_t ldb, T beta, T* c, int64_t ldc) {
    rnn::gemm<T>(ta, tb, m, n, k, T(1), a, lda, b, ldb, beta, c, ldc);
  }
  template <typename T>
  static void bias_rows(const Device&, T* dst, int64_t rows, int64_t width, const T* b1, const T* b2) {
    if (rows <= 0) return;
    for (int64_t j = 0; j < width; ++j) dst[j] = b2 ? b1[j] + b2[j] : b1[j];
    for (int64_t r = 1; r < rows; ++r) std::memcpy(dst + r * width, dst, sizeof(T) * width);
  }
  template <typename T>
  static void copy_rows(const Device&, T* dst, const T* src, int64_t ld_src, int64_t rows, int64_t width) {
    for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * width, src + r * ld_src, sizeof(T) * width);
  }
  template <typename T>
  static void copy_or_zero(const Device&, T* dst, const T* src, int64_t n) {
    if (src) std::memcpy(dst, src, sizeof(T) * n);
    else std::fill(dst, dst + n, T(0));
  }
  template <typename T>
  static void sum_rows(const Device&, const T* src, int64_t rows, int64_t width, T* dst) {
    std::fill(dst, dst + width, T(0));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < width; ++j) dst[j] += src[r * width + j];
  }
  template <typename T>
  static void lstm_cell(const Device&, int64_t N, int64_t H, T* gates, const T* cprev, int64_t ldcp, T* c, T* h, int64_t ldh) {
    for_rows(N, 5 * H, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>) lstm_fwd_f32(b, e, H, gates, cprev, ldcp, c, h, ldh);
      else lstm_fwd_rows<T>(b, e, H, gates, cprev, ldcp, c, h, ldh);
    });
  }
  // b_hh goes into gh before the GEMM adds W_hh h.
  template <typename T>
  static void gru_step(const Device& dv, int64_t N, int64_t H, const T* gi, T* gh, const T* Whh, const T* bhh, const T* hprev,
                       int64_t ldhp, T* gates, T* h, int64_t ldh) {
    const int64_t GH = 3 * H;
    if (bhh) bias_rows(dv, gh, N, GH, bhh, static_cast<const T*>(nullptr));
    rnn::gemm<T>(false, true, N, GH, H, T(1), hprev, ldhp, Whh, H, bhh ? T(1) : T(0), gh, GH);
    for_rows(N, 4 * H, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>) gru_fwd_f32(b, e, H, gi, gh, hprev, ldhp, gates, h, ldh);
      else gru_fwd_rows<T>(b, e, H, gi, gh, hprev, ldhp, gates, h, ldh);
    });
  }
  template <typename T>
  static void rnn_cell(const Device&, bool relu, int64_t N, int64_t H, const T* gi, T* h, int64_t ldh) {
    if (relu) return rnn_fwd_rows<T, true>(0, N, H, gi, h, ldh);
    for_rows(N, 2 * H, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>) rnn_tanh_fwd_f32(b, e, H, gi, h, ldh);
      else rnn_fwd_rows<T, false>(b, e, H, gi, h, ldh);
    });
  }
  template <typename T>
  static void lstm_cell_backward(const Device&, int64_t N, int64_t H, const T* gates, const T* c, const T* cprev, int64_t ldcp,
                                 const T* dh, const T* dy, int64_t ldy, T* dc, T* dg) {
    for_rows(N, 5 * H, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>) lstm_bwd_f32(b, e, H, gates, c, cprev, ldcp, dh, dy, ldy, dc, dg);
      else lstm_bwd_rows<T>(b, e, H, gates, c, cprev, ldcp, dh, dy, ldy, dc, dg);
    });
  }
  template <typename T>
  static void gru_cell_backward(const Device&, int64_t N, int64_t H, const T* gates, const T* hprev, int64_t ldhp, const T* dh,
                                const T* dy, int64_t ldy, T* dgi, T* dgh, T* dhp) {
    for_rows(N, 4 * H, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>) gru_bwd_f32(b, e, H, gates, hprev, ldhp, dh, dy, ldy, dgi, dgh, dhp);
      else gru_bwd_rows<T>(b, e, H, gates, hprev, ldhp, dh, dy, ldy, dgi, dgh, dhp);
    });
  }
  template <typename T>
  static void rnn_cell_backward(const Device&, bool relu, int64_t N, int64_t H, const T* h, int64_t ldh, const T* dh,
                                const T* dy, int64_t ldy, T* dg) {
    if (relu) return rnn_bwd_rows<T, true>(0, N, H, h, ldh, dh, dy, ldy, dg);
    for_rows(N, 2 * H, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>) rnn_tanh_bwd_f32(b, e, H, h, ldh, dh, dy, ldy, dg);
      else rnn_bwd_rows<T, false>(b, e, H, h, ldh, dh, dy, ldy, dg);
    });
  }
  template <typename T>
  static void dropout(const Device&, double p, int64_t n, const T* y, T* mask, T* xn) {
    const T scale = p >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    Generator& gen = default_generator();
    for (int64_t i = 0; i < n; ++i) mask[i] = gen.uniform() >= p ? scale : T(0);
    for (int64_t i = 0; i < n; ++i) xn[i] = y[i] * mask[i];
  }
  template <typename T>
  static void mul_mask(const Device&, int64_t n, T* x, const T* mask) {
    for (int64_t i = 0; i < n; ++i) x[i] *= mask[i];
  }
};

}  // namespace
}  // namespace rnn

using rnn::CpuRnn;
using rnn::Mode;

const OpDef op_rnn = {"rnn", -1, GradKind::Differentiable, rnn::forward_op<CpuRnn, Mode::RnnTanh>, rnn::backward_op<CpuRnn, Mode::RnnTanh>,
                      "nn.RNN (tanh or relu): (x, h0|none, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...) -> (output, h_n)"};
const OpDef op_lstm = {"lstm", -1, GradKind::Differentiable, rnn::forward_op<CpuRnn, Mode::Lstm>, rnn::backward_op<CpuRnn, Mode::Lstm>,
                       "nn.LSTM (gates i,f,g,o): (x, h0|none, c0|none, weights per layer and direction) -> (output, h_n, c_n)"};
const OpDef op_gru = {"gru", -1, GradKind::Differentiable, rnn::forward_op<CpuRnn, Mode::Gru>, rnn::backward_op<CpuRnn, Mode::Gru>,
                      "nn.GRU (gates r,z,n): (x, h0|none, weights per layer and direction) -> (output, h_n)"};

}  // namespace nw
