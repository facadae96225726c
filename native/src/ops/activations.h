// The activation functions (torch.nn.functional names, attributes and defaults), declared
// once for the CPU ops (activations.cpp) and the CUDA ones (cuda/activations.cu): each
// rule gives its attributes, fwd(x) and the derivative d(x, y) with y = fwd(x), compiled
// for the host and, under nvcc, for the device (std:: math resolves to the same float
// and double overloads on both). A device supplies only its elementwise maps.
#pragma once

#include <cmath>

#include "ops/host_device.h"
#include "core/op.h"

namespace nw::activation {

// NOTE: written as v <= 0 so NaN passes through (forward and gradient), as in torch.
struct Relu {
  static constexpr bool kSavesOutput = false;
  static Relu from(const Attrs&) { return {}; }
  template <typename T> NW_HOST_DEVICE T fwd(T v) const { return v <= T(0) ? T(0) : v; }
  template <typename T> NW_HOST_DEVICE T d(T v, T) const { return v <= T(0) ? T(0) : T(1); }
};
struct LeakyRelu {
  static constexpr bool kSavesOutput = false;
  double slope;
  static LeakyRelu from(const Attrs& at) { return {at.f("negative_slope", 0.01)}; }
  template <typename T> NW_HOST_DEVICE T fwd(T v) const { return v > T(0) ? v : static_cast<T>(v * slope); }
  template <typename T> NW_HOST_DEVICE T d(T v, T) const { return v > T(0) ? T(1) : static_cast<T>(slope); }
};
struct Elu {
  static constexpr bool kSavesOutput = true;
  double alpha;
  static Elu from(const Attrs& at) { return {at.f("alpha", 1.0)}; }
  template <typename T> NW_HOST_DEVICE T fwd(T v) const { return v > T(0) ? v : static_cast<T>(alpha * std::expm1(v)); }
  template <typename T> NW_HOST_DEVICE T d(T v, T y) const { return v > T(0) ? T(1) : static_cast<T>(y + alpha); }
};
struct Sigmoid {
  static constexpr bool kSavesOutput = true;
  static Sigmoid from(const Attrs&) { return {}; }
  template <typename T> NW_HOST_DEVICE T fwd(T v) const { return T(1) / (T(1) + std::exp(-v)); }
  template <typename T> NW_HOST_DEVICE T d(T, T y) const { return y * (T(1) - y); }
};
struct Tanh {
  static constexpr bool kSavesOutput = true;
  static Tanh from(const Attrs&) { return {}; }
  template <typename T> NW_HOST_DEVICE T fwd(T v) const { return std::tanh(v); }
  template <typename T> NW_HOST_DEVICE T d(T, T y) const { return T(1) - y * y; }
};
// softplus(x) = 1/beta * log(1 + exp(beta x)), linear above threshold (PyTorch's rule).
struct Softplus {
  static constexpr bool kSavesOutput = false;
  double beta, threshold;
  static Softplus from(const Attrs& at) { return {at.f("beta", 1.0), at.f("threshold", 20.0)}; }
  template <typename T> NW_HOST_DEVICE T fwd(T v) const {
    const double bv = beta * static_cast<double>(v);
    return bv > threshold ? v : static_cast<T>(std::log1p(std::exp(bv)) / beta);
  }
  template <typename T> NW_HOST_DEVICE T d(T v, T) const {
    const double bv = beta * static_cast<double>(v);
    return bv > threshold ? T(1) : static_cast<T>(1.0 / (1.0 + std::exp(-bv)));
  }
};
struct Silu {
  static constexpr bool kSavesOutput = false;
  static Silu from(const Attrs&) { return {}; }
  template <typename T> NW_HOST_DEVICE T fwd(T v) const { return v / (T(1) + std::exp(-v)); }
  template <typename T> NW_HOST_DEVICE T d(T v, T) const {
    const T sg = T(1) / (T(1) + std::exp(-v));
    return sg * (T(1) + v * (T(1) - sg));
  }
};
// gelu: exact (erf) or approximate='tanh', as torch.nn.functional.gelu.
struct Gelu {
  static constexpr bool kSavesOutput = false;
  bool tanh_approx;
  static Gelu from(const Attrs& at) { return {at.s("approximate", "none") == "tanh"}; }
  template <typename T> NW_HOST_DEVICE T fwd(T v) const {
    if (tanh_approx) {
      const T k = static_cast<T>(0.7978845608028654);  // sqrt(2/pi)
      const T inner = k * (v + T(0.044715) * v * v * v);
      return T(0.5) * v * (T(1) + std::tanh(inner));
    }
    return T(0.5) * v * (T(1) + std::erf(v * static_cast<T>(0.7071067811865476)));
  }
  template <typename T> NW_HOST_DEVICE T d(T v, T) const {
    if (tanh_approx) {
      const T k = static_cast<T>(0.7978845608028654);
      const T inner = k * (v + T(0.044715) * v * v * v);
      const T t = std::tanh(inner);
      const T dinner = k * (T(1) + T(3) * T(0.044715) * v * v);
      return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * dinner;
    }
    const T cdf = T(0.5) * (T(1) + std::erf(v * static_cast<T>(0.7071067811865476)));
    const T pdf = std::exp(T(-0.5) * v * v) * static_cast<T>(0.3989422804014327);
    return cdf + v * pdf;
  }
};

// Every activation op: X(name, Rule, description).
#define NW_ACTIVATIONS(X)                                                              \
  X(relu, Relu, "max(x, 0)")                                                           \
  X(leaky_relu, LeakyRelu, "x if x > 0 else negative_slope * x")                       \
  X(elu, Elu, "x if x > 0 else alpha * (exp(x) - 1)")                                  \
  X(gelu, Gelu, "x * Phi(x) (approximate: none | tanh)")                               \
  X(sigmoid, Sigmoid, "1 / (1 + exp(-x))")                                             \
  X(tanh, Tanh, "hyperbolic tangent")                                                  \
  X(softplus, Softplus, "log(1 + exp(beta x)) / beta")                                 \
  X(silu, Silu, "x * sigmoid(x)")

// y = rule.fwd(x) and dx = g * rule.d(x, y) on float tensors, with a device's maps
// (kern::Maps, cuda::Maps); y is the saved output or, when the rule saves none, x.
template <class Rule>
struct Forward {
  Rule rule;
  template <typename T> NW_HOST_DEVICE T operator()(T v) const { return rule.template fwd<T>(v); }
};
template <class Rule>
struct Backward {
  Rule rule;
  template <typename T> NW_HOST_DEVICE T operator()(T g, T x, T y) const { return g * rule.template d<T>(x, y); }
};
template <class Maps, class Rule>
Tensor apply(const Tensor& x, const char* name, Rule rule) {
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), name, [&] { Maps::template map1<scalar_t, scalar_t>(out, x, Forward<Rule>{rule}); });
  return out;
}
template <class Maps, class Rule>
Tensor apply_grad(const Tensor& g, const Tensor& x, const Tensor& y, const char* name, Rule rule) {
  Tensor out = empty(g.sizes(), g.dtype(), g.device());
  const Tensor& yy = y.defined() ? y : x;
  NW_DISPATCH_FLOAT(g.dtype(), name, [&] {
    Maps::template map3<scalar_t, scalar_t, scalar_t, scalar_t>(out, g, x, yy, Backward<Rule>{rule});
  });
  return out;
}

