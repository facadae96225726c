// Loss functions with torch.nn.functional semantics: reduction mean|sum|none,
// cross_entropy from logits (class indices or probabilities, class weights,
// ignore_index, label_smoothing), nll, mse, l1, smooth_l1, bce, bce_with_logits.
#include <cmath>

#include "core/autograd.h"
#include "kernels.h"
#include "loss_args.h"
#include "ops.h"

namespace nw {

namespace loss {

Reduction reduction_of(const Attrs& at) {
  std::string r = at.s("reduction", "mean");
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "none") return Reduction::None;
  throw Error("E_ARG", "reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

void check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  NW_CHECK(a.sizes() == b.sizes(), "E_SHAPE",
           std::string(op) + ": input " + shape_str(a.sizes()) + " and target " + shape_str(b.sizes()) +
               " must have the same shape");
}

Tensor reduce(const Tensor& per_elem, Reduction r) {
  if (r == Reduction::None) return per_elem;
  if (r == Reduction::Sum) return ops::sum(per_elem);
  return ops::mean(per_elem);
}
Tensor reduce_grad(const Tensor& g, const Shape& shape, Reduction r) {
  if (r == Reduction::None) return g;
  double scale = r == Reduction::Mean ? 1.0 / static_cast<double>(std::max<int64_t>(shape_numel(shape), 1)) : 1.0;
  return scale == 1.0 ? g : ops::mul_scalar(g, scale);
}

Tensor float_target(const Tensor& t, const Tensor& like) { return t.dtype() == like.dtype() ? t : to_dtype(t, like.dtype()); }

// ---- losses composed of ops:: calls and a device kernel ----
TensorList smooth_l1_forward(OpContext& ctx, const TensorList& in, const Attrs& at, Map1P per_elem) {
  check_same_shape(in[0], in[1], "smooth_l1_loss");
  double beta = at.f("beta", 1.0);
  NW_CHECK(beta >= 0, "E_ARG", "smooth_l1_loss: beta must be >= 0");
  Tensor d = ops::sub(in[0], float_target(in[1], in[0]));
  ctx.save({d});
  return {reduce(per_elem(d, beta), reduction_of(at))};
}
TensorList smooth_l1_backward(OpContext& ctx, const TensorList& g, Map1P slope) {
  Tensor d = ctx.saved()[0];
  Tensor gd = ops::mul(reduce_grad(g[0], d.sizes(), reduction_of(ctx.attrs)), slope(d, ctx.attrs.f("beta", 1.0)));
  return {gd, ctx.needs_input_grad[1] ? ops::neg(gd) : Tensor()};
}

TensorList bce_forward(OpContext& ctx, const TensorList& in, const Attrs& at, Map2 per_elem) {
  check_same_shape(in[0], in[1], "binary_cross_entropy");
  const Tensor& p = in[0];
  Tensor t = float_target(in[1], p);
  Tensor w = in[2];
  Tensor per = per_elem(p, t);
  if (w.defined()) per = ops::mul(per, w);
  ctx.save({p, t, w});
  return {reduce(per, reduction_of(at))};
}
TensorList bce_backward(OpContext& ctx, const TensorList& g, Map2 grad) {
  TensorList s = ctx.saved();
  Tensor p = s[0], t = s[1], w = s[2];
  Tensor d = grad(p, t);
  if (w.defined()) d = ops::mul(d, w);
  Tensor up = reduce_grad(g[0], p.sizes(), reduction_of(ctx.attrs));
  Tensor dt;
  if (ctx.needs_input_grad[1]) {
    // d/dt = log(1 - p) - log(p) = -logit(p) (unclamped, as torch's target backward).
    dt = ops::sub(ops::log(ops::add_scalar(ops::neg(p), 1.0)), ops::log(p));
    if (w.defined()) dt = ops::mul(dt, w);
    dt = ops::mul(up, dt);
  }
  return {ctx.needs_input_grad[0] ? ops::mul(up, d) : Tensor(), dt, Tensor()};
}

TensorList bce_logits_forward(OpContext& ctx, const TensorList& in, const Attrs& at, Map1 softplus_of_neg) {
  check_same_shape(in[0], in[1], "binary_cross_entropy_with_logits");
  const Tensor& x = in[0];
  Tensor t = float_target(in[1], x);
  Tensor w = in[2], pw = in[3];
  // loss = (1 - t) x + (1 + (pw - 1) t) * (log1p(exp(-|x|)) + max(-x, 0))
  Tensor softplus_neg = softplus_of_neg(x);
  Tensor one = ops::scalar_like(1.0, x);
  Tensor coef = pw.defined() ? ops::add(one, ops::mul(ops::sub(pw, one), t)) : Tensor();
  Tensor per = ops::add(ops::mul(ops::sub(one, t), x), coef.defined() ? ops::mul(coef, softplus_neg) : softplus_neg);
  if (w.defined()) per = ops::mul(per, w);
  ctx.save({x, t, w, pw});
  return {reduce(per, reduction_of(at))};
}
TensorList bce_logits_backward(OpContext& ctx, const TensorList& g, Map1 softplus_of_neg) {
  TensorList s = ctx.saved();
  Tensor x = s[0], t = s[1], w = s[2], pw = s[3];
  Tensor sg = ops::sigmoid(x);
  Tensor d;
  if (pw.defined()) {
    Tensor pt = ops::mul(pw, t);
    d = ops::sub(ops::mul(sg, ops::add(ops::sub(pt, t), ops::scalar_like(1.0, x))), pt);
  } else {
    d = ops::sub(sg, t);
  }
  if (w.defined()) d = ops::mul(d, w);
  Tensor up = reduce_grad(g[0], x.sizes(), reduction_of(ctx.attrs));
  Tensor dt;
  if (ctx.needs_input_grad[1]) {
    // d/dt = -x + (pw - 1) * softplus(-x)  (= -x without pos_weight)
    dt = ops::neg(x);
    if (pw.defined()) dt = ops::add(dt, ops::mul(ops::add_scalar(pw, -1.0), softplus_of_neg(x)));
    if (w.defined()) dt = ops::mul(dt, w);
    dt = ops::mul(up, dt);
  }
  return {ctx.needs_input_grad[0] ? ops::mul(up, d) : Tensor(), dt, Tensor(), Tensor()};
}

// ---- classification ----
namespace {
ClassLayout class_layout(const Tensor& input, const char* op) {
  NW_CHECK(input.dim() >= 1, "E_SHAPE", std::string(op) + ": input needs at least 1 dimension (classes)");
  ClassLayout l;
  if (input.dim() == 1) {
    l.C = input.sizes()[0];
    return l;
  }
  l.C = input.sizes()[1];
  for (int64_t i = 0; i < input.dim(); ++i)
    if (i != 1) l.per_sample.push_back(input.sizes()[i]);
  l.M = shape_numel(l.per_sample);
  for (int64_t i = 2; i < input.dim(); ++i) l.D *= input.sizes()[i];
  return l;
}

void check_class_target(const Tensor& input, const Tensor& target, const ClassLayout& l, const char* op) {
  NW_CHECK(target.dtype() == DType::Int64, "E_TARGET",
           std::string(op) + " needs class indices as an int64 tensor (got " + dtype_name(target.dtype()) +
               "); for one-hot or probability targets use a float target of the input's shape");
  NW_CHECK(target.sizes() == l.per_sample, "E_SHAPE",
           std::string(op) + ": input " + shape_str(input.sizes()) + " expects a target of shape " + shape_str(l.per_sample) +
               ", got " + shape_str(target.sizes()));
}
}  // namespace

ClassArgs class_args(bool from_logits, const TensorList& in, const Attrs& at) {
  ClassArgs a;
  a.op = from_logits ? "cross_entropy" : "nll_loss";
  const Tensor &input = in[0], &target = in[1];
  NW_CHECK(is_floating(input.dtype()), "E_DTYPE", std::string(a.op) + ": input must be float32 or float64");
  a.layout = class_layout(input, a.op);
  a.probs = is_floating(target.dtype());
  NW_CHECK(from_logits || !a.probs, "E_TARGET", "nll_loss needs int64 class indices as the target");
  if (a.probs) NW_CHECK(target.sizes() == input.sizes(), "E_SHAPE",
                        std::string(a.op) + ": a probability target must have the input's shape " + shape_str(input.sizes()) + ", got " + shape_str(target.sizes()));
  else check_class_target(input, target, a.layout, a.op);
  a.label_smoothing = from_logits ? at.f("label_smoothing", 0.0) : 0.0;
  NW_CHECK(a.label_smoothing >= 0 && a.label_smoothing <= 1, "E_ARG", "label_smoothing must be between 0 and 1");
  a.ignore_index = at.i("ignore_index", -100);
  a.reduction = reduction_of(at);
  return a;
}

Tensor to_rows(const Tensor& input, const ClassLayout& l) {
  Tensor t = input;
  if (input.dim() > 2) {
    Shape sz{input.sizes()[0]}, st{input.strides()[0]};
    for (int64_t i = 2; i < input.dim(); ++i) {
      sz.push_back(input.sizes()[i]);
      st.push_back(input.strides()[i]);
    }
    sz.push_back(input.sizes()[1]);
    st.push_back(input.strides()[1]);
    t = make_view(input, sz, st, input.offset());
  }
  Tensor c = t.contiguous();
  return make_view(c, {l.M, l.C}, {l.C, 1}, c.offset());
}

void check_class_weight(const Tensor& weight, int64_t classes, const char* op) {
  NW_CHECK(weight.dim() == 1 && weight.sizes()[0] == classes, "E_SHAPE",
           std::string(op) + ": weight must have one entry per class (" + std::to_string(classes) + "), got " + shape_str(weight.sizes()));
}

Error target_out_of_range(const char* op, int64_t y, int64_t classes) {
  return Error("E_TARGET", std::string(op) + ": target " + std::to_string(y) + " is out of range for " + std::to_string(classes) +
                               " classes (valid: 0.." + std::to_string(classes - 1) + "); check the label column or the number of outputs");
}

Tensor reduce_rows(const Tensor& per_row, Reduction r, double denom) {
  if (r == Reduction::None) return per_row;
  if (r == Reduction::Sum) return ops::sum(per_row);
  return ops::mul_scalar(ops::sum(per_row), 1.0 / denom);  // 0/0 -> nan, like PyTorch with all targets ignored
}

}  // namespace loss

namespace {

using loss::ClassLayout;
using loss::Reduction;
using loss::reduction_of;

// ---- regression losses: built on the difference d = input - target ----
TensorList mse_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  loss::check_same_shape(in[0], in[1], "mse_loss");
  Tensor d = ops::sub(in[0], loss::float_target(in[1], in[0]));
  ctx.save({d});
  return {loss::reduce(ops::mul(d, d), reduction_of(at))};
}
TensorList mse_backward(OpContext& ctx, const TensorList& g) {
  Tensor d = ctx.saved()[0];
  Tensor gd = ops::mul(loss::reduce_grad(g[0], d.sizes(), reduction_of(ctx.attrs)), ops::mul_scalar(d, 2.0));
  return {gd, ctx.needs_input_grad[1] ? ops::neg(gd) : Tensor()};
}

TensorList l1_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  loss::check_same_shape(in[0], in[1], "l1_loss");
  Tensor d = ops::sub(in[0], loss::float_target(in[1], in[0]));
  ctx.save({d});
  return {loss::reduce(ops::abs(d), reduction_of(at))};
}
TensorList l1_backward(OpContext& ctx, const TensorList& g) {
  Tensor d = ctx.saved()[0];
  Tensor sign = ops::sub(to_dtype(ops::compare("gt", d, ops::scalar_like(0, d)), d.dtype()),
                         to_dtype(ops::compare("lt", d, ops::scalar_like(0, d)), d.dtype()));
  Tensor gd = ops::mul(loss::reduce_grad(g[0], d.sizes(), reduction_of(ctx.attrs)), sign);
  return {gd, ctx.needs_input_grad[1] ? ops::neg(gd) : Tensor()};
}

