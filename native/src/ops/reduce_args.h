// The rules of the reductions, shared by the CPU ops (reduce.cpp) and the CUDA ones
// (cuda/reduce.cu): which dims are reduced and the output shapes, result dtypes, the
// attributes' defaults and the argument errors.
#pragma once

#include <vector>

#include "core/op.h"
#include "ops/ops.h"

namespace nw::reduction {

struct ReducePlan {
  std::vector<bool> reduced;  // per input dim
  Shape out_keep;             // keepdim shape
  Shape out_shape;            // final shape
  int64_t outer = 1, inner = 1;
};
// Reduces `dims` of `sizes` (all dims when empty); E_DIM for a dim out of range or repeated.
ReducePlan plan_reduce(const Shape& sizes, const std::vector<int64_t>& dims, bool keepdim, const char* op);
// The plan of a reduction op's `dim` attribute (all dims by default) over `sizes`.
ReducePlan plan_of(const Shape& sizes, const Attrs& at, bool keepdim, const char* op);
// sum's result dtype: floats keep theirs, integers and bool sum to int64.
DType sum_dtype(DType t);
// E_DTYPE for mean or var/std of a non-float tensor.
void check_mean_dtype(const Tensor& a);
void check_var_dtype(const Tensor& a);
// E_SHAPE for max/min/argmax/argmin over an empty run (`shape`: the input as reduced).
void check_extreme_nonempty(int64_t inner, bool is_max, const Shape& shape);
// The plan of max/min: over the `dim` attribute (keepdim as asked) or, without one, the
// whole tensor to a 0-d value; E_SHAPE when there is nothing to take the extreme of.
ReducePlan extreme_plan(const Shape& sizes, const Attrs& at, bool is_max);
// var/std's divisor: elements reduced less `correction` (Bessel's, 1 by default), at least 0.
double var_denom(int64_t inner, const Attrs& at);
// The dims sum_to reduces to turn `sizes` into `target` (E_SHAPE when it cannot).
std::vector<int64_t> sum_to_dims(const Shape& sizes, const Shape& target);
// Gradient of the global max/min (no dim): split evenly among ties, as PyTorch's max()/amax do.
Tensor extreme_global_grad(const Tensor& a, const Tensor& value, const Tensor& g);
// Backward of max/min, saved (input, values, indices): the global case above, or the
// device's scatter(a, g, indices, dim, keepdim) of g into zeros of a's shape at the indices.
template <typename Scatter>
TensorList extreme_backward(const OpContext& ctx, const TensorList& g, Scatter scatter) {
  const TensorList s = ctx.saved();
  if (!ctx.attrs.has("dim")) return {extreme_global_grad(s[0], s[1], g[0])};
  const int64_t dim = ops::wrap_dim(ctx.attrs.i("dim"), s[0].dim(), "max");
  return {scatter(s[0], g[0], s[2], dim, ctx.attrs.b("keepdim", false))};
}

}  // namespace nw::reduction
