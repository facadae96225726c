// 2-D pooling (torch.nn.functional.max_pool2d, avg_pool2d, adaptive_avg_pool2d) over
// [N, C, H, W] or [C, H, W]; every (n, c) plane is independent, so planes run in parallel.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/autograd.h"
#include "cpu/parallel.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

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

constexpr int64_t kPlaneGrain = 4;

// A whole plane of a 2×2 / stride 2 max pool with H = 2*OH and W = 2*OW: first the
// horizontal pairs of every row (one long stride-2 loop over the plane), then the vertical
// pairs of those. Selects are bit masks (no branches: random data mispredicts them) so both
// stages vectorise. Row-major scan order is kept: ties keep the first, NaN replaces.
template <typename T>
inline __attribute__((always_inline)) void max_pool_2x2_plane_body(const T* x, int64_t OH, int64_t OW, T* h, int64_t* hi, T* y,
                                                                   int64_t* yi) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  auto pick = [](T a, T b, int64_t ia, int64_t ib, T& out, int64_t& iout) {
    const bool t = (b > a) | (b != b);
    const U mask = U(0) - static_cast<U>(t);
    U ab, bb;
    std::memcpy(&ab, &a, sizeof(T));
    std::memcpy(&bb, &b, sizeof(T));
    const U rb = (bb & mask) | (ab & ~mask);
    std::memcpy(&out, &rb, sizeof(T));
    const int64_t imask = -static_cast<int64_t>(t);
    iout = (ib & imask) | (ia & ~imask);
  };
  const int64_t pairs = 2 * OH * OW;  // H * OW horizontal pairs
  for (int64_t p = 0; p < pairs; ++p) pick(x[2 * p], x[2 * p + 1], 2 * p, 2 * p + 1, h[p], hi[p]);
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* h0 = h + 2 * oh * OW;
    const int64_t* i0 = hi + 2 * oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) pick(h0[ow], h0[OW + ow], i0[ow], i0[OW + ow], y[oh * OW + ow], yi[oh * OW + ow]);
  }
}
__attribute__((target_clones("avx512f", "avx2", "default"))) void max_pool_2x2_plane(const float* x, int64_t OH, int64_t OW, float* h,
                                                                                    int64_t* hi, float* y, int64_t* yi) {
  max_pool_2x2_plane_body(x, OH, OW, h, hi, y, yi);
}
__attribute__((target_clones("avx512f", "avx2", "default"))) void max_pool_2x2_plane(const double* x, int64_t OH, int64_t OW, double* h,
                                                                                    int64_t* hi, double* y, int64_t* yi) {
  max_pool_2x2_plane_body(x, OH, OW, h, hi, y, yi);
}