Tensor smooth_l1_values(const Tensor& d, double beta) {
  Tensor per = empty(d.sizes(), d.dtype());
  NW_DISPATCH_FLOAT(d.dtype(), "smooth_l1_loss", [&] {
    kern::map1<scalar_t, scalar_t>(per, d, [beta](scalar_t v) {
      double a = std::fabs(static_cast<double>(v));
      return static_cast<scalar_t>(beta > 0 && a < beta ? 0.5 * a * a / beta : a - 0.5 * beta);
    });
  });
  return per;
}
Tensor smooth_l1_slope(const Tensor& d, double beta) {
  Tensor slope = empty(d.sizes(), d.dtype());
  NW_DISPATCH_FLOAT(d.dtype(), "smooth_l1_loss", [&] {
    kern::map1<scalar_t, scalar_t>(slope, d, [beta](scalar_t v) {
      double x = static_cast<double>(v), a = std::fabs(x);
      return static_cast<scalar_t>(beta > 0 && a < beta ? x / beta : (x > 0) - (x < 0));
    });
  });
  return slope;
}

// ---- classification: logits/log-probs with the class dim at 1 ----
Tensor from_rows(const Tensor& rows, const Shape& input_shape) {  // inverse of to_rows
  if (input_shape.size() <= 2) return ops::reshape(rows, input_shape);
  Shape s{input_shape[0]};
  for (size_t i = 2; i < input_shape.size(); ++i) s.push_back(input_shape[i]);
  s.push_back(input_shape[1]);
  Tensor t = ops::reshape(rows, s);
  std::vector<int64_t> perm{0, static_cast<int64_t>(input_shape.size()) - 1};
  for (size_t i = 1; i + 1 < input_shape.size(); ++i) perm.push_back(static_cast<int64_t>(i));
  return ops::contiguous(ops::permute(t, perm));
}

