// Elementwise arithmetic with broadcasting, comparisons, where, and unary math.
// Forward and backward of each op sit together; backward rules use ops:: so
// broadcasting is undone by the engine (sum_to) rather than by each rule.
#include <cmath>
#include <limits>

#include "core/autograd.h"
#include "elementwise_args.h"
#include "kernels.h"
#include "ops.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

namespace nw {
namespace {

int dtype_rank(DType t) {
  switch (t) {
    case DType::Bool: return 0;
    case DType::UInt8: return 1;
    case DType::Int32: return 2;
    case DType::Int64: return 3;
    case DType::Float32: return 4;
    case DType::Float64: return 5;
  }
  return 0;
}
int category(DType t) { return t == DType::Bool ? 0 : is_floating(t) ? 2 : 1; }

using Rules = elementwise::Rules<kern::Maps>;

// ---- add / sub ----
TensorList add_forward(OpContext&, const TensorList& in, const Attrs& at) {
  double alpha = elementwise::alpha_of(at);
  DType rt = ops::result_type(in[0], in[1]);
  if (alpha == 1.0) return {Rules::binary(in[0], in[1], rt, [](auto x, auto y) { return x + y; })};
  return {NW_DISPATCH_ALL(rt, [&] {
    scalar_t al = static_cast<scalar_t>(alpha);
    return Rules::binary(in[0], in[1], rt, [al](scalar_t x, scalar_t y) { return static_cast<scalar_t>(x + al * y); });
  })};
}
TensorList add_backward(OpContext& ctx, const TensorList& g) {
  double alpha = elementwise::alpha_of(ctx.attrs);
  return {g[0], alpha == 1.0 ? g[0] : ops::mul_scalar(g[0], alpha)};
}
TensorList sub_forward(OpContext&, const TensorList& in, const Attrs& at) {
  double alpha = elementwise::alpha_of(at);
  DType rt = ops::result_type(in[0], in[1]);
  elementwise::check_sub(rt);
  return {NW_DISPATCH_ALL(rt, [&] {
    scalar_t al = static_cast<scalar_t>(alpha);
    return Rules::binary(in[0], in[1], rt, [al](scalar_t x, scalar_t y) { return static_cast<scalar_t>(x - al * y); });
  })};
}
TensorList sub_backward(OpContext& ctx, const TensorList& g) {
  return {g[0], ops::mul_scalar(g[0], -elementwise::alpha_of(ctx.attrs))};
}

// ---- mul / div ----
TensorList mul_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  ctx.save({ctx.needs_input_grad.size() && ctx.needs_input_grad[1] ? in[0] : Tensor(),
            ctx.needs_input_grad.size() && ctx.needs_input_grad[0] ? in[1] : Tensor()});
  return {Rules::binary(in[0], in[1], ops::result_type(in[0], in[1]), [](auto x, auto y) { return x * y; })};
}
TensorList mul_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  return {ctx.needs_input_grad[0] ? ops::mul(g[0], s[1]) : Tensor(),
          ctx.needs_input_grad[1] ? ops::mul(g[0], s[0]) : Tensor()};
}
TensorList div_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  ctx.save({in[0], in[1]});
  return {Rules::binary(in[0], in[1], elementwise::div_dtype(in[0], in[1]), [](auto x, auto y) { return x / y; })};
}
TensorList div_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor ga = ctx.needs_input_grad[0] ? ops::div(g[0], s[1]) : Tensor();
  Tensor gb;
  if (ctx.needs_input_grad[1]) gb = ops::neg(ops::div(ops::mul(g[0], s[0]), ops::mul(s[1], s[1])));
  return {ga, gb};
}

