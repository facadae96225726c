// Dropout (torch.nn.functional.dropout, dropout2d): in training, zeroes elements (or
// whole channels) with probability p from the engine's seeded generator and scales the
// rest by 1/(1-p); identity in eval. The gradient reuses the same mask.
#include "core/autograd.h"
#include "core/random.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

// Attrs: p (0.5), training (true, as F.dropout). `per` = elements sharing one draw
// (1 for dropout, the spatial size for dropout2d).
TensorList dropout_impl(OpContext& ctx, const Tensor& x, const Attrs& at, bool channels, const char* op) {
  const double p = at.f("p", 0.5);
  NW_CHECK(p >= 0 && p <= 1, "E_ARG", std::string(op) + ": p must be between 0 and 1, got " + std::to_string(p));
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE", std::string(op) + " needs a float input, got " + dtype_name(x.dtype()));
  if (!at.b("training", true) || p == 0) {
    ctx.save({});
    ctx.ints = {0};
    return {x.contiguous().impl() == x.impl() ? x.clone() : x.contiguous()};
  }
  int64_t per = 1;
  if (channels) {
    // dropout2d: [N, C, H, W] (or [C, H, W], as PyTorch 1.13: one draw per leading (n, c) pair).
    NW_CHECK(x.dim() >= 3, "E_SHAPE", std::string(op) + ": input must be [N, C, H, W] or [C, H, W], got " + shape_str(x.sizes()));
    per = x.sizes()[x.dim() - 1] * x.sizes()[x.dim() - 2];
  }
  const int64_t n = x.numel(), draws = per ? n / per : 0;
  Tensor mask = empty(x.sizes(), x.dtype());
  Generator& gen = default_generator();
  NW_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    T* pm = mask.data<T>();
    const T keep = p >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    for (int64_t d = 0; d < draws; ++d) {
      // Bernoulli(1 - p): keep when u >= p.
      const T v = gen.uniform() >= p ? keep : T(0);
      std::fill(pm + d * per, pm + (d + 1) * per, v);
    }
  });
  ctx.save({mask});
  ctx.ints = {1};
  return {ops::mul(x, mask)};
}

TensorList dropout_backward(OpContext& ctx, const TensorList& g) {
  if (ctx.ints[0] == 0) return {g[0]};
  return {ops::mul(g[0], ctx.saved()[0])};
}

TensorList dropout_forward(OpContext& ctx, const TensorList& in, const Attrs& at) { return dropout_impl(ctx, in[0], at, false, "dropout"); }
TensorList dropout2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) { return dropout_impl(ctx, in[0], at, true, "dropout2d"); }

}  // namespace

const OpDef op_dropout = {"dropout", 1, GradKind::Differentiable, dropout_forward, dropout_backward,
                          "zeroes elements with probability p and scales by 1/(1-p) while training (p, training); identity in eval"};
const OpDef op_dropout2d = {"dropout2d", 1, GradKind::Differentiable, dropout2d_forward, dropout_backward,
                            "zeroes whole channels of [N, C, H, W] with probability p while training (p, training); identity in eval"};

}  // namespace nw