// Per-row target distribution q (weights and smoothing folded in) and the
// normaliser for mean reduction; loss_row = -sum_c q_c logp_c.
struct Targets {
  Tensor q;  // [M, C]
  double denom = 1;
};
template <typename T>
Targets class_targets(const Tensor& target, const Tensor& weight, const loss::ClassArgs& a) {
  const ClassLayout& l = a.layout;
  const double eps = a.label_smoothing;
  Targets out;
  out.q = zeros({l.M, l.C}, std::is_same_v<T, float> ? DType::Float32 : DType::Float64);
  T* q = out.q.data<T>();
  Tensor wc = weight.defined() ? to_dtype(weight, out.q.dtype()).contiguous() : Tensor();
  const T* w = wc.defined() ? wc.data<T>() : nullptr;
  if (w) loss::check_class_weight(weight, l.C, a.op);
  double denom = 0;
  if (a.probs) {
    Tensor tc = loss::to_rows(to_dtype(target, out.q.dtype()), l);
    const T* pt = tc.data<T>();
    for (int64_t i = 0; i < l.M; ++i)
      for (int64_t c = 0; c < l.C; ++c)
        q[i * l.C + c] = static_cast<T>(((1 - eps) * pt[i * l.C + c] + eps / l.C) * (w ? w[c] : 1));
    out.denom = static_cast<double>(l.M);
    return out;
  }
  Tensor tc = target.contiguous();
  const int64_t* pt = tc.data<int64_t>();
  for (int64_t i = 0; i < l.M; ++i) {
    int64_t y = pt[i];
    if (y == a.ignore_index) continue;
    if (y < 0 || y >= l.C) throw loss::target_out_of_range(a.op, y, l.C);
    double wy = w ? w[y] : 1.0;
    q[i * l.C + y] += static_cast<T>((1 - eps) * wy);
    if (eps > 0)
      for (int64_t c = 0; c < l.C; ++c) q[i * l.C + c] += static_cast<T>(eps / l.C * (w ? w[c] : 1.0));
    denom += wy;
  }
  out.denom = denom;
  return out;
}

