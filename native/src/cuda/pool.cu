// 2-D pooling on CUDA (max_pool2d, avg_pool2d, adaptive_avg_pool2d) over [N, C, H, W] or
// [C, H, W]: the attributes, checks and results of ops/pool.cpp, one thread per output in
// forward; backward scatters max_pool2d's gradient with atomicAdd (windows may overlap) and
// gathers the average pools' gradient per input element.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "cuda/common.cuh"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

#define NW_GRID_LOOP(i, n)                                                                 \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

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
};

// ---- kernels ----

// As ops/pool.cpp (and PyTorch): start at -inf with the first in-bounds index; a larger
// value or NaN replaces, so ties keep the first in row-major order.
template <typename T>
__global__ void max_pool2d_kernel(int64_t total, PoolGeom g, const T* __restrict__ x, T* __restrict__ y,
                                  int64_t* __restrict__ idx) {
  NW_GRID_LOOP(i, total) {  // i over [planes, OH, OW]
    const int64_t ow = i % g.OW;
    const int64_t t = i / g.OW;
    const int64_t oh = t % g.OH, p = t / g.OH;
    const T* xp = x + p * g.H * g.W;
    const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
    T m = -std::numeric_limits<T>::infinity();
    int64_t hs = h0, ws = w0;
    while (hs < 0) hs += g.dh;
    while (ws < 0) ws += g.dw;
    int64_t best = hs * g.W + ws;
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
    y[i] = m;
    idx[i] = best;
  }
}

// gx[plane][idx] += gy: windows may overlap, hence the atomics.
template <typename T>
__global__ void max_pool2d_backward_kernel(int64_t total, int64_t OHW, int64_t HW, const T* __restrict__ gy,
                                           const int64_t* __restrict__ idx, T* __restrict__ gx) {
  NW_GRID_LOOP(i, total) {
    const int64_t k = idx[i];
    if (k < 0 || k >= HW) continue;  // a window wholly in the padding has no input to send to
    atomicAdd(gx + (i / OHW) * HW + k, gy[i]);
  }
}

// The clipped window of output (oh, ow) and its divisor, as PyTorch counts it.
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};
__device__ AvgWindow avg_window(const PoolGeom& g, int64_t oh, int64_t ow, bool count_include_pad, int64_t divisor_override) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = min(h0 + g.kh, g.H + g.ph), w1 = min(w0 + g.kw, g.W + g.pw);
  const int64_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = max(h0, int64_t(0));
  w0 = max(w0, int64_t(0));
  h1 = min(h1, g.H);
  w1 = min(w1, g.W);
  const int64_t divisor = divisor_override > 0 ? divisor_override : count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

template <typename T>
__global__ void avg_pool2d_kernel(int64_t total, PoolGeom g, bool include_pad, int64_t divisor_override,
                                  const T* __restrict__ x, T* __restrict__ y) {
  NW_GRID_LOOP(i, total) {  // i over [planes, OH, OW]
    const int64_t ow = i % g.OW;
    const int64_t t = i / g.OW;
    const int64_t oh = t % g.OH, p = t / g.OH;
    const T* xp = x + p * g.H * g.W;
    const AvgWindow w = avg_window(g, oh, ow, include_pad, divisor_override);
    T s = 0;
    for (int64_t h = w.h0; h < w.h1; ++h)
      for (int64_t c = w.w0; c < w.w1; ++c) s += xp[h * g.W + c];
    y[i] = w.h0 >= w.h1 || w.w0 >= w.w1 ? T(0) : s / static_cast<T>(w.divisor);
  }
}

