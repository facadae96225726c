// The arguments of dropout and dropout2d, shared by the CPU implementation (dropout.cpp)
// and the CUDA one (cuda/dropout.cu): p and training with PyTorch's defaults, the checks
// and their messages, the eval identity and the elements that share one draw.
#pragma once

#include <string>

#include "core/op.h"
#include "core/tensor.h"

namespace nw::dropout {

// Attrs: p (0.5), training (true, as F.dropout). `per` = elements sharing one draw
// (1 for dropout, the spatial size for dropout2d); `draws` of them cover x.
struct DropoutArgs {
  double p;
  bool active;  // training with p > 0; otherwise the op is the identity
  int64_t per = 1, draws = 0;
  // 1/(1-p) for a kept element (0 when p == 1: everything is dropped).
  template <typename T>
  T keep() const {
    return p >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  }
};

inline DropoutArgs dropout_args(const Tensor& x, const Attrs& at, bool channels, const char* op) {
  DropoutArgs a;
  a.p = at.f("p", 0.5);
  NW_CHECK(a.p >= 0 && a.p <= 1, "E_ARG", std::string(op) + ": p must be between 0 and 1, got " + std::to_string(a.p));
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE", std::string(op) + " needs a float input, got " + dtype_name(x.dtype()));
  a.active = at.b("training", true) && a.p != 0;
  if (!a.active) return a;
  if (channels) {
    // dropout2d: [N, C, H, W] (or [C, H, W], as PyTorch 1.13: one draw per leading (n, c) pair).
    NW_CHECK(x.dim() >= 3, "E_SHAPE", std::string(op) + ": input must be [N, C, H, W] or [C, H, W], got " + shape_str(x.sizes()));
    a.per = x.sizes()[x.dim() - 1] * x.sizes()[x.dim() - 2];
  }
  a.draws = a.per ? x.numel() / a.per : 0;
  return a;
}

// In eval (or with p == 0): a copy of x, saved as inactive (ctx.ints[0] == 0) for backward.
inline TensorList dropout_identity(OpContext& ctx, const Tensor& x) {
  ctx.save({});
  ctx.ints = {0};
  return {x.contiguous().impl() == x.impl() ? x.clone() : x.contiguous()};
}

}  // namespace nw::dropout