// ---- pow (tensor exponent) ----
TensorList pow_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  DType rt = ops::result_type(in[0], in[1]);
  Tensor out = NW_DISPATCH_ALL(rt, [&] {
    return Rules::binary(in[0], in[1], rt, [](scalar_t x, scalar_t y) {
      if constexpr (std::is_floating_point_v<scalar_t>) return static_cast<scalar_t>(std::pow(x, y));
      else return elementwise::int_pow(x, static_cast<int64_t>(y));
    });
  });
  ctx.save({in[0], in[1], out});
  return {out};
}
TensorList pow_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor ga, gb;
  if (ctx.needs_input_grad[0]) {
    // b * a^(b-1) is 0 * inf = NaN at a = 0, b = 0; PyTorch defines it as 0 wherever b == 0.
    Tensor da = ops::mul(s[1], ops::pow(s[0], ops::add_scalar(s[1], -1.0)));
    da = ops::where(ops::compare("eq", s[1], ops::scalar_like(0.0, s[1])), ops::scalar_like(0.0, da), da);
    ga = ops::mul(g[0], da);
  }
  if (ctx.needs_input_grad[1]) {
    // d/db a^b = a^b ln a; PyTorch defines it as 0 where a == 0 and b >= 0.
    Tensor la = ops::log(s[0]);
    Tensor term = ops::mul(s[2], la);
    Tensor zero_base = ops::compare("eq", s[0], ops::scalar_like(0.0, s[0]));
    term = ops::where(zero_base, ops::scalar_like(0.0, term), term);
    gb = ops::mul(g[0], term);
  }
  return {ga, gb};
}

// ---- maximum / minimum (ties split the gradient evenly, as PyTorch does) ----
template <bool IsMax>
TensorList minmax_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  ctx.save({in[0], in[1]});
  return {Rules::binary(in[0], in[1], ops::result_type(in[0], in[1]), [](auto x, auto y) {
    if constexpr (std::is_floating_point_v<decltype(x)>) {
      if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<decltype(x)>::quiet_NaN();
    }
    return IsMax ? (x > y ? x : y) : (x < y ? x : y);
  })};
}
template <bool IsMax>
TensorList minmax_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor a = s[0], b = s[1];
  Tensor wins_a = to_dtype(ops::compare(IsMax ? "gt" : "lt", a, b), g[0].dtype());
  Tensor tie = ops::mul_scalar(to_dtype(ops::compare("eq", a, b), g[0].dtype()), 0.5);
  Tensor wa = ops::add(wins_a, tie);
  Tensor wb = ops::sub(ops::add_scalar(ops::neg(wins_a), 1.0), tie);
  return {ctx.needs_input_grad[0] ? ops::mul(g[0], wa) : Tensor(), ctx.needs_input_grad[1] ? ops::mul(g[0], wb) : Tensor()};
}

// ---- comparisons (no gradient) ----
TensorList eq_forward(OpContext&, const TensorList& in, const Attrs&) { return {Rules::compare(in[0], in[1], [](auto x, auto y) { return x == y; })}; }
TensorList ne_forward(OpContext&, const TensorList& in, const Attrs&) { return {Rules::compare(in[0], in[1], [](auto x, auto y) { return x != y; })}; }
TensorList lt_forward(OpContext&, const TensorList& in, const Attrs&) { return {Rules::compare(in[0], in[1], [](auto x, auto y) { return x < y; })}; }
TensorList le_forward(OpContext&, const TensorList& in, const Attrs&) { return {Rules::compare(in[0], in[1], [](auto x, auto y) { return x <= y; })}; }
TensorList gt_forward(OpContext&, const TensorList& in, const Attrs&) { return {Rules::compare(in[0], in[1], [](auto x, auto y) { return x > y; })}; }
TensorList ge_forward(OpContext&, const TensorList& in, const Attrs&) { return {Rules::compare(in[0], in[1], [](auto x, auto y) { return x >= y; })}; }

// ---- where(cond, a, b) ----
TensorList where_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  elementwise::check_where(in[0]);
  ctx.save({in[0]});
  return {Rules::where(in[0], in[1], in[2], [](bool c, auto x, auto y) { return c ? x : y; })};
}
TensorList where_backward(OpContext& ctx, const TensorList& g) {
  Tensor c = ctx.saved()[0];
  Tensor zero = ops::scalar_like(0.0, g[0]);
  return {Tensor(), ctx.needs_input_grad[1] ? ops::where(c, g[0], zero) : Tensor(),
          ctx.needs_input_grad[2] ? ops::where(c, zero, g[0]) : Tensor()};
}

