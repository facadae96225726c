// Upsampling of [N, C, H, W] on CUDA (modes 'nearest' and 'bilinear' with align_corners,
// by size or scale_factor): the attributes, checks and results of ops/upsample.cpp. Each
// thread computes its source taps by the CPU's rules in unfused IEEE arithmetic (indices
// match the CPU's bit for bit); backward scatters with atomicAdd (outputs share sources).
#include <algorithm>
#include <cmath>
#include <string>
#include <variant>
#include <vector>

#include "cuda/common.cuh"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

#define NW_GRID_LOOP(i, n)                                                                 \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// PyTorch's compute_scales_value: 1/scale_factor when one was given, else in/out.
template <typename A>
A scales_value(double scale, int64_t in, int64_t out) {
  return scale > 0 ? static_cast<A>(1.0 / scale) : static_cast<A>(in) / static_cast<A>(out);
}

struct UpGeom {
  int64_t planes, H, W, OH, OW;
  double sh, sw;  // scale_factor per dim, 0 when a size was given
  bool bilinear, align_corners;
};

UpGeom up_geom(const Tensor& x, const Attrs& at) {
  NW_CHECK(x.dim() == 4, "E_SHAPE", "upsample: input must be [N, C, H, W], got " + shape_str(x.sizes()));
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE", std::string("upsample needs a float input, got ") + dtype_name(x.dtype()));
  UpGeom g{};
  std::string mode = at.s("mode", "nearest");
  NW_CHECK(mode == "nearest" || mode == "bilinear", "E_ARG", "upsample: mode must be 'nearest' or 'bilinear', got '" + mode + "'");
  g.bilinear = mode == "bilinear";
  g.align_corners = at.b("align_corners", false);
  NW_CHECK(!g.align_corners || g.bilinear, "E_ARG", "upsample: align_corners only applies to mode 'bilinear'");
  g.H = x.sizes()[2];
  g.W = x.sizes()[3];
  g.planes = x.sizes()[0] * x.sizes()[1];
  const bool has_size = at.has("size"), has_scale = at.has("scale_factor");
  NW_CHECK(has_size != has_scale, "E_ARG", "upsample: give exactly one of size and scale_factor");
  if (has_size) {
    auto s = at.ints("size");
    if (s.size() == 1) s.push_back(s[0]);
    NW_CHECK(s.size() == 2 && s[0] >= 1 && s[1] >= 1, "E_ARG", "upsample: size must be one or two positive ints");
    g.OH = s[0];
    g.OW = s[1];
    g.sh = g.sw = 0;
  } else {
    std::vector<double> f;
    const AttrValue& v = at.values().at("scale_factor");
    if (auto p = std::get_if<std::vector<double>>(&v)) f = *p;
    else if (auto p = std::get_if<std::vector<int64_t>>(&v)) f.assign(p->begin(), p->end());
    else f = {at.f("scale_factor")};
    if (f.size() == 1) f.push_back(f[0]);
    NW_CHECK(f.size() == 2 && f[0] > 0 && f[1] > 0, "E_ARG", "upsample: scale_factor must be one or two positive numbers");
    g.sh = f[0];
    g.sw = f[1];
    g.OH = static_cast<int64_t>(std::floor(static_cast<double>(g.H) * f[0]));
    g.OW = static_cast<int64_t>(std::floor(static_cast<double>(g.W) * f[1]));
    // NOTE: with align_corners, PyTorch derives the ratio from the sizes, not the factor.
    if (g.align_corners) g.sh = g.sw = 0;
  }
  NW_CHECK(g.OH >= 1 && g.OW >= 1, "E_SHAPE", "upsample: the output would be empty for input " + shape_str(x.sizes()));
  return g;
}

// One axis' resampling constants, computed on the host by the CPU's rules.
template <typename T>
struct Axis {
  int64_t in, out;
  float nearest_scale;  // nearest: floor(o * scale) in float
  T scale;              // bilinear: the source-coordinate ratio
};
template <typename T>
Axis<T> make_axis(int64_t in, int64_t out, double scale, bool align_corners) {
  Axis<T> a{in, out, scales_value<float>(scale, in, out), T(0)};
  a.scale = align_corners ? (out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0)) : scales_value<T>(scale, in, out);
  return a;
}

// Round-to-nearest arithmetic that nvcc may not fuse into FMAs: the taps must come out
// bit for bit as the CPU's (plain IEEE float/double ops there).
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double sub_rn(double a, double b) { return __dsub_rn(a, b); }

// Output coordinate o's source taps i0, i1 and weights l0, l1: ops/upsample.cpp's taps<T>.
template <typename T>
__device__ __forceinline__ void axis_taps(const Axis<T>& ax, bool bilinear, bool align_corners, int64_t o, int64_t& i0,
                                          int64_t& i1, T& l0, T& l1) {
  if (!bilinear) {
    // nearest_idx: exact shortcuts for same size and 2x, else floor(o * scale) in float.
    int64_t i;
    if (ax.out == ax.in) i = o;
    else if (ax.out == 2 * ax.in) i = o >> 1;
    else i = min(static_cast<int64_t>(floorf(mul_rn(static_cast<float>(o), ax.nearest_scale))), ax.in - 1);
    i0 = i1 = i;
    l0 = T(1);
    l1 = T(0);
    return;
  }
  T src = align_corners ? mul_rn(ax.scale, static_cast<T>(o)) : sub_rn(mul_rn(ax.scale, add_rn(static_cast<T>(o), T(0.5))), T(0.5));
  if (!align_corners && src < 0) src = 0;
  i0 = static_cast<int64_t>(src);
  l1 = sub_rn(src, static_cast<T>(i0));
  i1 = i0 + (i0 < ax.in - 1 ? 1 : 0);
  l0 = sub_rn(T(1), l1);
}

