// Reductions: sum, mean, max/min (values + indices), argmax/argmin, var/std, sum_to.
// Reduced dims are moved innermost and made contiguous, then each output element
// reduces one contiguous run; a reduction over leading dims accumulates rows.
#include <cmath>
#include <limits>
#include <numeric>

#include "core/autograd.h"
#include "kernels.h"
#include "ops.h"
#include "reduce_args.h"

namespace nw {

namespace reduction {

ReducePlan plan_reduce(const Shape& sizes, const std::vector<int64_t>& dims, bool keepdim, const char* op) {
  ReducePlan p;
  const int64_t nd = static_cast<int64_t>(sizes.size());
  p.reduced.assign(nd, dims.empty());
  for (auto d : dims) {
    int64_t w = ops::wrap_dim(d, nd, op);
    if (nd == 0) continue;
    NW_CHECK(!p.reduced[w] || dims.empty(), "E_DIM", std::string(op) + ": dimension " + std::to_string(d) + " appears twice");
    p.reduced[w] = true;
  }
  for (int64_t i = 0; i < nd; ++i) {
    if (p.reduced[i]) {
      p.inner *= sizes[i];
      p.out_keep.push_back(1);
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.outer *= sizes[i];
      p.out_keep.push_back(sizes[i]);
      p.out_shape.push_back(sizes[i]);
    }
  }
  return p;
}

ReducePlan plan_of(const Shape& sizes, const Attrs& at, bool keepdim, const char* op) {
  return plan_reduce(sizes, at.ints("dim", {}), keepdim, op);
}

DType sum_dtype(DType t) { return is_floating(t) ? t : DType::Int64; }

void check_mean_dtype(const Tensor& a) {
  NW_CHECK(is_floating(a.dtype()), "E_DTYPE",
           std::string("mean needs a floating point tensor, got ") + dtype_name(a.dtype()) + "; convert it with to(float32)");
}
void check_var_dtype(const Tensor& a) {
  NW_CHECK(is_floating(a.dtype()), "E_DTYPE", std::string("var needs a floating point tensor, got ") + dtype_name(a.dtype()));
}

void check_extreme_nonempty(int64_t inner, bool is_max, const Shape& shape) {
  NW_CHECK(inner > 0, "E_SHAPE",
           std::string(is_max ? "max" : "min") + " of an empty tensor has no identity; check the input shape " + shape_str(shape));
}

double var_denom(int64_t inner, const Attrs& at) { return std::max(0.0, static_cast<double>(inner) - at.f("correction", 1.0)); }

std::vector<int64_t> sum_to_dims(const Shape& sizes, const Shape& target) {
  const size_t nd = sizes.size();
  NW_CHECK(target.size() <= nd, "E_SHAPE", "sum_to: cannot reduce " + shape_str(sizes) + " to " + shape_str(target));
  size_t lead = nd - target.size();
  std::vector<int64_t> dims;
  for (size_t i = 0; i < nd; ++i) {
    if (i < lead) dims.push_back(static_cast<int64_t>(i));
    else if (target[i - lead] == 1 && sizes[i] != 1) dims.push_back(static_cast<int64_t>(i));
    else NW_CHECK(target[i - lead] == sizes[i], "E_SHAPE", "sum_to: cannot reduce " + shape_str(sizes) + " to " + shape_str(target));
  }
  return dims;
}

ReducePlan extreme_plan(const Shape& sizes, const Attrs& at, bool is_max) {
  const bool has_dim = at.has("dim");
  std::vector<int64_t> dims = has_dim ? std::vector<int64_t>{at.i("dim")} : std::vector<int64_t>{};
  ReducePlan p = plan_reduce(sizes, dims, has_dim && at.b("keepdim", false), is_max ? "max" : "min");
  check_extreme_nonempty(p.inner, is_max, sizes);
  return p;
}

Tensor extreme_global_grad(const Tensor& a, const Tensor& value, const Tensor& g) {
  Tensor mask = to_dtype(ops::compare("eq", a, value), g.dtype());
  Tensor count = ops::sum(mask);
  return ops::mul(mask, ops::div(g, count));
}

}  // namespace reduction

namespace {

using reduction::plan_reduce;
using reduction::ReducePlan;

// Input with kept dims first, reduced dims last, contiguous: [outer, inner].
Tensor reduced_last(const Tensor& a, const ReducePlan& p) {
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < a.dim(); ++i)
    if (!p.reduced[i]) perm.push_back(i);
  for (int64_t i = 0; i < a.dim(); ++i)
    if (p.reduced[i]) perm.push_back(i);
  Shape sz, st;
  for (auto i : perm) {
    sz.push_back(a.sizes()[i]);
    st.push_back(a.strides()[i]);
  }
  return make_view(a, sz, st, a.offset()).contiguous();
}

bool is_prefix_reduction(const ReducePlan& p) {
  bool seen_kept = false;
  for (bool r : p.reduced) {
    if (!r) seen_kept = true;
    else if (seen_kept) return false;
  }
  return true;
}

template <typename T>
using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

Tensor sum_impl(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim, DType out_dtype) {
  ReducePlan p = plan_reduce(a.sizes(), dims, keepdim, "sum");
  Tensor src = a.dtype() == out_dtype ? a : to_dtype(a, out_dtype);
  Tensor out = empty(p.out_shape, out_dtype, a.device());
  NW_DISPATCH_ALL(out_dtype, [&] {
    scalar_t* po = out.data<scalar_t>();
    if (src.is_contiguous() && is_prefix_reduction(p) && p.outer > 1 && p.inner > 0) {
      // Column sums: rows of length `outer` added together (vectorises).
      const scalar_t* ps = src.data<scalar_t>();
      cpu::parallel_for(0, p.outer, 4096, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) po[j] = ps[j];
        for (int64_t r = 1; r < p.inner; ++r) {
          const scalar_t* row = ps + r * p.outer;
          for (int64_t j = b; j < e; ++j) po[j] = static_cast<scalar_t>(po[j] + row[j]);
        }
      });
      return;
    }
    Tensor c = reduced_last(src, p);
    const scalar_t* ps = c.data<scalar_t>();
    cpu::parallel_for(0, p.outer, std::max<int64_t>(1, 32768 / std::max<int64_t>(p.inner, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const scalar_t* run = ps + o * p.inner;
        acc_t<scalar_t> acc = 0;
        for (int64_t i = 0; i < p.inner; ++i) acc += static_cast<acc_t<scalar_t>>(run[i]);
        po[o] = static_cast<scalar_t>(acc);
      }
    });
  });
  return out;
}

