// Elementwise ops on CUDA: arithmetic with broadcasting, comparisons, where, unary math
// and the in-place add_ used for gradient accumulation. Same dtypes, type promotion
// (ops::result_type), attributes, errors and NaN rules as ops/elementwise.cpp. Backward
// rules that the CPU writes with ops:: calls are reused as they are (they dispatch here).
#include <cmath>
#include <limits>

#include "cuda/math.cuh"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

Tensor cast(const Tensor& t, DType d) { return t.dtype() == d ? t : to_dtype(t, d); }

// out = f(a, b) in dtype `compute` (both operands converted first), broadcasting.
template <typename F>
Tensor binary(const Tensor& a, const Tensor& b, DType compute, F f) {
  Tensor ac = cast(a, compute), bc = cast(b, compute);
  Tensor out = empty(broadcast_shapes(a.sizes(), b.sizes()), compute, a.device());
  NW_DISPATCH_ALL(compute, [&] { ew_map2<scalar_t, scalar_t, scalar_t>(out, ac, bc, f); });
  return out;
}

template <typename F>
Tensor compare_impl(const Tensor& a, const Tensor& b, F f) {
  DType compute = ops::result_type(a, b);
  Tensor ac = cast(a, compute), bc = cast(b, compute);
  Tensor out = empty(broadcast_shapes(a.sizes(), b.sizes()), DType::Bool, a.device());
  NW_DISPATCH_ALL(compute, [&] { ew_map2<scalar_t, scalar_t, bool>(out, ac, bc, f); });
  return out;
}

// Unary float op: integer and bool inputs are computed (and returned) as float32.
template <typename F>
Tensor unary_float(const Tensor& a, const char* name, F f) {
  DType d = is_floating(a.dtype()) ? a.dtype() : DType::Float32;
  Tensor ac = cast(a, d);
  Tensor out = empty(a.sizes(), d, a.device());
  NW_DISPATCH_FLOAT(d, name, [&] { ew_map1<scalar_t, scalar_t>(out, ac, f); });
  return out;
}

template <typename F>
Tensor unary_same(const Tensor& a, F f) {
  Tensor out = empty(a.sizes(), a.dtype(), a.device());
  NW_DISPATCH_ALL(a.dtype(), [&] { ew_map1<scalar_t, scalar_t>(out, a, f); });
  return out;
}

// ---- functors: one templated __device__ operator() serves every dtype ----
struct AddF {
  template <typename T> __device__ T operator()(T x, T y) const { return static_cast<T>(x + y); }
};
template <typename T>
struct AddAlphaF {
  T al;
  __device__ T operator()(T x, T y) const { return static_cast<T>(x + al * y); }
};
template <typename T>
struct SubAlphaF {
  T al;
  __device__ T operator()(T x, T y) const { return static_cast<T>(x - al * y); }
};
struct MulF {
  template <typename T> __device__ T operator()(T x, T y) const { return static_cast<T>(x * y); }
};
struct DivF {
  template <typename T> __device__ T operator()(T x, T y) const { return static_cast<T>(x / y); }
};
struct PowF {
  template <typename T> __device__ T operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>) {
      return d_pow(x, y);
    } else {
      // Integer power by squaring; a negative exponent gives 0 (as the CPU).
      T r = 1, base = x;
      int64_t e = static_cast<int64_t>(y);
      if (e < 0) return static_cast<T>(0);
      while (e) {
        if (e & 1) r = static_cast<T>(r * base);
        base = static_cast<T>(base * base);
        e >>= 1;
      }
      return r;
    }
  }
};
template <bool IsMax>
struct MinMaxF {
  template <typename T> __device__ T operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (d_isnan(x) || d_isnan(y)) return d_nan<T>();
    }
    return IsMax ? (x > y ? x : y) : (x < y ? x : y);
  }
};
struct EqF { template <typename T> __device__ bool operator()(T x, T y) const { return x == y; } };
struct NeF { template <typename T> __device__ bool operator()(T x, T y) const { return x != y; } };
struct LtF { template <typename T> __device__ bool operator()(T x, T y) const { return x < y; } };
struct LeF { template <typename T> __device__ bool operator()(T x, T y) const { return x <= y; } };
struct GtF { template <typename T> __device__ bool operator()(T x, T y) const { return x > y; } };
struct GeF { template <typename T> __device__ bool operator()(T x, T y) const { return x >= y; } };
struct WhereF {
  template <typename T> __device__ T operator()(bool c, T x, T y) const { return c ? x : y; }
};
struct NegF {
  template <typename T> __device__ T operator()(T x) const { return static_cast<T>(-x); }
};
struct ExpF {
  template <typename T> __device__ T operator()(T x) const { return d_exp(x); }
};
struct LogF {
  template <typename T> __device__ T operator()(T x) const { return d_log(x); }
};
struct SqrtF {
  template <typename T> __device__ T operator()(T x) const { return d_sqrt(x); }
};
struct AbsF {
  template <typename T> __device__ T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return x;
    else return static_cast<T>(x < 0 ? -x : x);  // -0.0 and NaN pass through, as the CPU
  }
};
struct ClampF {
  double lo, hi;
  template <typename T> __device__ T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (d_isnan(x)) return x;
    }
    const double v = static_cast<double>(x);
    return static_cast<T>(v < lo ? lo : v > hi ? hi : v);
  }
};
struct IntPowF {  // integer tensor to a non-negative integral power
  int64_t e;
  template <typename T> __device__ T operator()(T x) const {
    T r = 1, base = x;
    for (int64_t k = e; k; k >>= 1) {
      if (k & 1) r = static_cast<T>(r * base);
      base = static_cast<T>(base * base);
    }
    return r;
  }
};
struct SquareF {
  template <typename T> __device__ T operator()(T x) const { return x * x; }
};
struct PowScalarF {  // std::pow(float, double) promotes to double, as the CPU
  double e;
  template <typename T> __device__ T operator()(T x) const { return static_cast<T>(pow(static_cast<double>(x), e)); }
};
struct SignTimesF {  // g * sign(x)
  template <typename T> __device__ T operator()(T g, T x) const {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return static_cast<T>(g * static_cast<T>(x > 0));
    else return static_cast<T>(g * static_cast<T>((x > 0) - (x < 0)));
  }
};
struct ClampMaskTimesF {  // g * (lo <= x <= hi)
  double lo, hi;
  template <typename T> __device__ T operator()(T g, T x) const {
    return g * static_cast<T>(x >= lo && x <= hi ? 1 : 0);
  }
};

