// Activation functions (torch.nn.functional names and defaults), forward and backward.
#include <cmath>

#include "core/autograd.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

// y = f(x) elementwise on a float tensor.
template <typename F>
Tensor act(const Tensor& x, const char* name, F f) {
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), name, [&] { kern::map1<scalar_t, scalar_t>(out, x, [&](scalar_t v) { return f(v); }); });
  return out;
}

// dx = g * f'(x, y): the rule sees the input and the output.
template <typename F>
Tensor act_grad(const Tensor& g, const Tensor& x, const Tensor& y, const char* name, F df) {
  Tensor out = empty(g.sizes(), g.dtype(), g.device());
  Tensor xc = x.contiguous(), yc = y.defined() ? y.contiguous() : x.contiguous(), gc = g.contiguous();
  NW_DISPATCH_FLOAT(g.dtype(), name, [&] {
    const scalar_t* px = xc.data<scalar_t>();
    const scalar_t* py = yc.data<scalar_t>();
    const scalar_t* pg = gc.data<scalar_t>();
    scalar_t* po = out.data<scalar_t>();
    cpu::parallel_for(0, out.numel(), kern::kGrain, [&](int64_t b, int64_t e) {
      // NOTE: restrict locals let the compiler vectorise; captured pointers would be reloaded every iteration.
      const scalar_t* __restrict X = px;
      const scalar_t* __restrict Y = py;
      const scalar_t* __restrict G = pg;
      scalar_t* __restrict O = po;
      for (int64_t i = b; i < e; ++i) O[i] = G[i] * df(X[i], Y[i]);
    });
  });
  return out;
}

#define NW_ACTIVATION(NAME, SAVE_OUT, FWD, BWD)                                        \
  TensorList NAME##_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {    \
    const Tensor& x = in[0];                                                            \
    Tensor y = FWD;                                                                     \
    ctx.save({x, SAVE_OUT ? y : Tensor()});                                             \
    return {y};                                                                         \
  }                                                                                     \
  TensorList NAME##_backward(OpContext& ctx, const TensorList& g) {                     \
    const Attrs& at = ctx.attrs;                                                        \
    (void)at;                                                                           \
    TensorList s = ctx.saved();                                                         \
    return {BWD};                                                                       \
  }

NW_ACTIVATION(relu, false,
              // NOTE: written as v <= 0 so NaN passes through (forward and gradient), as in torch.
              act(x, "relu", [](auto v) { return v <= 0 ? decltype(v)(0) : v; }),
              act_grad(g[0], s[0], s[1], "relu", [](auto v, auto) { return v <= 0 ? decltype(v)(0) : decltype(v)(1); }))

NW_ACTIVATION(leaky_relu, false,
              act(x, "leaky_relu", [s = at.f("negative_slope", 0.01)](auto v) { return v > 0 ? v : static_cast<decltype(v)>(v * s); }),
              act_grad(g[0], s[0], s[1], "leaky_relu", [sl = at.f("negative_slope", 0.01)](auto v, auto) {
                return v > 0 ? decltype(v)(1) : static_cast<decltype(v)>(sl);
              }))

NW_ACTIVATION(elu, true,
              act(x, "elu", [a = at.f("alpha", 1.0)](auto v) { return v > 0 ? v : static_cast<decltype(v)>(a * std::expm1(v)); }),
              act_grad(g[0], s[0], s[1], "elu", [a = at.f("alpha", 1.0)](auto v, auto y) {
                return v > 0 ? decltype(v)(1) : static_cast<decltype(v)>(y + a);
              }))

NW_ACTIVATION(sigmoid, true,
              act(x, "sigmoid", [](auto v) { return decltype(v)(1) / (decltype(v)(1) + std::exp(-v)); }),
              act_grad(g[0], s[0], s[1], "sigmoid", [](auto, auto y) { return y * (decltype(y)(1) - y); }))

NW_ACTIVATION(tanh, true,
              act(x, "tanh", [](auto v) { return std::tanh(v); }),
              act_grad(g[0], s[0], s[1], "tanh", [](auto, auto y) { return decltype(y)(1) - y * y; }))

