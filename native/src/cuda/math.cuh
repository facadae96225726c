// Helpers of the math op families on CUDA (elementwise, reductions, softmax, losses):
// typed device math that calls the same precision as the CPU's std:: overloads, and a
// warp shuffle of any accumulator type.
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

}  // namespace nw::cuda
