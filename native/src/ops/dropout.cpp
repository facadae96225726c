// Dropout (torch.nn.functional.dropout, dropout2d): in training, zeroes elements (or
// whole channels) with probability p from the engine's seeded generator and scales the
// rest by 1/(1-p); identity in eval. The gradient reuses the same mask.
#include "core/autograd.h"
#include "core/random.h"
#include "dropout_args.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

using namespace dropout;

// dropout (Channels false) and dropout2d (true): the mask holds 0 or 1/(1-p) per element.
template <bool Channels>
TensorList dropout_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const char* op = Channels ? "dropout2d" : "dropout";
  const Tensor& x = in[0];
  const DropoutArgs a = dropout_args(x, at, Channels, op);
  if (!a.active) return dropout_identity(ctx, x);
  Tensor mask = empty(x.sizes(), x.dtype());
  Generator& gen = default_generator();
  NW_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    T* pm = mask.data<T>();
    const T keep = a.keep<T>();
    for (int64_t d = 0; d < a.draws; ++d) {
      // Bernoulli(1 - p): keep when u >= p.
      const T v = gen.uniform() >= a.p ? keep : T(0);
      std::fill(pm + d * a.per, pm + (d + 1) * a.per, v);
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

}  // namespace

const OpDef op_dropout = {"dropout", 1, GradKind::Differentiable, dropout_forward<false>, dropout_backward,
                          "zeroes elements with probability p and scales by 1/(1-p) while training (p, training); identity in eval"};
const OpDef op_dropout2d = {"dropout2d", 1, GradKind::Differentiable, dropout_forward<true>, dropout_backward,
                            "zeroes whole channels of [N, C, H, W] with probability p while training (p, training); identity in eval"};

}  // namespace nw