template <typename T>
__global__ void upsample_kernel(int64_t total, Axis<T> ah, Axis<T> aw, bool bilinear, bool align_corners,
                                const T* __restrict__ x, T* __restrict__ y) {
  NW_GRID_LOOP(i, total) {  // i over [planes, OH, OW]
    const int64_t ow = i % aw.out;
    const int64_t t = i / aw.out;
    const int64_t oh = t % ah.out, p = t / ah.out;
    int64_t i0h, i1h, i0w, i1w;
    T h0, h1, w0, w1;
    axis_taps(ah, bilinear, align_corners, oh, i0h, i1h, h0, h1);
    axis_taps(aw, bilinear, align_corners, ow, i0w, i1w, w0, w1);
    const T* xp = x + p * ah.in * aw.in;
    const T* r0 = xp + i0h * aw.in;
    if (!bilinear) {
      y[i] = r0[i0w];
      continue;
    }
    const T* r1 = xp + i1h * aw.in;
    y[i] = h0 * (w0 * r0[i0w] + w1 * r0[i1w]) + h1 * (w0 * r1[i0w] + w1 * r1[i1w]);
  }
}

template <typename T>
__global__ void upsample_backward_kernel(int64_t total, Axis<T> ah, Axis<T> aw, bool bilinear, bool align_corners,
                                         const T* __restrict__ gy, T* __restrict__ gx) {
  NW_GRID_LOOP(i, total) {  // i over [planes, OH, OW]
    const int64_t ow = i % aw.out;
    const int64_t t = i / aw.out;
    const int64_t oh = t % ah.out, p = t / ah.out;
    int64_t i0h, i1h, i0w, i1w;
    T h0, h1, w0, w1;
    axis_taps(ah, bilinear, align_corners, oh, i0h, i1h, h0, h1);
    axis_taps(aw, bilinear, align_corners, ow, i0w, i1w, w0, w1);
    T* xp = gx + p * ah.in * aw.in;
    T* r0 = xp + i0h * aw.in;
    const T v = gy[i];
    if (!bilinear) {
      atomicAdd(r0 + i0w, v);
      continue;
    }
    T* r1 = xp + i1h * aw.in;
    atomicAdd(r0 + i0w, h0 * w0 * v);
    atomicAdd(r0 + i1w, h0 * w1 * v);
    atomicAdd(r1 + i0w, h1 * w0 * v);
    atomicAdd(r1 + i1w, h1 * w1 * v);
  }
}

TensorList upsample_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  UpGeom g = up_geom(in[0], at);
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  Tensor y = empty({x.sizes()[0], x.sizes()[1], g.OH, g.OW}, x.dtype(), x.device());
  const int64_t total = y.numel();
  // NOTE: an empty H or W leaves no source to sample (PyTorch refuses it too); the kernel
  // would read outside the input.
  NW_CHECK(total == 0 || (g.H >= 1 && g.W >= 1), "E_SHAPE",
           "upsample: input " + shape_str(x.sizes()) + " has an empty spatial dim; there is nothing to resize");
  if (total > 0) {
    NW_DISPATCH_FLOAT(x.dtype(), "upsample", [&] {
      using T = scalar_t;
      upsample_kernel<T><<<blocks_for(total), kThreads, 0, stream_of(x)>>>(
          total, make_axis<T>(g.H, g.OH, g.sh, g.align_corners), make_axis<T>(g.W, g.OW, g.sw, g.align_corners), g.bilinear,
          g.align_corners, x.data<T>(), y.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  ctx.ints = {g.planes, g.H, g.W, g.OH, g.OW, g.bilinear, g.align_corners};
  ctx.attrs.set("__sh", g.sh);
  ctx.attrs.set("__sw", g.sw);
  return {y};
}

TensorList upsample_backward(OpContext& ctx, const TensorList& grads) {
  UpGeom g{ctx.ints[0], ctx.ints[1], ctx.ints[2], ctx.ints[3], ctx.ints[4], ctx.attrs.f("__sh"), ctx.attrs.f("__sw"),
           ctx.ints[5] != 0, ctx.ints[6] != 0};
  DeviceGuard guard(dev(grads[0]));
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0], gy.device());
  const int64_t total = gy.numel();
  if (total > 0 && gx.numel() > 0) {
    NW_DISPATCH_FLOAT(gx.dtype(), "upsample", [&] {
      using T = scalar_t;
      upsample_backward_kernel<T><<<blocks_for(total), kThreads, 0, stream_of(gx)>>>(
          total, make_axis<T>(g.H, g.OH, g.sh, g.align_corners), make_axis<T>(g.W, g.OW, g.sw, g.align_corners), g.bilinear,
          g.align_corners, gy.data<T>(), gx.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  return {gx};
}

}  // namespace

void register_upsample_ops(OpRegistry& r) { r.add(op_upsample, upsample_forward, upsample_backward); }

}  // namespace nw::cuda