TensorList sum_forward(OpContext&, const TensorList& in, const Attrs& at) {
  return {sum_impl(in[0], at.ints("dim", {}), at.b("keepdim", false), reduction::sum_dtype(in[0].dtype()))};
}
Tensor expand_back(const Tensor& g, const OpContext& ctx) {
  ReducePlan p = reduction::plan_of(ctx.input_shapes[0], ctx.attrs, true, "sum");
  return ops::expand(ops::reshape(g, p.out_keep), ctx.input_shapes[0]);
}
TensorList sum_backward(OpContext& ctx, const TensorList& g) { return {ops::contiguous(expand_back(g[0], ctx))}; }

TensorList mean_forward(OpContext&, const TensorList& in, const Attrs& at) {
  reduction::check_mean_dtype(in[0]);
  ReducePlan p = reduction::plan_of(in[0].sizes(), at, false, "mean");
  Tensor s = sum_impl(in[0], at.ints("dim", {}), at.b("keepdim", false), in[0].dtype());
  Tensor scale = ops::scalar_like(1.0 / static_cast<double>(p.inner), s);
  return {ops::mul(s, scale)};
}
TensorList mean_backward(OpContext& ctx, const TensorList& g) {
  ReducePlan p = reduction::plan_of(ctx.input_shapes[0], ctx.attrs, true, "mean");
  return {ops::contiguous(ops::mul_scalar(expand_back(g[0], ctx), 1.0 / static_cast<double>(p.inner)))};
}