// ---- max_pool2d: the index (h * W + w within the plane) of each maximum is saved ----
TensorList max_pool2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  Tensor x = in[0].contiguous();
  PoolGeom g = pool_geom(x, at, true, "max_pool2d");
  Tensor y = empty(out_shape(x, g.OH, g.OW), x.dtype());
  Tensor idx = empty(y.sizes(), DType::Int64);
  NW_DISPATCH_FLOAT(x.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    int64_t* pi = idx.data<int64_t>();
    const bool simple = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 &&
                        g.OH * 2 == g.H && g.OW * 2 == g.W;
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      std::vector<T> h(simple ? static_cast<size_t>(g.H * g.OW) : 0);
      std::vector<int64_t> hi(h.size());
      for (int64_t p = pb; p < pe; ++p) {
        const T* xp = px + p * g.H * g.W;
        T* yp = py + p * g.OH * g.OW;
        int64_t* ip = pi + p * g.OH * g.OW;
        if (simple) {
          max_pool_2x2_plane(xp, g.OH, g.OW, h.data(), hi.data(), yp, ip);  // the common 2×2 / stride 2 on even sizes
          continue;
        }
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          int64_t h0 = oh * g.sh - g.ph;
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            int64_t w0 = ow * g.sw - g.pw;
            // As PyTorch: start at -inf with the first in-bounds index; NaN always replaces.
            T m = -std::numeric_limits<T>::infinity();
            int64_t hs = h0, ws = w0;
            while (hs < 0) hs += g.dh;
            while (ws < 0) ws += g.dw;
            int64_t best = hs * g.W + ws;
            for (int64_t ki = 0; ki < g.kh; ++ki) {
              int64_t h = h0 + ki * g.dh;
              if (h < 0 || h >= g.H) continue;
              for (int64_t kj = 0; kj < g.kw; ++kj) {
                int64_t w = w0 + kj * g.dw;
                if (w < 0 || w >= g.W) continue;
                T v = xp[h * g.W + w];
                if (v > m || std::isnan(v)) {
                  m = v;
                  best = h * g.W + w;
                }
              }
            }
            yp[oh * g.OW + ow] = m;
            ip[oh * g.OW + ow] = best;
          }
        }
      }
    });
  });
  ctx.save({idx});
  ctx.ints = g.pack();
  if (at.b("return_indices", false)) return {y, idx};
  return {y};
}
TensorList max_pool2d_backward(OpContext& ctx, const TensorList& grads) {
  Tensor idx = ctx.saved()[0];
  PoolGeom g = PoolGeom::unpack(ctx.ints);
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0]);
  NW_DISPATCH_FLOAT(gx.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    const T* pg = gy.data<T>();
    const int64_t* pi = idx.data<int64_t>();
    T* px = gx.data<T>();
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        T* xp = px + p * g.H * g.W;
        for (int64_t o = p * g.OH * g.OW; o < (p + 1) * g.OH * g.OW; ++o)
          xp[pi[o]] += pg[o];
      }
    });
  });
  return {gx};
}

// ---- avg_pool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override) ----
// The divisor of each window, as PyTorch counts it.
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};
AvgWindow avg_window(const PoolGeom& g, int64_t oh, int64_t ow, bool count_include_pad, int64_t divisor_override) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = std::min(h0 + g.kh, g.H + g.ph), w1 = std::min(w0 + g.kw, g.W + g.pw);
  int64_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.H);
  w1 = std::min(w1, g.W);
  int64_t divisor = divisor_override > 0 ? divisor_override : count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

TensorList avg_pool2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  Tensor x = in[0].contiguous();
  PoolGeom g = pool_geom(x, at, false, "avg_pool2d");
  const bool include_pad = at.b("count_include_pad", true);
  const int64_t divisor_override = at.i("divisor_override", 0);
  Tensor y = empty(out_shape(x, g.OH, g.OW), x.dtype());
  NW_DISPATCH_FLOAT(x.dtype(), "avg_pool2d", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        const T* xp = px + p * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            AvgWindow w = avg_window(g, oh, ow, include_pad, divisor_override);
            T s = 0;
            for (int64_t h = w.h0; h < w.h1; ++h)
              for (int64_t c = w.w0; c < w.w1; ++c) s += xp[h * g.W + c];
            py[(p * g.OH + oh) * g.OW + ow] = w.h0 >= w.h1 || w.w0 >= w.w1 ? T(0) : s / static_cast<T>(w.divisor);
          }
      }
    });
  });
  ctx.ints = g.pack();
  ctx.ints.push_back(include_pad);
  ctx.ints.push_back(divisor_override);
  return {y};
}
TensorList avg_pool2d_backward(OpContext& ctx, const TensorList& grads) {
  PoolGeom g = PoolGeom::unpack(ctx.ints);
  const bool include_pad = ctx.ints[13] != 0;
  const int64_t divisor_override = ctx.ints[14];
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0]);
  NW_DISPATCH_FLOAT(gx.dtype(), "avg_pool2d", [&] {
    using T = scalar_t;
    const T* pg = gy.data<T>();
    T* px = gx.data<T>();
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        T* xp = px + p * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            AvgWindow w = avg_window(g, oh, ow, include_pad, divisor_override);
            T v = pg[(p * g.OH + oh) * g.OW + ow] / static_cast<T>(w.divisor);
            for (int64_t h = w.h0; h < w.h1; ++h)
              for (int64_t c = w.w0; c < w.w1; ++c) xp[h * g.W + c] += v;
          }
      }
    });
  });
  return {gx};
}