// ---- unary ----
TensorList neg_forward(OpContext&, const TensorList& in, const Attrs&) {
  elementwise::check_neg(in[0]);
  return {Rules::unary_same(in[0], [](auto x) { return static_cast<decltype(x)>(-x); })};
}
TensorList neg_backward(OpContext&, const TensorList& g) { return {ops::neg(g[0])}; }

TensorList exp_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  return Rules::unary_float_op(ctx, in[0], "exp", [](auto x) { return std::exp(x); }, true);
}
TensorList exp_backward(OpContext& ctx, const TensorList& g) { return {ops::mul(g[0], ctx.saved()[0])}; }

TensorList log_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  return Rules::unary_float_op(ctx, in[0], "log", [](auto x) { return std::log(x); }, false);
}
TensorList log_backward(OpContext& ctx, const TensorList& g) { return {ops::div(g[0], ctx.saved()[0])}; }

TensorList sqrt_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  return Rules::unary_float_op(ctx, in[0], "sqrt", [](auto x) { return std::sqrt(x); }, true);
}
TensorList sqrt_backward(OpContext& ctx, const TensorList& g) {
  return {ops::div(g[0], ops::mul_scalar(ctx.saved()[0], 2.0))};
}

TensorList abs_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  ctx.save({in[0]});
  return {Rules::unary_same(in[0], [](auto x) {
    if constexpr (std::is_unsigned_v<decltype(x)> || std::is_same_v<decltype(x), bool>) return x;
    else return static_cast<decltype(x)>(x < 0 ? -x : x);
  })};
}
TensorList abs_backward(OpContext& ctx, const TensorList& g) {
  Tensor x = ctx.saved()[0];
  Tensor sign = Rules::unary_same(x, [](auto v) { return static_cast<decltype(v)>((v > 0) - (v < 0)); });
  return {ops::mul(g[0], sign)};
}

TensorList clamp_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const elementwise::ClampRange r = elementwise::clamp_range(at);
  const double lo = r.lo, hi = r.hi;
  ctx.save({in[0]});
  return {NW_DISPATCH_ALL(in[0].dtype(), [&] {
    return Rules::unary_same(in[0], [lo, hi](scalar_t x) {
      double v = static_cast<double>(x);
      if constexpr (std::is_floating_point_v<scalar_t>) {
        if (std::isnan(x)) return x;
      }
      return static_cast<scalar_t>(v < lo ? lo : v > hi ? hi : v);
    });
  })};
}
TensorList clamp_backward(OpContext& ctx, const TensorList& g) {
  const elementwise::ClampRange r = elementwise::clamp_range(ctx.attrs);
  const double lo = r.lo, hi = r.hi;
  Tensor x = ctx.saved()[0];
  Tensor mask = NW_DISPATCH_FLOAT(x.dtype(), "clamp", [&] {
    return Rules::unary_same(x, [lo, hi](scalar_t v) { return static_cast<scalar_t>(v >= lo && v <= hi ? 1 : 0); });
  });
  return {ops::mul(g[0], mask)};
}

TensorList pow_scalar_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  double e = at.f("exponent");
  ctx.save({in[0]});
  if (elementwise::integral_power(in[0].dtype(), e)) {
    auto ie = static_cast<int64_t>(e);
    return {Rules::unary_same(in[0], [ie](auto x) { return elementwise::int_pow(x, ie); })};
  }
  if (e == 2.0) return {Rules::unary_float(in[0], "pow", [](auto x) { return x * x; })};
  return {Rules::unary_float(in[0], "pow", [e](auto x) { return static_cast<decltype(x)>(std::pow(x, e)); })};
}
TensorList pow_scalar_backward(OpContext& ctx, const TensorList& g) {
  double e = ctx.attrs.f("exponent");
  Tensor x = ctx.saved()[0];
  if (e == 0.0) return {ops::mul_scalar(g[0], 0.0)};
  return {ops::mul(g[0], ops::mul_scalar(ops::pow_scalar(x, e - 1.0), e))};
}

}  // namespace