// max/min along one dim -> (values, indices); without dim -> the global value.
template <bool IsMax>
TensorList extreme_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  ReducePlan p = reduction::extreme_plan(a.sizes(), at, IsMax);
  Tensor c = reduced_last(a, p);
  Tensor vals = empty(p.out_shape, a.dtype(), a.device());
  Tensor idx = empty(p.out_shape, DType::Int64, a.device());
  NW_DISPATCH_ALL(a.dtype(), [&] {
    const scalar_t* ps = c.data<scalar_t>();
    scalar_t* pv = vals.data<scalar_t>();
    int64_t* pi = idx.data<int64_t>();
    for (int64_t o = 0; o < p.outer; ++o) {
      const scalar_t* run = ps + o * p.inner;
      int64_t best = 0;
      for (int64_t i = 1; i < p.inner; ++i) {
        if constexpr (std::is_floating_point_v<scalar_t>) {
          if (std::isnan(run[best])) break;
          if (std::isnan(run[i])) { best = i; break; }
        }
        if (IsMax ? run[i] > run[best] : run[i] < run[best]) best = i;
      }
      pv[o] = run[best];
      pi[o] = best;
    }
  });
  ctx.save({a, vals, idx});
  if (!at.has("dim")) return {vals};
  return {vals, idx};
}
// out = zeros of a's shape with g scattered in at the indices along dim.
Tensor scatter_extreme(const Tensor& a, const Tensor& g, const Tensor& indices, int64_t dim, bool keepdim) {
  Tensor gi = g;
  Tensor idx = indices;
  if (!keepdim && a.dim() > 0) {
    gi = ops::unsqueeze(gi, dim);
    idx = ops::unsqueeze(idx, dim);
  }
  Tensor out = zeros(a.sizes(), g.dtype(), a.device());
  Tensor gc = gi.contiguous(), ic = idx.contiguous();
  Shape st = out.strides();
  NW_DISPATCH_FLOAT(out.dtype(), "max", [&] {
    const scalar_t* pg = gc.data<scalar_t>();
    const int64_t* pi = ic.data<int64_t>();
    scalar_t* po = out.data<scalar_t>();
    const Shape& gs = gc.sizes();
    int64_t n = gc.numel();
    for (int64_t lin = 0; lin < n; ++lin) {
      int64_t rem = lin, off = 0;
      for (int64_t d = static_cast<int64_t>(gs.size()) - 1; d >= 0; --d) {
        int64_t coord = rem % gs[d];
        rem /= gs[d];
        off += (d == dim ? pi[lin] : coord) * st[d];
      }
      po[off] += pg[lin];
    }
  });
  return out;
}
TensorList extreme_backward(OpContext& ctx, const TensorList& g) { return reduction::extreme_backward(ctx, g, scatter_extreme); }

template <bool IsMax>
TensorList arg_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  if (!at.has("dim")) {
    // Over the flattened tensor, like torch.argmax(x).
    Tensor flat = ops::reshape(a.contiguous(), {a.numel()});
    Attrs sub{{"dim", int64_t(0)}};
    Tensor idx = extreme_forward<IsMax>(ctx, {flat}, sub)[1];
    if (at.b("keepdim", false)) return {ops::reshape(idx, Shape(a.dim(), 1))};
    return {idx};
  }
  return {extreme_forward<IsMax>(ctx, in, at)[1]};
}