// gx[p][h][w] = sum over the windows holding (h, w) of gy / divisor (no atomics).
template <typename T>
__global__ void avg_pool2d_backward_kernel(int64_t total, PoolGeom g, bool include_pad, int64_t divisor_override,
                                           const T* __restrict__ gy, T* __restrict__ gx) {
  NW_GRID_LOOP(i, total) {  // i over [planes, H, W]
    const int64_t w = i % g.W;
    const int64_t t = i / g.W;
    const int64_t h = t % g.H, p = t / g.H;
    // Windows start at o * s - pad and span k: those with o*s - pad <= h < o*s - pad + k.
    const int64_t hn = h + g.ph - g.kh + 1, wn = w + g.pw - g.kw + 1;
    const int64_t oh0 = hn <= 0 ? 0 : (hn + g.sh - 1) / g.sh, oh1 = min(g.OH - 1, (h + g.ph) / g.sh);
    const int64_t ow0 = wn <= 0 ? 0 : (wn + g.sw - 1) / g.sw, ow1 = min(g.OW - 1, (w + g.pw) / g.sw);
    const T* gp = gy + p * g.OH * g.OW;
    T acc = T(0);
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const AvgWindow a = avg_window(g, oh, ow, include_pad, divisor_override);
        if (h < a.h0 || h >= a.h1 || w < a.w0 || w >= a.w1) continue;
        acc += gp[oh * g.OW + ow] / static_cast<T>(a.divisor);
      }
    gx[i] = acc;
  }
}

// Adaptive windows: output i covers [floor(i*in/out), ceil((i+1)*in/out)).
__device__ __forceinline__ int64_t start_index(int64_t i, int64_t out, int64_t in) { return (i * in) / out; }
__device__ __forceinline__ int64_t end_index(int64_t i, int64_t out, int64_t in) { return ((i + 1) * in + out - 1) / out; }

template <typename T>
__global__ void adaptive_avg_pool2d_kernel(int64_t total, PoolGeom g, const T* __restrict__ x, T* __restrict__ y) {
  NW_GRID_LOOP(i, total) {  // i over [planes, OH, OW]
    const int64_t ow = i % g.OW;
    const int64_t t = i / g.OW;
    const int64_t oh = t % g.OH, p = t / g.OH;
    const T* xp = x + p * g.H * g.W;
    const int64_t h0 = start_index(oh, g.OH, g.H), h1 = end_index(oh, g.OH, g.H);
    const int64_t w0 = start_index(ow, g.OW, g.W), w1 = end_index(ow, g.OW, g.W);
    T s = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t c = w0; c < w1; ++c) s += xp[h * g.W + c];
    y[i] = s / static_cast<T>((h1 - h0) * (w1 - w0));
  }
}

