// softmax and log_softmax over any dim (max-subtracted for stability).
#include <cmath>
#include <limits>

#include "core/autograd.h"
#include "kernels.h"
#include "ops.h"
#include "softmax_args.h"

namespace nw {

namespace softmax {
Lanes lanes_of(const Shape& s, int64_t dim, const char* op) {
  const int64_t nd = static_cast<int64_t>(s.size());
  const int64_t d = ops::wrap_dim(dim, nd, op);  // a 0-d tensor is one lane of one element
  Lanes l;
  for (int64_t i = 0; i < nd; ++i) {
    if (i < d) l.outer *= s[i];
    else if (i == d) l.n = s[i];
    else l.inner *= s[i];
  }
  return l;
}
}  // namespace softmax

namespace {

template <bool Log>
TensorList softmax_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const char* name = softmax::op_name(Log);
  Tensor x = in[0].contiguous();
  const softmax::Lanes l = softmax::lanes_of(x.sizes(), at.i("dim"), name);
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), name, [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* po = out.data<T>();
    cpu::parallel_for(0, l.outer * l.inner, std::max<int64_t>(1, 16384 / std::max<int64_t>(l.n, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t o = r / l.inner, i = r % l.inner;
        const T* src = px + o * l.n * l.inner + i;
        T* dst = po + o * l.n * l.inner + i;
        T mx = -std::numeric_limits<T>::infinity();
        for (int64_t c = 0; c < l.n; ++c) mx = std::max(mx, src[c * l.inner]);
        if (std::isinf(mx) && mx < 0) mx = 0;
        double sum = 0;
        for (int64_t c = 0; c < l.n; ++c) sum += std::exp(static_cast<double>(src[c * l.inner] - mx));
        if (Log) {
          T lse = static_cast<T>(std::log(sum)) + mx;
          for (int64_t c = 0; c < l.n; ++c) dst[c * l.inner] = src[c * l.inner] - lse;
        } else {
          for (int64_t c = 0; c < l.n; ++c) dst[c * l.inner] = static_cast<T>(std::exp(static_cast<double>(src[c * l.inner] - mx)) / sum);
        }
      }
    });
  });
  ctx.save({out});
  return {out};
}

template <bool Log>
TensorList softmax_backward(OpContext& ctx, const TensorList& g) {
  Tensor y = ctx.saved()[0];
  int64_t dim = ops::wrap_dim(ctx.attrs.i("dim"), y.dim(), "softmax");
  if (Log) {
    // d x = g - softmax * sum(g)
    Tensor s = ops::sum(g[0], {dim}, true);
    return {ops::sub(g[0], ops::mul(ops::exp(y), s))};
  }
  // d x = y * (g - sum(g * y))
  Tensor s = ops::sum(ops::mul(g[0], y), {dim}, true);
  return {ops::mul(y, ops::sub(g[0], s))};
}

}  // namespace

const OpDef op_softmax = {"softmax", 1, GradKind::Differentiable, softmax_forward<false>, softmax_backward<false>, "exp(x) / sum(exp(x)) over dim"};
const OpDef op_log_softmax = {"log_softmax", 1, GradKind::Differentiable, softmax_forward<true>, softmax_backward<true>, "x - logsumexp(x) over dim"};

}  // namespace nw
