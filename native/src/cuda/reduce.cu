// Reductions on CUDA: sum, mean, max/min (values + indices), argmax/argmin, var/std,
// sum_to — ops/reduce_args.h's attributes, dtypes and errors, and the CPU's NaN rules.
// Every reduction runs through run_reduce (cuda/reduce.cuh) over any set of dims, reading
// the input in place (no permuted copy); sums accumulate in double (floats) or int64.
#include <cmath>

#include "cuda/reduce.cuh"
#include "ops/ops.h"
#include "ops/reduce_args.h"

namespace nw::cuda {

namespace {

using reduction::plan_of;
using reduction::plan_reduce;
using reduction::ReducePlan;

template <typename T>
using acc_type = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Sum of each row; the result is cast to Tout, then (optionally) times `scale` in Tout
// (the CPU's sum followed by mul_scalar) and square-rooted.
template <typename Tin, typename Tout>
struct SumOp {
  using acc_t = acc_type<Tin>;
  RowReader<Tin> in;
  Tout* out;
  Tout scale;
  bool scaled, square, sqrt_out;
  __device__ acc_t identity() const { return acc_t(0); }
  __device__ int64_t row(int64_t o) const { return in.row(o); }
  __device__ acc_t step(acc_t a, int64_t row, int64_t r) const {
    const Tin v = in.load(row, r);
    // The square is rounded to Tin first, as the CPU's mul(centered, centered).
    return a + (square ? static_cast<acc_t>(static_cast<Tin>(v * v)) : static_cast<acc_t>(v));
  }
  __device__ acc_t merge(acc_t a, acc_t b) const { return a + b; }
  __device__ void finish(int64_t o, acc_t a) const {
    Tout v = static_cast<Tout>(a);
    if constexpr (std::is_floating_point_v<Tout>) {
      if (scaled) v = v * scale;
      if (sqrt_out) v = d_sqrt(v);
    }
    out[o] = v;
  }
};

struct SumOptions {
  double scale = 1.0;
  bool scaled = false, square = false, sqrt_out = false;
};

// Reduces `a` per plan into a fresh contiguous tensor of `out_shape` (numel == outer).
Tensor sum_impl(const Tensor& a, const ReducePlan& p, DType out_dtype, const Shape& out_shape, SumOptions opt = {}) {
  NW_CHECK(out_dtype == a.dtype() || out_dtype == DType::Int64, "E_INTERNAL", "sum_impl: unexpected output dtype");
  Tensor out = empty(out_shape, out_dtype, a.device());
  NW_DISPATCH_ALL(a.dtype(), [&] {
    using Tin = scalar_t;
    auto run = [&](auto tout_tag) {
      using Tout = decltype(tout_tag);
      bool rows_contiguous = false;
      SumOp<Tin, Tout> op{row_reader<Tin>(a, p.reduced, &rows_contiguous), out.data<Tout>(),
                          static_cast<Tout>(opt.scale), opt.scaled, opt.square, opt.sqrt_out};
      run_reduce(dev(a), op, p.outer, p.inner, rows_contiguous);
    };
    if (out_dtype == a.dtype()) run(Tin{});
    else run(int64_t{});
  });
  return out;
}

// ---- gradients of sum/mean/var/std: g broadcast back over the input's shape ----
enum class Back { Copy, Scale, ScaleCentered, TimesCentered };

// out[i] = g at i's output position, combined per `mode` with `scale` and centered[i].
Tensor expand_back(const Tensor& g_in, const OpContext& ctx, Back mode, double scale, const Tensor& centered_in) {
  const Shape& in_shape = ctx.input_shapes[0];
  ReducePlan p = plan_of(in_shape, ctx.attrs, true, "sum");
  const bool keepdim = ctx.attrs.b("keepdim", false);
  const int64_t nd = static_cast<int64_t>(in_shape.size());
  DType dt = centered_in.defined() ? centered_in.dtype() : g_in.dtype();
  Tensor g = g_in.dtype() == dt ? g_in : to_dtype(g_in, dt);
  // Strides of g seen over the input's dims: 0 along reduced dims.
  int64_t gst[kMaxDims] = {};
  int64_t gd = 0;
  for (int64_t d = 0; d < nd; ++d) {
    if (p.reduced[d]) {
      if (keepdim) ++gd;
      gst[d] = 0;
    } else {
      NW_CHECK(gd < g.dim() && g.sizes()[gd] == in_shape[d], "E_INTERNAL",
               "reduction backward: gradient of shape " + shape_str(g.sizes()) + " does not match the output");
      gst[d] = g.strides()[gd++];
    }
  }
  Indexer gi = make_indexer(in_shape.data(), gst, static_cast<int>(nd), g.offset());
  Tensor out = empty(in_shape, dt, g.device());
  NW_DISPATCH_FLOAT(dt, "sum", [&] {
    using T = scalar_t;
    T* po = out.data<T>();
    const T* pg = base_ptr<const T>(g);
    const T* pc = centered_in.defined() ? base_ptr<const T>(centered_in) : nullptr;
    Indexer ci = centered_in.defined() ? indexer(centered_in, in_shape) : Indexer{};
    const T s = static_cast<T>(scale);
    launch(dev(out), out.numel(), [=] __device__(int64_t i) {
      const T gv = pg[gi.at(i)];
      switch (mode) {
        case Back::Copy: po[i] = gv; break;
        case Back::Scale: po[i] = gv * s; break;
        case Back::ScaleCentered: po[i] = gv * (pc[ci.at(i)] * s); break;
        case Back::TimesCentered: po[i] = gv * pc[ci.at(i)]; break;
      }
    });
  });
  return out;
}

// ---- sum / mean ----
TensorList sum_forward(OpContext&, const TensorList& in, const Attrs& at) {
  DeviceGuard guard(dev(in[0]));
  ReducePlan p = plan_of(in[0].sizes(), at, at.b("keepdim", false), "sum");
  return {sum_impl(in[0], p, reduction::sum_dtype(in[0].dtype()), p.out_shape)};
}
TensorList sum_backward(OpContext& ctx, const TensorList& g) {
  DeviceGuard guard(dev(g[0]));
  return {expand_back(g[0], ctx, Back::Copy, 1.0, Tensor())};
}

TensorList mean_forward(OpContext&, const TensorList& in, const Attrs& at) {
  reduction::check_mean_dtype(in[0]);
  DeviceGuard guard(dev(in[0]));
  ReducePlan p = plan_of(in[0].sizes(), at, at.b("keepdim", false), "mean");
  SumOptions opt;
  opt.scaled = true;
  opt.scale = 1.0 / static_cast<double>(p.inner);  // 0 elements: 0 * inf = nan, as the CPU
  return {sum_impl(in[0], p, in[0].dtype(), p.out_shape, opt)};
}
TensorList mean_backward(OpContext& ctx, const TensorList& g) {
  DeviceGuard guard(dev(g[0]));
  ReducePlan p = plan_of(ctx.input_shapes[0], ctx.attrs, true, "mean");
  return {expand_back(g[0], ctx, Back::Scale, 1.0 / static_cast<double>(p.inner), Tensor())};
}

// ---- max / min / argmax / argmin ----
template <typename T>
struct ArgAcc {
  T v;
  int64_t i;  // -1: no element yet
};

// The CPU's rule: the first NaN wins; otherwise the first index of the extreme value.
// As a total order on (NaN, value, -index) the result does not depend on merge order.
template <typename T, bool IsMax>
struct ArgOp {
  using acc_t = ArgAcc<T>;
  RowReader<T> in;
  T* vals;         // may be null (argmax/argmin)
  int64_t* index;  // may be null
  __device__ acc_t identity() const { return acc_t{T(0), -1}; }
  __device__ int64_t row(int64_t o) const { return in.row(o); }
  __device__ acc_t merge(acc_t a, acc_t b) const {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    if constexpr (std::is_floating_point_v<T>) {
      const bool an = d_isnan(a.v), bn = d_isnan(b.v);
      if (an || bn) {
        if (an && bn) return a.i < b.i ? a : b;
        return an ? a : b;
      }
    }
    if (IsMax ? b.v > a.v : b.v < a.v) return b;
    if (IsMax ? a.v > b.v : a.v < b.v) return a;
    return b.i < a.i ? b : a;
  }
  __device__ acc_t step(acc_t a, int64_t row, int64_t r) const { return merge(a, acc_t{in.load(row, r), r}); }
  __device__ void finish(int64_t o, acc_t a) const {
    if (vals) vals[o] = a.v;
    if (index) index[o] = a.i;
  }
};

template <bool IsMax>
void arg_reduce(const Tensor& a, const ReducePlan& p, const Tensor& vals, const Tensor& idx) {
  NW_DISPATCH_ALL(a.dtype(), [&] {
    bool rows_contiguous = false;
    ArgOp<scalar_t, IsMax> op{row_reader<scalar_t>(a, p.reduced, &rows_contiguous),
                              vals.defined() ? vals.data<scalar_t>() : nullptr,
                              idx.defined() ? idx.data<int64_t>() : nullptr};
    run_reduce(dev(a), op, p.outer, p.inner, rows_contiguous);
  });
}

template <bool IsMax>
TensorList extreme_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  DeviceGuard guard(dev(a));
  ReducePlan p = reduction::extreme_plan(a.sizes(), at, IsMax);
  Tensor vals = empty(p.out_shape, a.dtype(), a.device());
  Tensor idx = empty(p.out_shape, DType::Int64, a.device());
  arg_reduce<IsMax>(a, p, vals, idx);
  ctx.save({a, vals, idx});
  if (!at.has("dim")) return {vals};
  return {vals, idx};
}

// out = zeros of a's shape with g scattered in at the indices along dim (g and the indices
// in keepdim or reduced shape alike: they are read by their kept positions).
Tensor scatter_extreme(const Tensor& a, const Tensor& gv, const Tensor& idx, int64_t dim, bool) {
  DeviceGuard guard(dev(a));
  Tensor out = zeros(a.sizes(), gv.dtype(), a.device());
  // out[kept position, idx] += g: each output element receives exactly one gradient.
  Shape ost = out.strides();
  int64_t ksz[kMaxDims], kst[kMaxDims];
  int nk = 0;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (d == dim) continue;
    ksz[nk] = a.sizes()[d];
    kst[nk++] = ost[d];
  }
  const Indexer kept = make_indexer(ksz, kst, nk, 0);
  const int64_t dstride = a.dim() > 0 ? ost[dim] : 0;
  const Indexer gi = indexer(gv), ii = indexer(idx);
  NW_DISPATCH_FLOAT(out.dtype(), "max", [&] {
    using T = scalar_t;
    T* po = out.data<T>();
    const T* pg = base_ptr<const T>(gv);
    const int64_t* pi = base_ptr<const int64_t>(idx);
    launch(dev(out), gv.numel(), [=] __device__(int64_t o) {
      po[kept.at(o) + pi[ii.at(o)] * dstride] += pg[gi.at(o)];
    });
  });
  return out;
}
TensorList extreme_backward(OpContext& ctx, const TensorList& g) { return reduction::extreme_backward(ctx, g, scatter_extreme); }