// Shared by cross_entropy (logits) and nll_loss (log-probabilities).
template <bool FromLogits>
TensorList class_loss_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const loss::ClassArgs a = loss::class_args(FromLogits, in, at);
  const ClassLayout& l = a.layout;
  const Tensor &input = in[0], &target = in[1], &weight = in[2];
  Tensor rows = loss::to_rows(input, l);
  Tensor logp = FromLogits ? call_op("log_softmax", {rows}, {{"dim", int64_t(1)}})[0] : rows;
  Tensor per_row = empty(l.per_sample, input.dtype());
  double denom = 1;
  Tensor q;
  NW_DISPATCH_FLOAT(input.dtype(), a.op, [&] {
    using T = scalar_t;
    Targets t = class_targets<T>(target, weight, a);
    q = t.q;
    denom = t.denom;
    const T* pl = logp.data<T>();
    const T* pq = q.data<T>();
    T* pr = per_row.data<T>();
    for (int64_t i = 0; i < l.M; ++i) {
      double acc = 0;
      for (int64_t c = 0; c < l.C; ++c) {
        T qv = pq[i * l.C + c];
        if (qv != 0) acc -= static_cast<double>(qv) * pl[i * l.C + c];
      }
      pr[i] = static_cast<T>(acc);
    }
  });
  ctx.save({logp, q, weight});
  ctx.ints = {l.M, l.C};
  ctx.attrs.set("__denom", denom);
  return {loss::reduce_rows(per_row, a.reduction, denom)};
}
template <bool FromLogits>
TensorList class_loss_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor logp = s[0], q = s[1];
  int64_t M = ctx.ints[0];
  Reduction red = reduction_of(ctx.attrs);
  double denom = ctx.attrs.f("__denom", 1.0);
  Tensor grow;  // per-row upstream gradient [M, 1]
  if (red == Reduction::None) grow = ops::reshape(g[0], {M, 1});
  else grow = ops::expand(ops::reshape(red == Reduction::Mean ? ops::mul_scalar(g[0], 1.0 / denom) : g[0], {1, 1}), {M, 1});
  Tensor drows;
  if (FromLogits) {
    // d/dz of -sum q log softmax(z) = softmax(z) * sum(q) - q
    Tensor qsum = ops::sum(q, {1}, true);
    drows = ops::mul(grow, ops::sub(ops::mul(ops::exp(logp), qsum), q));
  } else {
    drows = ops::mul(grow, ops::neg(q));
  }
  Tensor dtarget;
  if (FromLogits && ctx.needs_input_grad[1] && is_floating(ctx.input_dtypes[1])) {
    // Probability target: d loss_row / d t_c = -(1 - label_smoothing) * weight_c * logp_c.
    Tensor dt = ops::mul_scalar(logp, -(1.0 - ctx.attrs.f("label_smoothing", 0.0)));
    if (s[2].defined()) dt = ops::mul(dt, s[2]);
    dtarget = from_rows(ops::mul(grow, dt), ctx.input_shapes[1]);
  }
  return {ctx.needs_input_grad[0] ? from_rows(drows, ctx.input_shapes[0]) : Tensor(), dtarget, Tensor()};
}

