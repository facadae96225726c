// 2-D pooling on CUDA (max_pool2d, avg_pool2d, adaptive_avg_pool2d) over [N, C, H, W] or
// [C, H, W]: the arguments and windows of ops/pool_args.h and the results of ops/pool.cpp,
// one thread per output in forward; backward scatters max_pool2d's gradient with atomicAdd
// (windows may overlap) and gathers the average pools' gradient per input element.
#include "cuda/common.cuh"
#include "ops/ops.h"
#include "ops/pool_args.h"

namespace nw::cuda {
namespace {

using namespace pool;

// ---- kernels ----

// One thread per output: pool_args.h's window_max.
template <typename T>
__global__ void max_pool2d_kernel(int64_t total, PoolGeom g, const T* __restrict__ x, T* __restrict__ y,
                                  int64_t* __restrict__ idx) {
  NW_GRID_LOOP(i, total) {
    const PlaneIndex o = plane_index(i, g.OH, g.OW);
    int64_t best;
    y[i] = window_max(g, x + o.p * g.H * g.W, o.h, o.w, best);
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

// The outputs [lo, hi) along one dim whose window may hold input index i.
struct Span {
  int64_t lo, hi;
};
// avg_pool2d: windows start at o * s - pad and span k: those with o*s - pad <= i < o*s - pad + k.
__device__ inline Span outputs_holding(const AvgPoolArgs&, int64_t i, int64_t in, int64_t out, int64_t k, int64_t s,
                                       int64_t pad) {
  const int64_t n = i + pad - k + 1;
  return {n <= 0 ? 0 : (n + s - 1) / s, min(out - 1, (i + pad) / s) + 1};
}
// adaptive_avg_pool2d: [floor(i * out / in), ceil((i + 1) * out / in)).
__device__ inline Span outputs_holding(const AdaptivePoolArgs&, int64_t i, int64_t in, int64_t out, int64_t, int64_t,
                                       int64_t) {
  return {(i * out) / in, min(out, ((i + 1) * out + in - 1) / in)};
}

// The mean over each output's window (Args: AvgPoolArgs or AdaptivePoolArgs).
template <typename T, typename Args>
__global__ void mean_pool_kernel(int64_t total, Args a, const T* __restrict__ x, T* __restrict__ y) {
  const PoolGeom& g = a.g;
  NW_GRID_LOOP(i, total) {
    const PlaneIndex o = plane_index(i, g.OH, g.OW);
    y[i] = window_mean(a.window(o.h, o.w), x + o.p * g.H * g.W, g.W);
  }
}

// gx[p][h][w] = sum over the windows holding (h, w) of gy / divisor (no atomics).
template <typename T, typename Args>
__global__ void mean_pool_backward_kernel(int64_t total, Args a, const T* __restrict__ gy, T* __restrict__ gx) {
  const PoolGeom& g = a.g;
  NW_GRID_LOOP(i, total) {
    const PlaneIndex e = plane_index(i, g.H, g.W);
    const Span rows = outputs_holding(a, e.h, g.H, g.OH, g.kh, g.sh, g.ph);
    const Span cols = outputs_holding(a, e.w, g.W, g.OW, g.kw, g.sw, g.pw);
    const T* gp = gy + e.p * g.OH * g.OW;
    T acc = T(0);
    for (int64_t oh = rows.lo; oh < rows.hi; ++oh)
      for (int64_t ow = cols.lo; ow < cols.hi; ++ow) {
        const Window w = a.window(oh, ow);
        if (e.h < w.h0 || e.h >= w.h1 || e.w < w.w0 || e.w >= w.w1) continue;
        acc += gp[oh * g.OW + ow] / static_cast<T>(w.divisor);
      }
    gx[i] = acc;
  }
}

// ---- max_pool2d: the index (h * W + w within the plane) of each maximum is saved ----
TensorList max_pool2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const MaxPoolArgs a = MaxPoolArgs::parse(in[0], at);
  const PoolGeom& g = a.g;
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  Tensor y = empty(g.out_shape(x), x.dtype(), x.device());
  Tensor idx = empty(y.sizes(), DType::Int64, x.device());
  NW_DISPATCH_FLOAT(x.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    launch_kernel(max_pool2d_kernel<T>, y.numel(), stream_of(x), g, x.data<T>(), y.data<T>(), idx.data<int64_t>());
  });
  ctx.save({idx});
  ctx.ints = g.pack();
  if (a.return_indices) return {y, idx};
  return {y};
}
TensorList max_pool2d_backward(OpContext& ctx, const TensorList& grads) {
  Tensor idx = ctx.saved()[0];
  PoolGeom g = PoolGeom::unpack(ctx.ints);
  DeviceGuard guard(dev(idx));
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0], idx.device());
  NW_DISPATCH_FLOAT(gx.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    launch_kernel(max_pool2d_backward_kernel<T>, gy.numel(), stream_of(gx), g.OH * g.OW, g.H * g.W, gy.data<T>(),
                  idx.data<int64_t>(), gx.data<T>());
  });
  return {gx};
}

// ---- avg_pool2d and adaptive_avg_pool2d ----
template <typename Args>
TensorList mean_pool_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Args a = Args::parse(in[0], at);
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  Tensor y = empty(a.g.out_shape(x), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), Args::kOp, [&] {
    using T = scalar_t;
    launch_kernel(mean_pool_kernel<T, Args>, y.numel(), stream_of(x), a, x.data<T>(), y.data<T>());
  });
  ctx.ints = a.pack();
  return {y};
}
template <typename Args>
TensorList mean_pool_backward(OpContext& ctx, const TensorList& grads) {
  const Args a = Args::unpack(ctx.ints);
  DeviceGuard guard(dev(grads[0]));
  Tensor gy = grads[0].contiguous();
  Tensor gx = empty(ctx.input_shapes[0], ctx.input_dtypes[0], gy.device());
  NW_DISPATCH_FLOAT(gx.dtype(), Args::kOp, [&] {
    using T = scalar_t;
    launch_kernel(mean_pool_backward_kernel<T, Args>, gx.numel(), stream_of(gx), a, gy.data<T>(), gx.data<T>());
  });
  return {gx};
}

}  // namespace

void register_pool_ops(OpRegistry& r) {
  r.add(op_max_pool2d, max_pool2d_forward, max_pool2d_backward);
  r.add(op_avg_pool2d, mean_pool_forward<AvgPoolArgs>, mean_pool_backward<AvgPoolArgs>);
  r.add(op_adaptive_avg_pool2d, mean_pool_forward<AdaptivePoolArgs>, mean_pool_backward<AdaptivePoolArgs>);
}

}  // namespace nw::cuda
