// The rules of the loss functions, shared by the CPU ops (loss.cpp) and the CUDA ones
// (cuda/loss.cu): the reduction attribute, argument checks and messages, the class
// layout of cross_entropy/nll_loss, and the losses composed of ops:: calls, into which
// each device plugs its elementwise kernels.
#pragma once

#include "core/op.h"

namespace nw::loss {

enum class Reduction { None, Mean, Sum };
// The `reduction` attribute (mean by default).
Reduction reduction_of(const Attrs& at);
// The per-element loss reduced per `r`.
Tensor reduce(const Tensor& per_elem, Reduction r);
// Gradient of reduce() w.r.t. the per-element values, left unexpanded: every use
// multiplies it with a tensor of the full shape, which broadcasts it.
Tensor reduce_grad(const Tensor& g, const Shape& shape, Reduction r);
void check_same_shape(const Tensor& input, const Tensor& target, const char* op);
// The target in the input's dtype.
Tensor float_target(const Tensor& t, const Tensor& like);

// A device's elementwise kernels: per-element values of one tensor, of one tensor with a
// parameter, or of two tensors of the same shape.
using Map1 = Tensor (*)(const Tensor& x);
using Map1P = Tensor (*)(const Tensor& x, double param);
using Map2 = Tensor (*)(const Tensor& a, const Tensor& b);

// smooth_l1_loss: the per-element loss and slope of d = input - target with `beta`.
TensorList smooth_l1_forward(OpContext& ctx, const TensorList& in, const Attrs& at, Map1P per_elem);
TensorList smooth_l1_backward(OpContext& ctx, const TensorList& g, Map1P slope);
// binary_cross_entropy: `per_elem(p, t)` is the unweighted loss (E_RANGE for p outside
// [0, 1]); `grad(p, t)` its derivative in p.
TensorList bce_forward(OpContext& ctx, const TensorList& in, const Attrs& at, Map2 per_elem);
TensorList bce_backward(OpContext& ctx, const TensorList& g, Map2 grad);
// binary_cross_entropy_with_logits: `softplus_of_neg(x)` is softplus(-x) computed stably.
TensorList bce_logits_forward(OpContext& ctx, const TensorList& in, const Attrs& at, Map1 softplus_of_neg);
TensorList bce_logits_backward(OpContext& ctx, const TensorList& g, Map1 softplus_of_neg);
// The op functions (ForwardFn, BackwardFn) of one of the compositions above with a
// device's kernel, e.g. forward_with<bce_forward, bce_values>.
template <auto Forward, auto Kernel>
TensorList forward_with(OpContext& ctx, const TensorList& in, const Attrs& at) {
  return Forward(ctx, in, at, Kernel);
}
template <auto Backward, auto Kernel>
TensorList backward_with(OpContext& ctx, const TensorList& g) {
  return Backward(ctx, g, Kernel);
}

// ---- classification: logits/log-probs with the class dim at 1 ----
// Rows: the class dim moved last and flattened, [M, C]; row i, class c is element
// (i / D) * C * D + c * D + i % D of the (contiguous) input, D = prod(d1, ...).
struct ClassLayout {
  Shape per_sample;  // shape of the unreduced loss: [N, d1, ...] (or [] for 1-D input)
  int64_t M = 1, C = 1, D = 1;
};
// The checked arguments of cross_entropy (FromLogits) and nll_loss.
struct ClassArgs {
  const char* op = "cross_entropy";
  ClassLayout layout;
  bool probs = false;  // a float target of class probabilities (cross_entropy only)
  double label_smoothing = 0;
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};
ClassArgs class_args(bool from_logits, const TensorList& in, const Attrs& at);
// [N, C, d...] -> contiguous [M, C] (a copy unless the layout already is that).
Tensor to_rows(const Tensor& input, const ClassLayout& l);
// E_SHAPE unless the class weight has one entry per class.
void check_class_weight(const Tensor& weight, int64_t classes, const char* op);
// The error for a class index outside [0, classes).
Error target_out_of_range(const char* op, int64_t target, int64_t classes);
// The loss of the rows (shape per_sample) reduced per the arguments; `denom` normalises the mean.
Tensor reduce_rows(const Tensor& per_row, Reduction r, double denom);

}  // namespace nw::loss