// A device's policy for the op functions below: its Maps and act_grad(g, x, y, name, rule).
// OnMaps computes both directions with the maps; a device may give act_grad a faster loop.
template <class M>
struct OnMaps {
  using Maps = M;
  template <typename R>
  static Tensor act_grad(const Tensor& g, const Tensor& x, const Tensor& y, const char* name, R rule) {
    return apply_grad<M>(g, x, y, name, rule);
  }
};

// The op functions of activation `Rule` on a device with policy `Dev`.
template <class Dev, class Rule>
TensorList forward(OpContext& ctx, const TensorList& in, const Attrs& at, const char* name) {
  Tensor y = apply<typename Dev::Maps>(in[0], name, Rule::from(at));
  ctx.save({in[0], Rule::kSavesOutput ? y : Tensor()});
  return {y};
}
template <class Dev, class Rule>
TensorList backward(OpContext& ctx, const TensorList& g, const char* name) {
  TensorList s = ctx.saved();
  return {Dev::act_grad(g[0], s[0], s[1], name, Rule::from(ctx.attrs))};
}

// Defines NAME_forward and NAME_backward (ForwardFn, BackwardFn) of a table row on device `Dev`.
#define NW_ACTIVATION_FUNCTIONS(Dev, NAME, RULE)                                                 \
  TensorList NAME##_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {            \
    return ::nw::activation::forward<Dev, ::nw::activation::RULE>(ctx, in, at, #NAME);           \
  }                                                                                              \
  TensorList NAME##_backward(OpContext& ctx, const TensorList& g) {                             \
    return ::nw::activation::backward<Dev, ::nw::activation::RULE>(ctx, g, #NAME);               \
  }

}  // namespace nw::activation
