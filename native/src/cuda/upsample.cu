// Upsampling of [N, C, H, W] on CUDA (modes 'nearest' and 'bilinear' with align_corners,
// by size or scale_factor): the arguments and taps of ops/upsample_args.h and the results
// of ops/upsample.cpp. Each thread computes its own source taps (the same bits as the
// CPU's); backward scatters with atomicAdd (outputs share sources).
#include "cuda/common.cuh"
#include "ops/ops.h"
#include "ops/upsample_args.h"

namespace nw::cuda {
namespace {

using namespace upsample;

// Flat output index i's plane and its source taps and weights along both axes.
template <typename T>
struct Sample {
  int64_t p, i0h, i1h, i0w, i1w;
  T h0, h1, w0, w1;
};
template <typename T>
__device__ __forceinline__ Sample<T> sample_at(int64_t i, const Axis<T>& ah, const Axis<T>& aw, bool bilinear,
                                               bool align_corners) {
  const PlaneIndex o = plane_index(i, ah.out, aw.out);
  Sample<T> s;
  s.p = o.p;
  axis_taps(ah, bilinear, align_corners, o.h, s.i0h, s.i1h, s.h0, s.h1);
  axis_taps(aw, bilinear, align_corners, o.w, s.i0w, s.i1w, s.w0, s.w1);
  return s;
}

template <typename T>
__global__ void upsample_kernel(int64_t total, Axis<T> ah, Axis<T> aw, bool bilinear, bool align_corners,
                                const T* __restrict__ x, T* __restrict__ y) {
  NW_GRID_LOOP(i, total) {  // i over [planes, OH, OW]
    const Sample<T> s = sample_at(i, ah, aw, bilinear, align_corners);
    const T* xp = x + s.p * ah.in * aw.in;
    const T* r0 = xp + s.i0h * aw.in;
    if (!bilinear) {
      y[i] = r0[s.i0w];
      continue;
    }
    const T* r1 = xp + s.i1h * aw.in;
    y[i] = s.h0 * (s.w0 * r0[s.i0w] + s.w1 * r0[s.i1w]) + s.h1 * (s.w0 * r1[s.i0w] + s.w1 * r1[s.i1w]);
  }
}

template <typename T>
__global__ void upsample_backward_kernel(int64_t total, Axis<T> ah, Axis<T> aw, bool bilinear, bool align_corners,
                                         const T* __restrict__ gy, T* __restrict__ gx) {
  NW_GRID_LOOP(i, total) {  // i over [planes, OH, OW]
    const Sample<T> s = sample_at(i, ah, aw, bilinear, align_corners);
    T* xp = gx + s.p * ah.in * aw.in;
    T* r0 = xp + s.i0h * aw.in;
    const T v = gy[i];
    if (!bilinear) {
      atomicAdd(r0 + s.i0w, v);
      continue;
    }
    T* r1 = xp + s.i1h * aw.in;
    atomicAdd(r0 + s.i0w, s.h0 * s.w0 * v);
    atomicAdd(r0 + s.i1w, s.h0 * s.w1 * v);
    atomicAdd(r1 + s.i0w, s.h1 * s.w0 * v);
    atomicAdd(r1 + s.i1w, s.h1 * s.w1 * v);
  }
}

TensorList upsample_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const UpGeom g = up_geom(in[0], at);
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  Tensor y = empty({x.sizes()[0], x.sizes()[1], g.OH, g.OW}, x.dtype(), x.device());
  // NOTE: an empty H or W leaves no source to sample (PyTorch refuses it too); the kernel
  // would read outside the input.
  NW_CHECK(y.numel() == 0 || (g.H >= 1 && g.W >= 1), "E_SHAPE",
           "upsample: input " + shape_str(x.sizes()) + " has an empty spatial dim; there is nothing to resize");
  NW_DISPATCH_FLOAT(x.dtype(), "upsample", [&] {
    using T = scalar_t;
    launch_kernel(upsample_kernel<T>, y.numel(), stream_of(x), make_axis<T>(g.H, g.OH, g.sh, g.align_corners),
                  make_axis<T>(g.W, g.OW, g.sw, g.align_corners), g.bilinear, g.align_corners, x.data<T>(), y.data<T>());
  });
  g.save(ctx);
  return {y};
}

TensorList upsample_backward(OpContext& ctx, const TensorList& grads) {
  const UpGeom g = UpGeom::saved(ctx);
  DeviceGuard guard(dev(grads[0]));
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0], gy.device());
  NW_DISPATCH_FLOAT(gx.dtype(), "upsample", [&] {
    using T = scalar_t;
    launch_kernel(upsample_backward_kernel<T>, gx.numel() > 0 ? gy.numel() : 0, stream_of(gx),
                  make_axis<T>(g.H, g.OH, g.sh, g.align_corners), make_axis<T>(g.W, g.OW, g.sw, g.align_corners), g.bilinear,
                  g.align_corners, gy.data<T>(), gx.data<T>());
  });
  return {gx};
}

}  // namespace

void register_upsample_ops(OpRegistry& r) { r.add(op_upsample, upsample_forward, upsample_backward); }

}  // namespace nw::cuda
