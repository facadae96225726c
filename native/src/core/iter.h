// Strided N-operand loops: dimensions are coalesced, then the callback gets one
// inner run at a time (element offsets per operand, inner strides, length), so
// kernels can take a contiguous fast path when every inner stride is 1.
#pragma once

#include <array>
#include <cstdint>

#include "tensor.h"

namespace nw {

// Strides of `t` broadcast to `shape` (0 along broadcast dims). Throws E_SHAPE if
// t cannot broadcast.
Shape broadcast_strides(const Tensor& t, const Shape& shape);
Shape broadcast_shapes(const Shape& a, const Shape& b);

template <size_t N, typename F>
void strided_loop(const Shape& shape, const std::array<Shape, N>& strides, const std::array<int64_t, N>& base, F&& fn) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  int64_t total = 1;
  for (auto s : shape) total *= s;
  if (total == 0) return;
  // Coalesce dims (innermost first) where every operand is contiguous across the pair.
  std::array<int64_t, kMaxDims> sz{};
  std::array<std::array<int64_t, kMaxDims>, N> st{};
  int d = 0;
  for (int64_t i = nd - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (d > 0) {
      bool merge = true;
      for (size_t k = 0; k < N; ++k)
        if (st[k][d - 1] * sz[d - 1] != strides[k][i]) merge = false;
      if (merge) {
        sz[d - 1] *= shape[i];
        continue;
      }
    }
    sz[d] = shape[i];
    for (size_t k = 0; k < N; ++k) st[k][d] = strides[k][i];
    ++d;
  }
  if (d == 0) {  // scalar
    std::array<int64_t, N> inner{};
    fn(base, inner, int64_t(1));
    return;
  }
  std::array<int64_t, N> inner;
  for (size_t k = 0; k < N; ++k) inner[k] = st[k][0];
  const int64_t n = sz[0];
  std::array<int64_t, kMaxDims> idx{};
  std::array<int64_t, N> off = base;
  while (true) {
    fn(off, inner, n);
    int j = 1;
    for (; j < d; ++j) {
      ++idx[j];
      for (size_t k = 0; k < N; ++k) off[k] += st[k][j];
      if (idx[j] < sz[j]) break;
      for (size_t k = 0; k < N; ++k) off[k] -= st[k][j] * sz[j];
      idx[j] = 0;
    }
    if (j >= d) break;
  }
}

}  // namespace nw
