// Activation functions on CUDA: the same definitions and attributes as
// ops/activations.cpp (torch.nn.functional semantics), forward and backward.
#include "cuda/common.cuh"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

// Each rule is a functor: fwd(x) and the derivative d(x, y) (y = fwd(x)).
struct Relu {
  template <typename T> __device__ T fwd(T v) const { return v <= T(0) ? T(0) : v; }  // NaN passes through
  template <typename T> __device__ T d(T v, T) const { return v <= T(0) ? T(0) : T(1); }
};
struct LeakyRelu {
  double slope;
  template <typename T> __device__ T fwd(T v) const { return v > T(0) ? v : static_cast<T>(v * slope); }
  template <typename T> __device__ T d(T v, T) const { return v > T(0) ? T(1) : static_cast<T>(slope); }
};
struct Elu {
  double alpha;
  template <typename T> __device__ T fwd(T v) const { return v > T(0) ? v : static_cast<T>(alpha * expm1(v)); }
  template <typename T> __device__ T d(T v, T y) const { return v > T(0) ? T(1) : static_cast<T>(y + alpha); }
};
struct Sigmoid {
  template <typename T> __device__ T fwd(T v) const { return T(1) / (T(1) + exp(-v)); }
  template <typename T> __device__ T d(T, T y) const { return y * (T(1) - y); }
};
struct Tanh {
  template <typename T> __device__ T fwd(T v) const { return tanh(v); }
  template <typename T> __device__ T d(T, T y) const { return T(1) - y * y; }
};
struct Softplus {  // linear above threshold, as PyTorch
  double beta, threshold;
  template <typename T> __device__ T fwd(T v) const {
    double bv = beta * static_cast<double>(v);
    return bv > threshold ? v : static_cast<T>(log1p(exp(bv)) / beta);
  }
  template <typename T> __device__ T d(T v, T) const {
    double bv = beta * static_cast<double>(v);
    return bv > threshold ? T(1) : static_cast<T>(1.0 / (1.0 + exp(-bv)));
  }
};
struct Silu {
  template <typename T> __device__ T fwd(T v) const { return v / (T(1) + exp(-v)); }
  template <typename T> __device__ T d(T v, T) const {
    T sg = T(1) / (T(1) + exp(-v));
    return sg * (T(1) + v * (T(1) - sg));
  }
};
struct Gelu {  // exact (erf) or approximate='tanh'
  bool tanh_approx;
  template <typename T> __device__ T fwd(T v) const {
    if (tanh_approx) {
      const T k = static_cast<T>(0.7978845608028654);
      return T(0.5) * v * (T(1) + tanh(k * (v + T(0.044715) * v * v * v)));
    }
    return T(0.5) * v * (T(1) + erf(v * static_cast<T>(0.7071067811865476)));
  }
  template <typename T> __device__ T d(T v, T) const {
    if (tanh_approx) {
      const T k = static_cast<T>(0.7978845608028654);
      T t = tanh(k * (v + T(0.044715) * v * v * v));
      T dinner = k * (T(1) + T(3) * T(0.044715) * v * v);
      return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * dinner;
    }
    T cdf = T(0.5) * (T(1) + erf(v * static_cast<T>(0.7071067811865476)));
    T pdf = exp(T(-0.5) * v * v) * static_cast<T>(0.3989422804014327);
    return cdf + v * pdf;
  }
};

template <typename R>
Tensor act_forward(const Tensor& x, const char* name, R rule) {
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), name, [&] {
    map1<scalar_t, scalar_t>(out, x, [rule] __device__(scalar_t v) { return rule.template fwd<scalar_t>(v); });
  });
  return out;
}

template <typename R>
Tensor act_backward(const Tensor& g, const Tensor& x, const Tensor& y, const char* name, R rule) {
  Tensor out = empty(g.sizes(), g.dtype(), g.device());
  const Tensor& yy = y.defined() ? y : x;
  NW_DISPATCH_FLOAT(g.dtype(), name, [&] {
    map3<scalar_t, scalar_t, scalar_t, scalar_t>(out, g, x, yy, [rule] __device__(scalar_t gv, scalar_t xv, scalar_t yv) {
      return gv * rule.template d<scalar_t>(xv, yv);
    });
  });
  return out;
}

#define NW_CUDA_ACTIVATION(NAME, SAVE_OUT, RULE)                                           \
  TensorList NAME##_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {        \
    Tensor y = act_forward(in[0], #NAME, RULE);                                             \
    ctx.save({in[0], SAVE_OUT ? y : Tensor()});                                             \
    return {y};                                                                             \
  }                                                                                         \
  TensorList NAME##_backward(OpContext& ctx, const TensorList& g) {                         \
    const Attrs& at = ctx.attrs;                                                            \
    (void)at;                                                                               \
    TensorList s = ctx.saved();                                                             \
    return {act_backward(g[0], s[0], s[1], #NAME, RULE)};                                   \
  }

NW_CUDA_ACTIVATION(relu, false, Relu{})
NW_CUDA_ACTIVATION(leaky_relu, false, LeakyRelu{at.f("negative_slope", 0.01)})
NW_CUDA_ACTIVATION(elu, true, Elu{at.f("alpha", 1.0)})
NW_CUDA_ACTIVATION(sigmoid, true, Sigmoid{})
NW_CUDA_ACTIVATION(tanh, true, Tanh{})
NW_CUDA_ACTIVATION(softplus, false, (Softplus{at.f("beta", 1.0), at.f("threshold", 20.0)}))
NW_CUDA_ACTIVATION(silu, false, Silu{})
NW_CUDA_ACTIVATION(gelu, false, Gelu{at.s("approximate", "none") == "tanh"})

}  // namespace

void register_activation_ops(OpRegistry& r) {
  r.add(op_relu, relu_forward, relu_backward);
  r.add(op_leaky_relu, leaky_relu_forward, leaky_relu_backward);
  r.add(op_elu, elu_forward, elu_backward);
  r.add(op_sigmoid, sigmoid_forward, sigmoid_backward);
  r.add(op_tanh, tanh_forward, tanh_backward);
  r.add(op_softplus, softplus_forward, softplus_backward);
  r.add(op_silu, silu_forward, silu_backward);
  r.add(op_gelu, gelu_forward, gelu_backward);
}

}  // namespace nw::cuda