// ---- add / sub ----
TensorList add_forward(OpContext&, const TensorList& in, const Attrs& at) {
  DeviceGuard guard(dev(in[0]));
  const double alpha = at.f("alpha", 1.0);
  DType rt = ops::result_type(in[0], in[1]);
  if (alpha == 1.0) return {binary(in[0], in[1], rt, AddF{})};
  return {NW_DISPATCH_ALL(rt, [&] {
    return binary(in[0], in[1], rt, AddAlphaF<scalar_t>{static_cast<scalar_t>(alpha)});
  })};
}
TensorList sub_forward(OpContext&, const TensorList& in, const Attrs& at) {
  DeviceGuard guard(dev(in[0]));
  const double alpha = at.f("alpha", 1.0);
  DType rt = ops::result_type(in[0], in[1]);
  NW_CHECK(rt != DType::Bool, "E_DTYPE", "subtraction of bool tensors is not supported; use logical ops");
  return {NW_DISPATCH_ALL(rt, [&] {
    return binary(in[0], in[1], rt, SubAlphaF<scalar_t>{static_cast<scalar_t>(alpha)});
  })};
}

// ---- mul / div ----
TensorList mul_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  // The CPU backward reads these slots: b's gradient needs a, a's gradient needs b.
  ctx.save({ctx.needs_input_grad.size() && ctx.needs_input_grad[1] ? in[0] : Tensor(),
            ctx.needs_input_grad.size() && ctx.needs_input_grad[0] ? in[1] : Tensor()});
  return {binary(in[0], in[1], ops::result_type(in[0], in[1]), MulF{})};
}
TensorList div_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0], in[1]});
  DType rt = ops::result_type(in[0], in[1]);
  if (!is_floating(rt)) rt = DType::Float32;  // true division, like torch.div
  return {binary(in[0], in[1], rt, DivF{})};
}

// ---- pow (tensor exponent) ----
TensorList pow_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  Tensor out = binary(in[0], in[1], ops::result_type(in[0], in[1]), PowF{});
  ctx.save({in[0], in[1], out});
  return {out};
}

// ---- maximum / minimum ----
template <bool IsMax>
TensorList minmax_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0], in[1]});
  return {binary(in[0], in[1], ops::result_type(in[0], in[1]), MinMaxF<IsMax>{})};
}

// ---- comparisons (no gradient) ----
template <typename F>
TensorList compare_forward(OpContext&, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  return {compare_impl(in[0], in[1], F{})};
}

// ---- where(cond, a, b) ----
TensorList where_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  NW_CHECK(in[0].dtype() == DType::Bool, "E_DTYPE",
           std::string("where: the condition must be a bool tensor, got ") + dtype_name(in[0].dtype()));
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  DType rt = ops::result_type(in[1], in[2]);
  Tensor a = cast(in[1], rt), b = cast(in[2], rt);
  Tensor out = empty(broadcast_shapes(in[0].sizes(), broadcast_shapes(a.sizes(), b.sizes())), rt, a.device());
  NW_DISPATCH_ALL(rt, [&] { ew_map3<bool, scalar_t, scalar_t, scalar_t>(out, in[0], a, b, WhereF{}); });
  return {out};
}

