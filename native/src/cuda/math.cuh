// Helpers of the math op families on CUDA (elementwise, reductions, softmax, losses):
// typed device math that calls the same precision as the CPU's std:: overloads, an
// operand indexer with coalesced dims, and elementwise maps built on it.
#pragma once

#include <cstring>
#include <type_traits>

#include "cuda/common.cuh"

namespace nw::cuda {

// ---- device math with the CPU's overload resolution: float in -> float function ----
__device__ inline float d_exp(float v) { return expf(v); }
__device__ inline double d_exp(double v) { return exp(v); }
__device__ inline float d_log(float v) { return logf(v); }
__device__ inline double d_log(double v) { return log(v); }
__device__ inline float d_log1p(float v) { return log1pf(v); }
__device__ inline double d_log1p(double v) { return log1p(v); }
__device__ inline float d_sqrt(float v) { return sqrtf(v); }
__device__ inline double d_sqrt(double v) { return sqrt(v); }
__device__ inline float d_fabs(float v) { return fabsf(v); }
__device__ inline double d_fabs(double v) { return fabs(v); }
__device__ inline float d_pow(float a, float b) { return powf(a, b); }
__device__ inline double d_pow(double a, double b) { return pow(a, b); }

template <typename T>
__device__ inline bool d_isnan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}

template <typename T>
__device__ inline T d_inf() {
  if constexpr (std::is_same_v<T, float>) return __int_as_float(0x7f800000);
  else return __longlong_as_double(0x7ff0000000000000LL);
}
template <typename T>
__device__ inline T d_nan() {
  if constexpr (std::is_same_v<T, float>) return __int_as_float(0x7fc00000);
  else return __longlong_as_double(0x7ff8000000000000LL);
}

// Warp shuffle of any trivially copyable value (reduction accumulators of any type).
template <typename T>
__device__ inline T shfl_down_any(T v, int offset) {
  constexpr int kWords = static_cast<int>((sizeof(T) + 3) / 4);
  unsigned int w[kWords] = {};
  memcpy(w, &v, sizeof(T));
#pragma unroll
  for (int k = 0; k < kWords; ++k) w[k] = __shfl_down_sync(0xffffffffu, w[k], offset);
  T r;
  memcpy(&r, w, sizeof(T));
  return r;
}

// ---- indexers ----
// An Indexer over explicit (size, stride) dims in row-major order: size-1 dims are
// dropped, adjacent dims that step evenly are merged, and leading broadcast (stride 0)
// dims are dropped, so at() does as few divisions as the layout allows.
inline Indexer make_indexer(const int64_t* sizes, const int64_t* strides, int ndim, int64_t offset) {
  NW_CHECK(ndim >= 0 && ndim <= kMaxDims, "E_SHAPE",
           "tensors have at most " + std::to_string(kMaxDims) + " dimensions, got " + std::to_string(ndim));
  int64_t sz[kMaxDims] = {}, st[kMaxDims] = {};
  int n = 0;
  for (int d = 0; d < ndim && d < kMaxDims; ++d) {
    if (sizes[d] == 1) continue;
    if (n > 0 && st[n - 1] == strides[d] * sizes[d]) {
      sz[n - 1] *= sizes[d];
      st[n - 1] = strides[d];
      continue;
    }
    sz[n] = sizes[d];
    st[n] = strides[d];
    ++n;
  }
  int first = 0;
  while (first < n && st[first] == 0) ++first;
  Indexer ix;
  ix.ndim = n - first;
  ix.offset = offset;
  for (int d = 0; d < ix.ndim && first + d < kMaxDims; ++d) {
    ix.sizes[d] = sz[first + d];
    ix.strides[d] = st[first + d];
  }
  // A 0-dim indexer is a broadcast scalar (or a one-element tensor): at(i) == offset.
  // Contiguous (at(i) == offset + i) only when no broadcast dim was dropped.
  ix.contiguous = first == 0 && ix.ndim == 1 && ix.strides[0] == 1;
  return ix;
}

// Indexer of `t` read as `shape` (broadcast), logical row-major index -> element offset.
inline Indexer fast_indexer(const Tensor& t, const Shape& shape) {
  Shape st = broadcast_strides(t, shape);
  return make_indexer(shape.data(), st.data(), static_cast<int>(shape.size()), t.offset());
}
inline Indexer fast_indexer(const Tensor& t) { return fast_indexer(t, t.sizes()); }

// ---- elementwise maps into a fresh contiguous `out` (operands broadcast to out's shape) ----
template <typename Tin, typename Tout, typename F>
void ew_map1(const Tensor& out, const Tensor& in, F f) {
  Tout* o = out.data<Tout>();
  const Tin* pi = base_ptr<const Tin>(in);
  Indexer ii = fast_indexer(in, out.sizes());
  launch(dev(out), out.numel(), [=] __device__(int64_t i) { o[i] = f(pi[ii.at(i)]); });
}
template <typename Ta, typename Tb, typename Tout, typename F>
void ew_map2(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  Tout* o = out.data<Tout>();
  const Ta* pa = base_ptr<const Ta>(a);
  const Tb* pb = base_ptr<const Tb>(b);
  Indexer ia = fast_indexer(a, out.sizes()), ib = fast_indexer(b, out.sizes());
  launch(dev(out), out.numel(), [=] __device__(int64_t i) { o[i] = f(pa[ia.at(i)], pb[ib.at(i)]); });
}
template <typename Ta, typename Tb, typename Tc, typename Tout, typename F>
void ew_map3(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
  Tout* o = out.data<Tout>();
  const Ta* pa = base_ptr<const Ta>(a);
  const Tb* pb = base_ptr<const Tb>(b);
  const Tc* pc = base_ptr<const Tc>(c);
  Indexer ia = fast_indexer(a, out.sizes()), ib = fast_indexer(b, out.sizes()), ic = fast_indexer(c, out.sizes());
  launch(dev(out), out.numel(), [=] __device__(int64_t i) { o[i] = f(pa[ia.at(i)], pb[ib.at(i)], pc[ic.at(i)]); });
}

// Number of multiprocessors of a device (sizes grids of the reduction kernels).
int sm_count(int device);

}  // namespace nw::cuda