// ---- binary ----
Tensor bce_values(const Tensor& p, const Tensor& t) {
  Tensor per = empty(p.sizes(), p.dtype());
  NW_DISPATCH_FLOAT(p.dtype(), "binary_cross_entropy", [&] {
    kern::map2<scalar_t, scalar_t, scalar_t>(per, p, t, [](scalar_t pv, scalar_t tv) {
      NW_CHECK(pv >= 0 && pv <= 1, "E_RANGE",
               "binary_cross_entropy: inputs must be probabilities in [0, 1]; apply sigmoid first or use binary_cross_entropy_with_logits");
      // PyTorch clamps each log at -100 so p = 0 or 1 gives a finite loss.
      double lp = std::max(std::log(static_cast<double>(pv)), -100.0);
      double l1p = std::max(std::log1p(-static_cast<double>(pv)), -100.0);
      return static_cast<scalar_t>(-(tv * lp + (1 - tv) * l1p));
    });
  });
  return per;
}
Tensor bce_grad(const Tensor& p, const Tensor& t) {
  Tensor d = empty(p.sizes(), p.dtype());
  NW_DISPATCH_FLOAT(p.dtype(), "binary_cross_entropy", [&] {
    kern::map2<scalar_t, scalar_t, scalar_t>(d, p, t, [](scalar_t pv, scalar_t tv) {
      double pp = pv, denom = std::max(pp * (1 - pp), 1e-12);
      return static_cast<scalar_t>((pp - tv) / denom);
    });
  });
  return d;
}

// softplus(-x) = -log_sigmoid(x), computed stably.
Tensor softplus_of_neg(const Tensor& x) {
  Tensor out = empty(x.sizes(), x.dtype());
  NW_DISPATCH_FLOAT(x.dtype(), "binary_cross_entropy_with_logits", [&] {
    kern::map1<scalar_t, scalar_t>(out, x, [](scalar_t v) {
      return static_cast<scalar_t>(std::log1p(std::exp(-std::fabs(v))) + std::max<scalar_t>(-v, 0));
    });
  });
  return out;
}

}  // namespace

const OpDef op_mse_loss = {"mse_loss", 2, GradKind::Differentiable, mse_forward, mse_backward, "mean squared error"};
const OpDef op_l1_loss = {"l1_loss", 2, GradKind::Differentiable, l1_forward, l1_backward, "mean absolute error"};
const OpDef op_smooth_l1_loss = {"smooth_l1_loss", 2, GradKind::Differentiable, loss::forward_with<loss::smooth_l1_forward, smooth_l1_values>,
                                 loss::backward_with<loss::smooth_l1_backward, smooth_l1_slope>, "Huber-like loss with beta"};
const OpDef op_cross_entropy = {"cross_entropy", 3, GradKind::Differentiable, class_loss_forward<true>, class_loss_backward<true>, "log_softmax + nll from logits; weight, ignore_index, label_smoothing"};
const OpDef op_nll_loss = {"nll_loss", 3, GradKind::Differentiable, class_loss_forward<false>, class_loss_backward<false>, "negative log likelihood of log-probabilities"};
const OpDef op_binary_cross_entropy = {"binary_cross_entropy", 3, GradKind::Differentiable, loss::forward_with<loss::bce_forward, bce_values>,
                                       loss::backward_with<loss::bce_backward, bce_grad>, "BCE of probabilities (weight optional)"};
const OpDef op_binary_cross_entropy_with_logits = {"binary_cross_entropy_with_logits", 4, GradKind::Differentiable,
                                                   loss::forward_with<loss::bce_logits_forward, softplus_of_neg>,
                                                   loss::backward_with<loss::bce_logits_backward, softplus_of_neg>,
                                                   "sigmoid + BCE, stable; weight and pos_weight optional"};

}  // namespace nw