const OpDef op_add = {"add", 2, GradKind::Differentiable, add_forward, add_backward, "a + alpha * b, broadcasting"};
const OpDef op_sub = {"sub", 2, GradKind::Differentiable, sub_forward, sub_backward, "a - alpha * b, broadcasting"};
const OpDef op_mul = {"mul", 2, GradKind::Differentiable, mul_forward, mul_backward, "a * b, broadcasting"};
const OpDef op_div = {"div", 2, GradKind::Differentiable, div_forward, div_backward, "a / b (true division), broadcasting"};
const OpDef op_pow = {"pow", 2, GradKind::Differentiable, pow_forward, pow_backward, "a ** b, broadcasting"};
const OpDef op_maximum = {"maximum", 2, GradKind::Differentiable, minmax_forward<true>, minmax_backward<true>, "elementwise max"};
const OpDef op_minimum = {"minimum", 2, GradKind::Differentiable, minmax_forward<false>, minmax_backward<false>, "elementwise min"};
const OpDef op_eq = {"eq", 2, GradKind::None, eq_forward, nullptr, "a == b (bool)"};
const OpDef op_ne = {"ne", 2, GradKind::None, ne_forward, nullptr, "a != b (bool)"};
const OpDef op_lt = {"lt", 2, GradKind::None, lt_forward, nullptr, "a < b (bool)"};
const OpDef op_le = {"le", 2, GradKind::None, le_forward, nullptr, "a <= b (bool)"};
const OpDef op_gt = {"gt", 2, GradKind::None, gt_forward, nullptr, "a > b (bool)"};
const OpDef op_ge = {"ge", 2, GradKind::None, ge_forward, nullptr, "a >= b (bool)"};
const OpDef op_where = {"where", 3, GradKind::Differentiable, where_forward, where_backward, "cond ? a : b"};
const OpDef op_neg = {"neg", 1, GradKind::Differentiable, neg_forward, neg_backward, "-a"};
const OpDef op_exp = {"exp", 1, GradKind::Differentiable, exp_forward, exp_backward, "e ** a"};
const OpDef op_log = {"log", 1, GradKind::Differentiable, log_forward, log_backward, "natural log"};
const OpDef op_sqrt = {"sqrt", 1, GradKind::Differentiable, sqrt_forward, sqrt_backward, "square root"};
const OpDef op_abs = {"abs", 1, GradKind::Differentiable, abs_forward, abs_backward, "|a|"};
const OpDef op_clamp = {"clamp", 1, GradKind::Differentiable, clamp_forward, clamp_backward, "clamp(a, min, max)"};
const OpDef op_pow_scalar = {"pow_scalar", 1, GradKind::Differentiable, pow_scalar_forward, pow_scalar_backward, "a ** exponent"};

namespace elementwise {

double alpha_of(const Attrs& at) { return at.f("alpha", 1.0); }
void check_sub(DType result) {
  NW_CHECK(result != DType::Bool, "E_DTYPE", "subtraction of bool tensors is not supported; use logical ops");
}
void check_neg(const Tensor& a) {
  NW_CHECK(a.dtype() != DType::Bool, "E_DTYPE", "neg of a bool tensor is not supported; use logical not");
}
void check_where(const Tensor& cond) {
  NW_CHECK(cond.dtype() == DType::Bool, "E_DTYPE",
           std::string("where: the condition must be a bool tensor, got ") + dtype_name(cond.dtype()));
}
DType div_dtype(const Tensor& a, const Tensor& b) {
  DType rt = ops::result_type(a, b);
  return is_floating(rt) ? rt : DType::Float32;  // true division, like torch.div
}
ClampRange clamp_range(const Attrs& at) {
  return {at.f("min", -std::numeric_limits<double>::infinity()), at.f("max", std::numeric_limits<double>::infinity())};
}
bool integral_power(DType dt, double e) { return !is_floating(dt) && dt != DType::Bool && e >= 0 && e == std::floor(e); }

}  // namespace elementwise