template <typename T>
__global__ void adaptive_avg_pool2d_backward_kernel(int64_t total, PoolGeom g, const T* __restrict__ gy, T* __restrict__ gx) {
  NW_GRID_LOOP(i, total) {  // i over [planes, H, W]
    const int64_t w = i % g.W;
    const int64_t t = i / g.W;
    const int64_t h = t % g.H, p = t / g.H;
    // The outputs whose window holds h: [floor(h*OH/H), ceil((h+1)*OH/H)).
    const int64_t oh0 = (h * g.OH) / g.H, oh1 = min(g.OH, ((h + 1) * g.OH + g.H - 1) / g.H);
    const int64_t ow0 = (w * g.OW) / g.W, ow1 = min(g.OW, ((w + 1) * g.OW + g.W - 1) / g.W);
    const T* gp = gy + p * g.OH * g.OW;
    T acc = T(0);
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const int64_t h0 = start_index(oh, g.OH, g.H), h1 = end_index(oh, g.OH, g.H);
      if (h < h0 || h >= h1) continue;
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t w0 = start_index(ow, g.OW, g.W), w1 = end_index(ow, g.OW, g.W);
        if (w < w0 || w >= w1) continue;
        acc += gp[oh * g.OW + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
    gx[i] = acc;
  }
}

// ---- argument checks and geometry: the same rules and messages as ops/pool.cpp ----

std::vector<int64_t> pair_attr(const Attrs& at, const char* key, std::vector<int64_t> def, const char* op) {
  std::vector<int64_t> v = at.ints(key, def);
  if (v.size() == 1) v.push_back(v[0]);
  NW_CHECK(v.size() == 2, "E_ARG", std::string(op) + ": " + key + " needs 1 or 2 values, got " + std::to_string(v.size()));
  return v;
}

void check_pool_input(const Tensor& x, const char* op) {
  NW_CHECK(x.dim() == 3 || x.dim() == 4, "E_SHAPE", std::string(op) + ": input must be [N, C, H, W] or [C, H, W], got " + shape_str(x.sizes()));
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE", std::string(op) + " needs a float32 or float64 input, got " + dtype_name(x.dtype()));
}

// PyTorch's pooling_output_shape: floor or ceil, and a ceil window must start inside the input or left padding.
int64_t pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  int64_t num = in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

PoolGeom pool_geom(const Tensor& x, const Attrs& at, bool with_dilation, const char* op) {
  check_pool_input(x, op);
  auto kernel = pair_attr(at, "kernel_size", {}, op);
  auto stride = at.has("stride") && !at.ints("stride").empty() ? pair_attr(at, "stride", {}, op) : kernel;
  auto padding = pair_attr(at, "padding", {0}, op);
  auto dilation = with_dilation ? pair_attr(at, "dilation", {1}, op) : std::vector<int64_t>{1, 1};
  bool ceil_mode = at.b("ceil_mode", false);
  PoolGeom g;
  const int64_t d = x.dim();
  g.H = x.sizes()[d - 2];
  g.W = x.sizes()[d - 1];
  g.planes = x.numel() / std::max<int64_t>(g.H * g.W, 1);
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

Shape out_shape(const Tensor& x, int64_t OH, int64_t OW) {
  Shape s = x.sizes();
  s[s.size() - 2] = OH;
  s[s.size() - 1] = OW;
  return s;
}

// ---- max_pool2d: the index (h * W + w within the plane) of each maximum is saved ----
TensorList max_pool2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  PoolGeom g = pool_geom(in[0], at, true, "max_pool2d");
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  Tensor y = empty(out_shape(x, g.OH, g.OW), x.dtype(), x.device());
  Tensor idx = empty(y.sizes(), DType::Int64, x.device());
  const int64_t total = y.numel();
  if (total > 0) {
    NW_DISPATCH_FLOAT(x.dtype(), "max_pool2d", [&] {
      using T = scalar_t;
      max_pool2d_kernel<T><<<blocks_for(total), kThreads, 0, stream_of(x)>>>(total, g, x.data<T>(), y.data<T>(),
                                                                             idx.data<int64_t>());
      NW_CUDA_LAUNCHED();
    });
  }
  ctx.save({idx});
  ctx.ints = g.pack();
  if (at.b("return_indices", false)) return {y, idx};
  return {y};
}
TensorList max_pool2d_backward(OpContext& ctx, const TensorList& grads) {
  Tensor idx = ctx.saved()[0];
  PoolGeom g = PoolGeom::unpack(ctx.ints);
  DeviceGuard guard(dev(idx));
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0], idx.device());
  const int64_t total = gy.numel();
  if (total > 0) {
    NW_DISPATCH_FLOAT(gx.dtype(), "max_pool2d", [&] {
      using T = scalar_t;
      max_pool2d_backward_kernel<T><<<blocks_for(total), kThreads, 0, stream_of(gx)>>>(
          total, g.OH * g.OW, g.H * g.W, gy.data<T>(), idx.data<int64_t>(), gx.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  return {gx};
}

// ---- avg_pool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override) ----
TensorList avg_pool2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  PoolGeom g = pool_geom(in[0], at, false, "avg_pool2d");
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  const bool include_pad = at.b("count_include_pad", true);
  const int64_t divisor_override = at.i("divisor_override", 0);
  Tensor y = empty(out_shape(x, g.OH, g.OW), x.dtype(), x.device());
  const int64_t total = y.numel();
  if (total > 0) {
    NW_DISPATCH_FLOAT(x.dtype(), "avg_pool2d", [&] {
      using T = scalar_t;
      avg_pool2d_kernel<T><<<blocks_for(total), kThreads, 0, stream_of(x)>>>(total, g, include_pad, divisor_override,
                                                                             x.data<T>(), y.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  ctx.ints = g.pack();
  ctx.ints.push_back(include_pad);
  ctx.ints.push_back(divisor_override);
  return {y};
}
TensorList avg_pool2d_backward(OpContext& ctx, const TensorList& grads) {
  PoolGeom g = PoolGeom::unpack(ctx.ints);
  const bool include_pad = ctx.ints[13] != 0;
  const int64_t divisor_override = ctx.ints[14];
  DeviceGuard guard(dev(grads[0]));
  Tensor gy = grads[0].contiguous();
  Tensor gx = empty(ctx.input_shapes[0], ctx.input_dtypes[0], gy.device());
  const int64_t total = gx.numel();
  if (total > 0) {
    NW_DISPATCH_FLOAT(gx.dtype(), "avg_pool2d", [&] {
      using T = scalar_t;
      avg_pool2d_backward_kernel<T><<<blocks_for(total), kThreads, 0, stream_of(gx)>>>(
          total, g, include_pad, divisor_override, gy.data<T>(), gx.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  return {gx};
}

// ---- adaptive_avg_pool2d(output_size) ----
TensorList adaptive_avg_pool2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  check_pool_input(in[0], "adaptive_avg_pool2d");
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  auto size = pair_attr(at, "output_size", {}, "adaptive_avg_pool2d");
  PoolGeom g;
  g.H = x.sizes()[x.dim() - 2];
  g.W = x.sizes()[x.dim() - 1];
  g.planes = x.numel() / std::max<int64_t>(g.H * g.W, 1);
  // NOTE: PyTorch allows None for a dim (keep the input size); here a value <= 0 means that.
  g.OH = size[0] > 0 ? size[0] : g.H;
  g.OW = size[1] > 0 ? size[1] : g.W;
  NW_CHECK(g.H >= 1 && g.W >= 1, "E_SHAPE", "adaptive_avg_pool2d: input " + shape_str(x.sizes()) + " has an empty spatial dim");
  Tensor y = empty(out_shape(x, g.OH, g.OW), x.dtype(), x.device());
  const int64_t total = y.numel();
  if (total > 0) {
    NW_DISPATCH_FLOAT(x.dtype(), "adaptive_avg_pool2d", [&] {
      using T = scalar_t;
      adaptive_avg_pool2d_kernel<T><<<blocks_for(total), kThreads, 0, stream_of(x)>>>(total, g, x.data<T>(), y.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  ctx.ints = g.pack();
  return {y};
}
TensorList adaptive_avg_pool2d_backward(OpContext& ctx, const TensorList& grads) {
  PoolGeom g = PoolGeom::unpack(ctx.ints);
  DeviceGuard guard(dev(grads[0]));
  Tensor gy = grads[0].contiguous();
  Tensor gx = empty(ctx.input_shapes[0], ctx.input_dtypes[0], gy.device());
  const int64_t total = gx.numel();
  if (total > 0) {
    NW_DISPATCH_FLOAT(gx.dtype(), "adaptive_avg_pool2d", [&] {
      using T = scalar_t;
      adaptive_avg_pool2d_backward_kernel<T><<<blocks_for(total), kThreads, 0, stream_of(gx)>>>(total, g, gy.data<T>(),
                                                                                              gx.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  return {gx};
}

}  // namespace

void register_pool_ops(OpRegistry& r) {
  r.add(op_max_pool2d, max_pool2d_forward, max_pool2d_backward);
  r.add(op_avg_pool2d, avg_pool2d_forward, avg_pool2d_backward);
  r.add(op_adaptive_avg_pool2d, adaptive_avg_pool2d_forward, adaptive_avg_pool2d_backward);
}

}  // namespace nw::cuda