// ---- adaptive_avg_pool2d(output_size): window i covers [floor(i*in/out), ceil((i+1)*in/out)) ----
int64_t start_index(int64_t i, int64_t out, int64_t in) { return (i * in) / out; }
int64_t end_index(int64_t i, int64_t out, int64_t in) { return ((i + 1) * in + out - 1) / out; }

TensorList adaptive_avg_pool2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  Tensor x = in[0].contiguous();
  check_pool_input(x, "adaptive_avg_pool2d");
  auto size = pair_attr(at, "output_size", {}, "adaptive_avg_pool2d");
  PoolGeom g;
  g.H = x.sizes()[x.dim() - 2];
  g.W = x.sizes()[x.dim() - 1];
  g.planes = x.numel() / std::max<int64_t>(g.H * g.W, 1);
  // NOTE: PyTorch allows None for a dim (keep the input size); here a value <= 0 means that.
  g.OH = size[0] > 0 ? size[0] : g.H;
  g.OW = size[1] > 0 ? size[1] : g.W;
  NW_CHECK(g.H >= 1 && g.W >= 1, "E_SHAPE", "adaptive_avg_pool2d: input " + shape_str(x.sizes()) + " has an empty spatial dim");
  Tensor y = empty(out_shape(x, g.OH, g.OW), x.dtype());
  NW_DISPATCH_FLOAT(x.dtype(), "adaptive_avg_pool2d", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        const T* xp = px + p * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          int64_t h0 = start_index(oh, g.OH, g.H), h1 = end_index(oh, g.OH, g.H);
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            int64_t w0 = start_index(ow, g.OW, g.W), w1 = end_index(ow, g.OW, g.W);
            T s = 0;
            for (int64_t h = h0; h < h1; ++h)
              for (int64_t c = w0; c < w1; ++c) s += xp[h * g.W + c];
            py[(p * g.OH + oh) * g.OW + ow] = s / static_cast<T>((h1 - h0) * (w1 - w0));
          }
        }
      }
    });
  });
  ctx.ints = g.pack();
  return {y};
}
TensorList adaptive_avg_pool2d_backward(OpContext& ctx, const TensorList& grads) {
  PoolGeom g = PoolGeom::unpack(ctx.ints);
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0]);
  NW_DISPATCH_FLOAT(gx.dtype(), "adaptive_avg_pool2d", [&] {
    using T = scalar_t;
    const T* pg = gy.data<T>();
    T* px = gx.data<T>();
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        T* xp = px + p * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          int64_t h0 = start_index(oh, g.OH, g.H), h1 = end_index(oh, g.OH, g.H);
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            int64_t w0 = start_index(ow, g.OW, g.W), w1 = end_index(ow, g.OW, g.W);
            T v = pg[(p * g.OH + oh) * g.OW + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
            for (int64_t h = h0; h < h1; ++h)
              for (int64_t c = w0; c < w1; ++c) xp[h * g.W + c] += v;
          }
        }
      }
    });
  });
  return {gx};
}

}  // namespace

const OpDef op_max_pool2d = {"max_pool2d", 1, GradKind::Differentiable, max_pool2d_forward, max_pool2d_backward,
                             "2-D max pooling: kernel_size, stride (default kernel_size), padding, dilation, ceil_mode, return_indices"};
const OpDef op_avg_pool2d = {"avg_pool2d", 1, GradKind::Differentiable, avg_pool2d_forward, avg_pool2d_backward,
                             "2-D average pooling: kernel_size, stride (default kernel_size), padding, ceil_mode, count_include_pad, divisor_override"};
const OpDef op_adaptive_avg_pool2d = {"adaptive_avg_pool2d", 1, GradKind::Differentiable, adaptive_avg_pool2d_forward,
                                      adaptive_avg_pool2d_backward, "2-D average pooling to a fixed output_size"};

}  // namespace nw
