// The arguments and windows of 2-D pooling (max_pool2d, avg_pool2d, adaptive_avg_pool2d),
// shared by the CPU implementation (pool.cpp) and the CUDA one (cuda/pool.cu): attribute
// parsing with PyTorch's defaults, the checks and their messages, the output size with
// ceil_mode, and each output's window (the window helpers run in CUDA kernels too).
#pragma once

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/tensor.h"
#include "host_device.h"

namespace nw::pool {

// [planes, H, W] in, [planes, OH, OW] out; every (n, c) plane is pooled on its own.
struct PoolGeom {
  int64_t planes = 1, H = 1, W = 1, OH = 1, OW = 1;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  std::vector<int64_t> pack() const { return {planes, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw}; }
  static PoolGeom unpack(const std::vector<int64_t>& v) {
    PoolGeom g;
    g.planes = v[0]; g.H = v[1]; g.W = v[2]; g.OH = v[3]; g.OW = v[4]; g.kh = v[5]; g.kw = v[6];
    g.sh = v[7]; g.sw = v[8]; g.ph = v[9]; g.pw = v[10]; g.dh = v[11]; g.dw = v[12];
    return g;
  }
  // x's shape with the last two dims replaced by the output's.
  Shape out_shape(const Tensor& x) const {
    Shape s = x.sizes();
    s[s.size() - 2] = OH;
    s[s.size() - 1] = OW;
    return s;
  }
};

// An int-or-pair attribute as two values.
inline std::vector<int64_t> pair_attr(const Attrs& at, const char* key, std::vector<int64_t> def, const char* op) {
  std::vector<int64_t> v = at.ints(key, def);
  if (v.size() == 1) v.push_back(v[0]);
  NW_CHECK(v.size() == 2, "E_ARG", std::string(op) + ": " + key + " needs 1 or 2 values, got " + std::to_string(v.size()));
  return v;
}

// Checks x ([N, C, H, W] or [C, H, W], float) and returns its planes and input size.
inline PoolGeom input_geom(const Tensor& x, const char* op) {
  NW_CHECK(x.dim() == 3 || x.dim() == 4, "E_SHAPE", std::string(op) + ": input must be [N, C, H, W] or [C, H, W], got " + shape_str(x.sizes()));
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE", std::string(op) + " needs a float32 or float64 input, got " + dtype_name(x.dtype()));
  PoolGeom g;
  const int64_t d = x.dim();
  g.H = x.sizes()[d - 2];
  g.W = x.sizes()[d - 1];
  g.planes = x.numel() / std::max<int64_t>(g.H * g.W, 1);
  return g;
}

// PyTorch's pooling_output_shape: floor or ceil, and a ceil window must start inside the input or left padding.
inline int64_t pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  int64_t num = in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// max_pool2d / avg_pool2d: kernel_size, stride (default kernel_size), padding (0),
// dilation (1; max_pool2d only), ceil_mode (false).
inline PoolGeom pool_geom(const Tensor& x, const Attrs& at, bool with_dilation, const char* op) {
  PoolGeom g = input_geom(x, op);
  auto kernel = pair_attr(at, "kernel_size", {}, op);
  auto stride = at.has("stride") && !at.ints("stride").empty() ? pair_attr(at, "stride", {}, op) : kernel;
  auto padding = pair_attr(at, "padding", {0}, op);
  auto dilation = with_dilation ? pair_attr(at, "dilation", {1}, op) : std::vector<int64_t>{1, 1};
  bool ceil_mode = at.b("ceil_mode", false);
  for (int i = 0; i < 2; ++i) {
    NW_CHECK(kernel[i] >= 1 && stride[i] >= 1 && dilation[i] >= 1, "E_ARG", std::string(op) + ": kernel_size, stride and dilation must be >= 1");
    NW_CHECK(padding[i] >= 0 && padding[i] * 2 <= kernel[i], "E_ARG",
             std::string(op) + ": padding must be at most half of kernel_size, got padding " + std::to_string(padding[i]) +
                 " for kernel " + std::to_string(kernel[i]));
  }
  g.kh = kernel[0]; g.kw = kernel[1]; g.sh = stride[0]; g.sw = stride[1];
  g.ph = padding[0]; g.pw = padding[1]; g.dh = dilation[0]; g.dw = dilation[1];
  g.OH = pool_out_size(g.H, g.kh, g.ph, g.sh, g.dh, ceil_mode);
  g.OW = pool_out_size(g.W, g.kw, g.pw, g.sw, g.dw, ceil_mode);
  NW_CHECK(g.OH >= 1 && g.OW >= 1, "E_SHAPE",
           std::string(op) + ": input " + shape_str(x.sizes()) + " is too small for the pooling window (output " +
               std::to_string(g.OH) + "x" + std::to_string(g.OW) + "); use a smaller kernel_size");
  return g;
}

// max_pool2d: pool_geom's attributes with dilation, and return_indices (false).
struct MaxPoolArgs {
  PoolGeom g;
  bool return_indices = false;
  static MaxPoolArgs parse(const Tensor& x, const Attrs& at) {
    return {pool_geom(x, at, true, "max_pool2d"), at.b("return_indices", false)};
  }
};

// The maximum over output (oh, ow)'s window of plane xp and its index (h * W + w), as
// PyTorch: start at -inf with the first in-bounds index; a larger value or NaN replaces,
// so ties keep the first in row-major order.
template <typename T>
NW_HOST_DEVICE inline T window_max(const PoolGeom& g, const T* xp, int64_t oh, int64_t ow, int64_t& best) {
  const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  T m = -std::numeric_limits<T>::infinity();
  int64_t hs = h0, ws = w0;
  while (hs < 0) hs += g.dh;
  while (ws < 0) ws += g.dw;
  best = hs * g.W + ws;
  for (int64_t ki = 0; ki < g.kh; ++ki) {
    const int64_t h = h0 + ki * g.dh;
    if (h < 0 || h >= g.H) continue;
    for (int64_t kj = 0; kj < g.kw; ++kj) {
      const int64_t w = w0 + kj * g.dw;
      if (w < 0 || w >= g.W) continue;
      const T v = xp[h * g.W + w];
      if (v > m || v != v) {
        m = v;
        best = h * g.W + w;
      }
    }
  }
  return m;
}

// The input window [h0, h1) x [w0, w1) of one output and its divisor.
struct Window {
  int64_t h0, h1, w0, w1, divisor;
};

// avg_pool2d: pool_geom's attributes, count_include_pad (true), divisor_override (0: none).
struct AvgPoolArgs {
  static constexpr const char* kOp = "avg_pool2d";
  PoolGeom g;
  bool include_pad = true;
  int64_t divisor_override = 0;
  static AvgPoolArgs parse(const Tensor& x, const Attrs& at) {
    AvgPoolArgs a;
    a.g = pool_geom(x, at, false, kOp);
    a.include_pad = at.b("count_include_pad", true);
    a.divisor_override = at.i("divisor_override", 0);
    return a;
  }
  std::vector<int64_t> pack() const {
    std::vector<int64_t> v = g.pack();
    v.push_back(include_pad);
    v.push_back(divisor_override);
    return v;
  }
  static AvgPoolArgs unpack(const std::vector<int64_t>& v) {
    AvgPoolArgs a;
    a.g = PoolGeom::unpack(v);
    a.include_pad = v[13] != 0;
    a.divisor_override = v[14];
    return a;
  }
  // Output (oh, ow)'s window clipped to the input; the divisor as PyTorch counts it.
  NW_HOST_DEVICE Window window(int64_t oh, int64_t ow) const {
    int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
    int64_t h1 = h0 + g.kh < g.H + g.ph ? h0 + g.kh : g.H + g.ph;
    int64_t w1 = w0 + g.kw < g.W + g.pw ? w0 + g.kw : g.W + g.pw;
    const int64_t pool_size = (h1 - h0) * (w1 - w0);
    h0 = h0 > 0 ? h0 : 0;
    w0 = w0 > 0 ? w0 : 0;
    h1 = h1 < g.H ? h1 : g.H;
    w1 = w1 < g.W ? w1 : g.W;
    const int64_t divisor = divisor_override > 0 ? divisor_override : include_pad ? pool_size : (h1 - h0) * (w1 - w0);
    return {h0, h1, w0, w1, divisor};
  }
};

// adaptive_avg_pool2d(output_size): output i covers [floor(i * in / out), ceil((i + 1) * in / out)).
struct AdaptivePoolArgs {
  static constexpr const char* kOp = "adaptive_avg_pool2d";
  PoolGeom g;
  static AdaptivePoolArgs parse(const Tensor& x, const Attrs& at) {
    AdaptivePoolArgs a;
    a.g = input_geom(x, kOp);
    auto size = pair_attr(at, "output_size", {}, kOp);
    // NOTE: PyTorch allows None for a dim (keep the input size); here a value <= 0 means that.
    a.g.OH = size[0] > 0 ? size[0] : a.g.H;
    a.g.OW = size[1] > 0 ? size[1] : a.g.W;
    NW_CHECK(a.g.H >= 1 && a.g.W >= 1, "E_SHAPE", "adaptive_avg_pool2d: input " + shape_str(x.sizes()) + " has an empty spatial dim");
    return a;
  }
  std::vector<int64_t> pack() const { return g.pack(); }
  static AdaptivePoolArgs unpack(const std::vector<int64_t>& v) { return {PoolGeom::unpack(v)}; }
  NW_HOST_DEVICE static int64_t start(int64_t i, int64_t out, int64_t in) { return (i * in) / out; }
  NW_HOST_DEVICE static int64_t end(int64_t i, int64_t out, int64_t in) { return ((i + 1) * in + out - 1) / out; }
  NW_HOST_DEVICE Window window(int64_t oh, int64_t ow) const {
    const int64_t h0 = start(oh, g.OH, g.H), h1 = end(oh, g.OH, g.H);
    const int64_t w0 = start(ow, g.OW, g.W), w1 = end(ow, g.OW, g.W);
    return {h0, h1, w0, w1, (h1 - h0) * (w1 - w0)};
  }
};

// The mean of plane xp (W columns) over window w; 0 for a window wholly in the padding.
template <typename T>
NW_HOST_DEVICE inline T window_mean(const Window& w, const T* xp, int64_t W) {
  T s = 0;
  for (int64_t h = w.h0; h < w.h1; ++h)
    for (int64_t c = w.w0; c < w.w1; ++c) s += xp[h * W + c];
  return w.h0 >= w.h1 || w.w0 >= w.w1 ? T(0) : s / static_cast<T>(w.divisor);
}

}  // namespace nw::pool