template <bool IsMax>
TensorList arg_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  if (at.has("dim")) return {extreme_forward<IsMax>(ctx, in, at)[1]};
  // Over the flattened tensor, like torch.argmax(x): the flat index of the first extreme.
  DeviceGuard guard(dev(a));
  reduction::check_extreme_nonempty(a.numel(), IsMax, {a.numel()});
  ReducePlan p = plan_reduce(a.sizes(), {}, false, IsMax ? "max" : "min");
  Tensor idx = empty(at.b("keepdim", false) ? Shape(a.dim(), 1) : Shape{}, DType::Int64, a.device());
  arg_reduce<IsMax>(a, p, Tensor(), idx);
  return {idx};
}

// ---- var / std (Bessel's `correction`, default 1) ----
TensorList var_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  reduction::check_var_dtype(a);
  DeviceGuard guard(dev(a));
  const auto dims = at.ints("dim", {});
  ReducePlan p = plan_reduce(a.sizes(), dims, true, "var");
  SumOptions mean_opt;
  mean_opt.scaled = true;
  mean_opt.scale = 1.0 / static_cast<double>(p.inner);
  Tensor mu = sum_impl(a, p, a.dtype(), p.out_keep, mean_opt);
  Tensor centered = ops::sub(a, mu);
  ReducePlan pk = plan_reduce(centered.sizes(), dims, at.b("keepdim", false), "var");
  SumOptions sq_opt;
  sq_opt.square = true;
  sq_opt.scaled = true;
  sq_opt.scale = 1.0 / reduction::var_denom(p.inner, at);
  sq_opt.sqrt_out = at.b("__sqrt", false);
  Tensor out = sum_impl(centered, pk, a.dtype(), pk.out_shape, sq_opt);
  ctx.save({centered});
  return {out};
}
TensorList var_backward(OpContext& ctx, const TensorList& g) {
  DeviceGuard guard(dev(g[0]));
  Tensor centered = ctx.saved()[0];
  ReducePlan p = plan_of(ctx.input_shapes[0], ctx.attrs, true, "var");
  const double denom = reduction::var_denom(p.inner, ctx.attrs);
  return {expand_back(g[0], ctx, Back::ScaleCentered, 2.0 / denom, centered)};
}