// softplus(x) = 1/beta * log(1 + exp(beta x)), linear above threshold (PyTorch's rule).
NW_ACTIVATION(softplus, false,
              act(x, "softplus", [b = at.f("beta", 1.0), t = at.f("threshold", 20.0)](auto v) {
                using T = decltype(v);
                double bv = b * static_cast<double>(v);
                return bv > t ? v : static_cast<T>(std::log1p(std::exp(bv)) / b);
              }),
              act_grad(g[0], s[0], s[1], "softplus", [b = at.f("beta", 1.0), t = at.f("threshold", 20.0)](auto v, auto) {
                using T = decltype(v);
                double bv = b * static_cast<double>(v);
                return bv > t ? T(1) : static_cast<T>(1.0 / (1.0 + std::exp(-bv)));
              }))

NW_ACTIVATION(silu, false,
              act(x, "silu", [](auto v) { return v / (decltype(v)(1) + std::exp(-v)); }),
              act_grad(g[0], s[0], s[1], "silu", [](auto v, auto) {
                using T = decltype(v);
                T sg = T(1) / (T(1) + std::exp(-v));
                return sg * (T(1) + v * (T(1) - sg));
              }))

// gelu: exact (erf) or approximate='tanh', as torch.nn.functional.gelu.
template <typename T>
T gelu_fwd(T v, bool tanh_approx) {
  if (tanh_approx) {
    const T k = static_cast<T>(0.7978845608028654);  // sqrt(2/pi)
    T inner = k * (v + T(0.044715) * v * v * v);
    return T(0.5) * v * (T(1) + std::tanh(inner));
  }
  return T(0.5) * v * (T(1) + std::erf(v * static_cast<T>(0.7071067811865476)));
}
template <typename T>
T gelu_bwd(T v, bool tanh_approx) {
  if (tanh_approx) {
    const T k = static_cast<T>(0.7978845608028654);
    T inner = k * (v + T(0.044715) * v * v * v);
    T t = std::tanh(inner);
    T dinner = k * (T(1) + T(3) * T(0.044715) * v * v);
    return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * dinner;
  }
  T cdf = T(0.5) * (T(1) + std::erf(v * static_cast<T>(0.7071067811865476)));
  T pdf = std::exp(T(-0.5) * v * v) * static_cast<T>(0.3989422804014327);
  return cdf + v * pdf;
}
NW_ACTIVATION(gelu, false,
              act(x, "gelu", [t = at.s("approximate", "none") == "tanh"](auto v) { return gelu_fwd(v, t); }),
              act_grad(g[0], s[0], s[1], "gelu", [t = at.s("approximate", "none") == "tanh"](auto v, auto) { return gelu_bwd(v, t); }))

}  // namespace

const OpDef op_relu = {"relu", 1, GradKind::Differentiable, relu_forward, relu_backward, "max(x, 0)"};
const OpDef op_leaky_relu = {"leaky_relu", 1, GradKind::Differentiable, leaky_relu_forward, leaky_relu_backward, "x if x > 0 else negative_slope * x"};
const OpDef op_elu = {"elu", 1, GradKind::Differentiable, elu_forward, elu_backward, "x if x > 0 else alpha * (exp(x) - 1)"};
const OpDef op_gelu = {"gelu", 1, GradKind::Differentiable, gelu_forward, gelu_backward, "x * Phi(x) (approximate: none | tanh)"};
const OpDef op_sigmoid = {"sigmoid", 1, GradKind::Differentiable, sigmoid_forward, sigmoid_backward, "1 / (1 + exp(-x))"};
const OpDef op_tanh = {"tanh", 1, GradKind::Differentiable, tanh_forward, tanh_backward, "hyperbolic tangent"};
const OpDef op_softplus = {"softplus", 1, GradKind::Differentiable, softplus_forward, softplus_backward, "log(1 + exp(beta x)) / beta"};
const OpDef op_silu = {"silu", 1, GradKind::Differentiable, silu_forward, silu_backward, "x * sigmoid(x)"};

namespace ops {
Tensor relu(const Tensor& a) { return call_op(op_relu, {a})[0]; }
Tensor sigmoid(const Tensor& a) { return call_op(op_sigmoid, {a})[0]; }
Tensor tanh(const Tensor& a) { return call_op(op_tanh, {a})[0]; }
}  // namespace ops
}  // namespace nw
