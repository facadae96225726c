// Elementwise ops on CUDA: arithmetic with broadcasting, comparisons, where, unary math
// and the in-place add_ used for gradient accumulation, with ops/elementwise_args.h's
// dtypes, type promotion, attributes and errors, and the CPU's NaN rules. Backward
// rules that the CPU writes with ops:: calls are reused as they are (they dispatch here).
#include <cmath>
#include <limits>

#include "cuda/math.cuh"
#include "ops/elementwise_args.h"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

using Rules = elementwise::Rules<cuda::Maps>;

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
      return elementwise::int_pow(x, static_cast<int64_t>(y));
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
  template <typename T> __device__ T operator()(T x) const { return elementwise::int_pow(x, e); }
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
  const double alpha = elementwise::alpha_of(at);
  DType rt = ops::result_type(in[0], in[1]);
  if (alpha == 1.0) return {Rules::binary(in[0], in[1], rt, AddF{})};
  return {NW_DISPATCH_ALL(rt, [&] {
    return Rules::binary(in[0], in[1], rt, AddAlphaF<scalar_t>{static_cast<scalar_t>(alpha)});
  })};
}
TensorList sub_forward(OpContext&, const TensorList& in, const Attrs& at) {
  DeviceGuard guard(dev(in[0]));
  const double alpha = elementwise::alpha_of(at);
  DType rt = ops::result_type(in[0], in[1]);
  elementwise::check_sub(rt);
  return {NW_DISPATCH_ALL(rt, [&] {
    return Rules::binary(in[0], in[1], rt, SubAlphaF<scalar_t>{static_cast<scalar_t>(alpha)});
  })};
}

// ---- mul / div ----
TensorList mul_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  // The CPU backward reads these slots: b's gradient needs a, a's gradient needs b.
  ctx.save({ctx.needs_input_grad.size() && ctx.needs_input_grad[1] ? in[0] : Tensor(),
            ctx.needs_input_grad.size() && ctx.needs_input_grad[0] ? in[1] : Tensor()});
  return {Rules::binary(in[0], in[1], ops::result_type(in[0], in[1]), MulF{})};
}
TensorList div_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0], in[1]});
  return {Rules::binary(in[0], in[1], elementwise::div_dtype(in[0], in[1]), DivF{})};
}

// ---- pow (tensor exponent) ----
TensorList pow_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  Tensor out = Rules::binary(in[0], in[1], ops::result_type(in[0], in[1]), PowF{});
  ctx.save({in[0], in[1], out});
  return {out};
}

// ---- maximum / minimum ----
template <bool IsMax>
TensorList minmax_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0], in[1]});
  return {Rules::binary(in[0], in[1], ops::result_type(in[0], in[1]), MinMaxF<IsMax>{})};
}

// ---- comparisons (no gradient) ----
template <typename F>
TensorList compare_forward(OpContext&, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  return {Rules::compare(in[0], in[1], F{})};
}

// ---- where(cond, a, b) ----
TensorList where_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  elementwise::check_where(in[0]);
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  return {Rules::where(in[0], in[1], in[2], WhereF{})};
}

// ---- unary ----
TensorList neg_forward(OpContext&, const TensorList& in, const Attrs&) {
  elementwise::check_neg(in[0]);
  DeviceGuard guard(dev(in[0]));
  return {Rules::unary_same(in[0], NegF{})};
}
TensorList exp_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  return Rules::unary_float_op(ctx, in[0], "exp", ExpF{}, true);
}
TensorList log_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  return Rules::unary_float_op(ctx, in[0], "log", LogF{}, false);
}
TensorList sqrt_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  return Rules::unary_float_op(ctx, in[0], "sqrt", SqrtF{}, true);
}

TensorList abs_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  return {Rules::unary_same(in[0], AbsF{})};
}
// g * f(g, x) in the dtype the CPU's mul(g, rule(x)) promotes to.
template <typename F>
Tensor times_rule(const Tensor& g, const Tensor& x, F f) {
  DeviceGuard guard(dev(x));
  return Rules::binary(g, x, ops::result_type(g, x), f);
}
TensorList abs_backward(OpContext& ctx, const TensorList& g) { return {times_rule(g[0], ctx.saved()[0], SignTimesF{})}; }

TensorList clamp_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const elementwise::ClampRange r = elementwise::clamp_range(at);
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  return {Rules::unary_same(in[0], ClampF{r.lo, r.hi})};
}
TensorList clamp_backward(OpContext& ctx, const TensorList& g) {
  Tensor x = ctx.saved()[0];
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE",
           std::string("clamp needs a float32 or float64 tensor, got ") + dtype_name(x.dtype()));
  // mask 1 inside [min, max], 0 outside and at NaN
  const elementwise::ClampRange r = elementwise::clamp_range(ctx.attrs);
  return {times_rule(g[0], x, ClampMaskTimesF{r.lo, r.hi})};
}

TensorList pow_scalar_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const double e = at.f("exponent");
  DeviceGuard guard(dev(in[0]));
  ctx.save({in[0]});
  if (elementwise::integral_power(in[0].dtype(), e)) {
    return {Rules::unary_same(in[0], IntPowF{static_cast<int64_t>(e)})};
  }
  if (e == 2.0) return {Rules::unary_float(in[0], "pow", SquareF{})};
  return {Rules::unary_float(in[0], "pow", PowScalarF{e})};
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
    Tensor bc = elementwise::cast(b, a.dtype());
    const T al = static_cast<T>(alpha);
    T* pa = base_ptr<T>(a);
    const T* pb = base_ptr<const T>(bc);
    const Indexer ia = indexer(a), ib = indexer(bc, a.sizes());
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