// ---- unary ----
TensorList neg_forward(OpContext&, const TensorList& in, const Attrs&) {
  NW_CHECK(in[0].dtype() != DType::Bool, "E_DTYPE", "neg of a bool tensor is not supported; use logical not");
  DeviceGuard guard(dev(in[0]));
  return {unary_same(in[0], NegF{})};
}
TensorList exp_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  Tensor out = unary_float(in[0], "exp", ExpF{});
  ctx.save({out});
  return {out};
}
TensorList log_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  return {unary_float(in[0], "log", LogF{})};
}
TensorList sqrt_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  Tensor out = unary_float(in[0], "sqrt", SqrtF{});
  ctx.save({out});
  return {out};
}

TensorList abs_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  return {unary_same(in[0], AbsF{})};
}
TensorList abs_backward(OpContext& ctx, const TensorList& g) {
  // g * sign(x), in the dtype the CPU's mul(g, sign) promotes to.
  Tensor x = ctx.saved()[0];
  DeviceGuard guard(dev(x));
  return {binary(g[0], x, ops::result_type(g[0], x), SignTimesF{})};
}

TensorList clamp_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const double lo = at.f("min", -std::numeric_limits<double>::infinity());
  const double hi = at.f("max", std::numeric_limits<double>::infinity());
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  return {unary_same(in[0], ClampF{lo, hi})};
}
TensorList clamp_backward(OpContext& ctx, const TensorList& g) {
  const double lo = ctx.attrs.f("min", -std::numeric_limits<double>::infinity());
  const double hi = ctx.attrs.f("max", std::numeric_limits<double>::infinity());
  Tensor x = ctx.saved()[0];
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE",
           std::string("clamp needs a float32 or float64 tensor, got ") + dtype_name(x.dtype()));
  DeviceGuard guard(dev(x));
  // g * mask (mask 1 inside [min, max], 0 outside and at NaN), as the CPU's mul(g, mask).
  return {binary(g[0], x, ops::result_type(g[0], x), ClampMaskTimesF{lo, hi})};
}

TensorList pow_scalar_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const double e = at.f("exponent");
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  const DType dt = in[0].dtype();
  if (!is_floating(dt) && dt != DType::Bool && e >= 0 && e == std::floor(e)) {
    // An integer tensor to a non-negative integral power stays integral, as in torch.pow.
    return {unary_same(in[0], IntPowF{static_cast<int64_t>(e)})};
  }
  if (e == 2.0) return {unary_float(in[0], "pow", SquareF{})};
  return {unary_float(in[0], "pow", PowScalarF{e})};
}

}  // namespace

// a += alpha * b in place (b converted to a's dtype and broadcast to a's shape); any layout of a.
void add_(const Tensor& a, const Tensor& b, double alpha) {
  NW_CHECK(a.device() == b.device(), "E_DEVICE",
           "add_ got tensors on different devices (" + a.device().str() + " and " + b.device().str() +
               "); move them to one device first with .to()");
  DeviceGuard guard(dev(a));
  NW_DISPATCH_ALL(a.dtype(), [&] {
    using T = scalar_t;
    Tensor bc = cast(b, a.dtype());
    const T al = static_cast<T>(alpha);
    T* pa = base_ptr<T>(a);
    const T* pb = base_ptr<const T>(bc);
    const Indexer ia = fast_indexer(a), ib = fast_indexer(bc, a.sizes());
    launch(dev(a), a.numel(), [=] __device__(int64_t i) {
      const int64_t off = ia.at(i);
      pa[off] = static_cast<T>(pa[off] + al * pb[ib.at(i)]);
    });
  });
}

void register_elementwise_ops(OpRegistry& r) {
  // Backward rules written with ops:: calls only are the CPU's own (they run on cuda).
  r.add(op_add, add_forward, op_add.backward);
  r.add(op_sub, sub_forward, op_sub.backward);
  r.add(op_mul, mul_forward, op_mul.backward);
  r.add(op_div, div_forward, op_div.backward);
  r.add(op_pow, pow_forward, op_pow.backward);
  r.add(op_maximum, minmax_forward<true>, op_maximum.backward);
  r.add(op_minimum, minmax_forward<false>, op_minimum.backward);
  r.add(op_eq, compare_forward<EqF>, nullptr);
  r.add(op_ne, compare_forward<NeF>, nullptr);
  r.add(op_lt, compare_forward<LtF>, nullptr);
  r.add(op_le, compare_forward<LeF>, nullptr);
  r.add(op_gt, compare_forward<GtF>, nullptr);
  r.add(op_ge, compare_forward<GeF>, nullptr);
  r.add(op_where, where_forward, op_where.backward);
  r.add(op_neg, neg_forward, op_neg.backward);
  r.add(op_exp, exp_forward, op_exp.backward);
  r.add(op_log, log_forward, op_log.backward);
  r.add(op_sqrt, sqrt_forward, op_sqrt.backward);
  r.add(op_abs, abs_forward, abs_backward);
  r.add(op_clamp, clamp_forward, clamp_backward);
  r.add(op_pow_scalar, pow_scalar_forward, op_pow_scalar.backward);
}

}  // namespace nw::cuda