TensorList std_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  Attrs sqrt_at = at;  // var with the square root fused into its last kernel
  sqrt_at.set("__sqrt", true);
  TensorList v = var_forward(ctx, in, sqrt_at);
  TensorList saved = ctx.saved();
  ctx.save({saved[0], v[0]});
  return {v[0]};
}
TensorList std_backward(OpContext& ctx, const TensorList& g) {
  DeviceGuard guard(dev(g[0]));
  TensorList s = ctx.saved();
  Tensor centered = s[0], out = s[1];
  ReducePlan p = plan_of(ctx.input_shapes[0], ctx.attrs, true, "std");
  const double denom = reduction::var_denom(p.inner, ctx.attrs);
  // d std = d var / (2 std); NOTE: at std = 0 that is x/0, masked to 0 as PyTorch's std_backward.
  Tensor gy = g[0].dtype() == out.dtype() ? g[0] : to_dtype(g[0], out.dtype());
  Tensor gs = empty(out.sizes(), out.dtype(), out.device());
  NW_DISPATCH_FLOAT(out.dtype(), "std", [&] {
    using T = scalar_t;
    const T dn = static_cast<T>(denom);
    map2<T, T, T>(gs, gy, out, [dn] __device__(T gv, T sv) { return sv == T(0) ? T(0) : gv / (sv * dn); });
  });
  return {expand_back(gs, ctx, Back::TimesCentered, 1.0, centered)};
}

