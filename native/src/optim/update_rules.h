// The optimizers' update of one element (torch.optim 1.13 single-tensor formulas) and the
// step arguments each takes, shared by the CPU loops (optim.cpp) and the CUDA kernels
// (cuda/optim.cu). p, g and the state arrays are contiguous arrays of one parameter's
// elements; a null state pointer means that state is not used.
#pragma once

#include <cmath>
#include <cstdint>

#include "ops/host_device.h"

namespace nw::optim {

template <typename T>
struct SgdStep {
  T lr, wd, mom, damp, sign;
  bool nesterov, fresh;
};
template <typename T>
NW_HOST_DEVICE_INLINE void sgd_element(int64_t i, T* p, const T* g, T* buf, const SgdStep<T>& a) {
  if (!buf) {
    p[i] -= a.lr * (a.sign * g[i] + a.wd * p[i]);
    return;
  }
  T d = a.sign * g[i] + a.wd * p[i];
  // The first step copies d into the buffer (no dampening), as PyTorch does.
  T v = a.fresh ? d : buf[i] * a.mom + a.damp * d;
  buf[i] = v;
  p[i] -= a.lr * (a.nesterov ? d + a.mom * v : v);
}

template <typename T>
struct AdamStep {
  T step_size, bc2_sqrt, b1, b2, eps, wd, decay, sign;
  bool decoupled;
};
template <typename T>
NW_HOST_DEVICE_INLINE void adam_element(int64_t i, T* p, const T* g, T* m, T* v, T* vmax, const AdamStep<T>& a) {
  T grad = a.sign * g[i];
  T pi = p[i];
  if (a.decoupled) pi *= a.decay;
  else grad += a.wd * pi;
  T mi = m[i] * a.b1 + (1 - a.b1) * grad;
  T vi = v[i] * a.b2 + (1 - a.b2) * grad * grad;
  m[i] = mi;
  v[i] = vi;
  T second = vi;
  if (vmax) {
    second = vmax[i] > vi ? vmax[i] : vi;
    vmax[i] = second;
  }
  T denom = std::sqrt(second) / a.bc2_sqrt + a.eps;
  p[i] = pi - a.step_size * mi / denom;
}

template <typename T>
struct RmspropStep {
  T lr, alpha, eps, wd, mom, sign;
};
template <typename T>
NW_HOST_DEVICE_INLINE void rmsprop_element(int64_t i, T* p, const T* g, T* sq, T* ga, T* buf, const RmspropStep<T>& a) {
  T grad = a.sign * g[i] + a.wd * p[i];
  T s = sq[i] * a.alpha + (1 - a.alpha) * grad * grad;
  sq[i] = s;
  T avg;
  if (ga) {
    T gi = ga[i] * a.alpha + (1 - a.alpha) * grad;
    ga[i] = gi;
    avg = std::sqrt(s - gi * gi) + a.eps;
  } else {
    avg = std::sqrt(s) + a.eps;
  }
  if (buf) {
    T b = buf[i] * a.mom + grad / avg;
    buf[i] = b;
    p[i] -= a.lr * b;
  } else {
    p[i] -= a.lr * grad / avg;
  }
}

}  // namespace nw::optim