// Variance with Bessel's correction (PyTorch's `correction`, default 1).
TensorList var_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  reduction::check_var_dtype(a);
  auto dims = at.ints("dim", {});
  ReducePlan p = plan_reduce(a.sizes(), dims, true, "var");
  Tensor mu = sum_impl(a, dims, true, a.dtype());
  mu = ops::mul_scalar(mu, 1.0 / static_cast<double>(p.inner));
  Tensor centered = ops::sub(a, mu);
  Tensor sq = sum_impl(ops::mul(centered, centered), dims, at.b("keepdim", false), a.dtype());
  Tensor out = ops::mul_scalar(sq, 1.0 / reduction::var_denom(p.inner, at));
  ctx.save({centered});
  return {out};
}
TensorList var_backward(OpContext& ctx, const TensorList& g) {
  Tensor centered = ctx.saved()[0];
  ReducePlan p = reduction::plan_of(ctx.input_shapes[0], ctx.attrs, true, "var");
  double denom = reduction::var_denom(p.inner, ctx.attrs);
  Tensor ge = expand_back(g[0], ctx);
  return {ops::mul(ge, ops::mul_scalar(centered, 2.0 / denom))};
}
TensorList std_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  TensorList v = var_forward(ctx, in, at);
  Tensor out = ops::sqrt(v[0]);
  TensorList saved = ctx.saved();
  ctx.save({saved[0], out});
  return {out};
}
TensorList std_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor centered = s[0], out = s[1];
  ReducePlan p = reduction::plan_of(ctx.input_shapes[0], ctx.attrs, true, "std");
  double denom = reduction::var_denom(p.inner, ctx.attrs);
  Tensor gs = ops::div(g[0], ops::mul_scalar(out, denom));  // d std = d var / (2 std)
  // NOTE: at std = 0 that is x/0 (NaN or inf); PyTorch masks it to 0 (std_backward).
  gs = ops::where(ops::compare("eq", out, ops::scalar_like(0.0, out)), ops::scalar_like(0.0, gs), gs);
  Tensor ge = expand_back(gs, ctx);
  return {ops::mul(ge, centered)};
}

// sum_to(shape): undo broadcasting (sum over leading dims and dims that were 1).
TensorList sum_to_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  Shape target = at.ints("shape");
  std::vector<int64_t> dims = reduction::sum_to_dims(a.sizes(), target);
  if (dims.empty()) return {ops::reshape(a, target)};
  Tensor s = sum_impl(a, dims, true, a.dtype());
  return {ops::reshape(s, target)};
}
TensorList sum_to_backward(OpContext& ctx, const TensorList& g) { return {ops::expand(g[0], ctx.input_shapes[0])}; }

}  // namespace

const OpDef op_sum = {"sum", 1, GradKind::Differentiable, sum_forward, sum_backward, "sum over dims (all if none), keepdim"};
const OpDef op_mean = {"mean", 1, GradKind::Differentiable, mean_forward, mean_backward, "mean over dims (all if none), keepdim"};
const OpDef op_max = {"max", 1, GradKind::Differentiable, extreme_forward<true>, extreme_backward, "max over dim -> (values, indices); global max without dim"};
const OpDef op_min = {"min", 1, GradKind::Differentiable, extreme_forward<false>, extreme_backward, "min over dim -> (values, indices); global min without dim"};
const OpDef op_argmax = {"argmax", 1, GradKind::None, arg_forward<true>, nullptr, "index of the max over dim (flattened without dim)"};
const OpDef op_argmin = {"argmin", 1, GradKind::None, arg_forward<false>, nullptr, "index of the min over dim (flattened without dim)"};
const OpDef op_var = {"var", 1, GradKind::Differentiable, var_forward, var_backward, "variance over dims with correction (default 1)"};
const OpDef op_std = {"std", 1, GradKind::Differentiable, std_forward, std_backward, "standard deviation over dims with correction (default 1)"};
const OpDef op_sum_to = {"sum_to", 1, GradKind::Differentiable, sum_to_forward, sum_to_backward, "sum a broadcast tensor back to shape"};

namespace ops {
Tensor sum(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim) {
  Attrs at;
  if (!dims.empty()) at.set("dim", dims);
  if (keepdim) at.set("keepdim", true);
  return call_op(op_sum, {a}, at)[0];
}
Tensor mean(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim) {
  Attrs at;
  if (!dims.empty()) at.set("dim", dims);
  if (keepdim) at.set("keepdim", true);
  return call_op(op_mean, {a}, at)[0];
}
Tensor sum_to(const Tensor& a, const Shape& shape) { return call_op(op_sum_to, {a}, {{"shape", shape}})[0]; }
}  // namespace ops
}  // namespace nw