// ---- sum_to(shape): undo broadcasting (sum over leading dims and dims that were 1) ----
TensorList sum_to_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  Shape target = at.ints("shape");
  std::vector<int64_t> dims = reduction::sum_to_dims(a.sizes(), target);
  // Nothing to reduce: target equals a's shape (call_op gives the result its own impl).
  if (dims.empty()) return {a};
  DeviceGuard guard(dev(a));
  ReducePlan p = plan_reduce(a.sizes(), dims, true, "sum");
  return {sum_impl(a, p, a.dtype(), target)};  // keepdim result without its leading 1s == target
}
TensorList sum_to_backward(OpContext& ctx, const TensorList& g) {
  // expand(g, input shape) as a view, like the CPU's ops::expand.
  const Shape& shape = ctx.input_shapes[0];
  return {make_view(g[0], shape, broadcast_strides(g[0], shape), g[0].offset())};
}

}  // namespace

void register_reduce_ops(OpRegistry& r) {
  r.add(op_sum, sum_forward, sum_backward);
  r.add(op_mean, mean_forward, mean_backward);
  r.add(op_max, extreme_forward<true>, extreme_backward);
  r.add(op_min, extreme_forward<false>, extreme_backward);
  r.add(op_argmax, arg_forward<true>, nullptr);
  r.add(op_argmin, arg_forward<false>, nullptr);
  r.add(op_var, var_forward, var_backward);
  r.add(op_std, std_forward, std_backward);
  r.add(op_sum_to, sum_to_forward, sum_to_backward);
}

}  // namespace nw::cuda