namespace ops {

DType result_type(const Tensor& a, const Tensor& b) {
  DType da = a.dtype(), db = b.dtype();
  if (da == db) return da;
  int ca = category(da), cb = category(db);
  // A 0-d operand does not widen a same-category tensor operand (PyTorch's rule).
  if (ca == cb) {
    if (a.dim() == 0 && b.dim() > 0) return db;
    if (b.dim() == 0 && a.dim() > 0) return da;
  } else if (ca > cb && a.dim() == 0 && b.dim() > 0 && ca == 2) {
    return DType::Float32;  // float scalar with an integer tensor: default float dtype
  } else if (cb > ca && b.dim() == 0 && a.dim() > 0 && cb == 2) {
    return DType::Float32;
  }
  return dtype_rank(da) >= dtype_rank(db) ? da : db;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = std::max<int64_t>(ndim, 1);
  NW_CHECK(dim >= -n && dim < n, "E_DIM",
           std::string(op) + ": dimension " + std::to_string(dim) + " is out of range for a tensor with " +
               std::to_string(ndim) + " dimension(s)");
  return dim < 0 ? dim + n : dim;
}

Tensor scalar_like(double v, const Tensor& like) { return scalar_tensor(v, like.dtype(), like.device()); }

Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  return call_op(op_add, {a, b}, alpha == 1.0 ? Attrs{} : Attrs{{"alpha", alpha}})[0];
}
Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
  return call_op(op_sub, {a, b}, alpha == 1.0 ? Attrs{} : Attrs{{"alpha", alpha}})[0];
}
Tensor mul(const Tensor& a, const Tensor& b) { return call_op(op_mul, {a, b})[0]; }
Tensor div(const Tensor& a, const Tensor& b) { return call_op(op_div, {a, b})[0]; }
Tensor pow(const Tensor& a, const Tensor& b) { return call_op(op_pow, {a, b})[0]; }
Tensor maximum(const Tensor& a, const Tensor& b) { return call_op(op_maximum, {a, b})[0]; }
Tensor minimum(const Tensor& a, const Tensor& b) { return call_op(op_minimum, {a, b})[0]; }
Tensor where(const Tensor& c, const Tensor& a, const Tensor& b) { return call_op(op_where, {c, a, b})[0]; }
Tensor compare(const std::string& op, const Tensor& a, const Tensor& b) { return call_op(op, {a, b})[0]; }
Tensor neg(const Tensor& a) { return call_op(op_neg, {a})[0]; }
Tensor exp(const Tensor& a) { return call_op(op_exp, {a})[0]; }
Tensor log(const Tensor& a) { return call_op(op_log, {a})[0]; }
Tensor sqrt(const Tensor& a) { return call_op(op_sqrt, {a})[0]; }
Tensor abs(const Tensor& a) { return call_op(op_abs, {a})[0]; }
Tensor clamp(const Tensor& a, double lo, double hi) { return call_op(op_clamp, {a}, {{"min", lo}, {"max", hi}})[0]; }
Tensor pow_scalar(const Tensor& a, double e) { return call_op(op_pow_scalar, {a}, {{"exponent", e}})[0]; }
Tensor mul_scalar(const Tensor& a, double s) { return mul(a, scalar_like(s, a)); }
Tensor add_scalar(const Tensor& a, double s) { return add(a, scalar_like(s, a)); }

void add_(const Tensor& a, const Tensor& b, double alpha) {
  NW_CHECK(a.device() == b.device(), "E_DEVICE",
           "add_ got tensors on different devices (" + a.device().str() + " and " + b.device().str() +
               "); move them to one device first with .to()");
#ifdef NW_WITH_CUDA
  if (a.device().type == DeviceType::CUDA) {
    cuda::add_(a, b, alpha);
    a.impl()->version++;
    return;
  }
#endif
  NW_DISPATCH_ALL(a.dtype(), [&] {
    Tensor bc = b.dtype() == a.dtype() ? b : to_dtype(b, a.dtype());
    scalar_t al = static_cast<scalar_t>(alpha);
    kern::map2<scalar_t, scalar_t, scalar_t>(a, a, bc, [al](scalar_t x, scalar_t y) { return static_cast<scalar_t>(x + al * y); });
  });
  a.impl()->version++;
}

}  // namespace ops
}  // namespace nw
