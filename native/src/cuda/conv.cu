// Convolutions on CUDA (conv1d, conv2d, conv_transpose2d): the arguments of ops/conv_args.h
// and the results of ops/conv.cpp. im2col / col2im kernels around cuda::gemm batched over
// groups; a chunk of samples per GEMM, their columns side by side as on the CPU.
#include <algorithm>

#include "cuda/common.cuh"
#include "ops/conv_args.h"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

using namespace conv;

// ---- kernels (ConvGeom is passed by value; kernels read its fields only) ----

// col[(c * kh + ki) * kw + kj][s * OHW + oh * OW + ow] = big[n0 + s][c][ih][iw], 0 in the
// padding, for samples [n0, n0 + ns). Row g * K + k is row k of group g's column matrix.
template <typename T>
__global__ void im2col_kernel(int64_t total, ConvGeom g, const T* __restrict__ big, int64_t n0, int64_t ns,
                              T* __restrict__ col) {
  const int64_t OHW = g.OH * g.OW, L = ns * OHW;
  NW_GRID_LOOP(i, total) {
    const int64_t j = i % L, row = i / L;
    const int64_t s = j / OHW, p = j % OHW;
    const int64_t oh = p / g.OW, ow = p % g.OW;
    const int64_t kj = row % g.kw, t = row / g.kw;
    const int64_t ki = t % g.kh, c = t / g.kh;
    const int64_t ih = oh * g.sh - g.ph + ki * g.dh, iw = ow * g.sw - g.pw + kj * g.dw;
    col[i] = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? big[(((n0 + s) * g.C + c) * g.H + ih) * g.W + iw] : T(0);
  }
}

// big[n0 + s][c][h][w] = sum of the column entries im2col would have read from there
// (+ bias[c]): the adjoint of im2col, one thread per big element (no atomics, no zeroing).
template <typename T>
__global__ void col2im_kernel(int64_t total, ConvGeom g, const T* __restrict__ col, const T* __restrict__ bias,
                              int64_t n0, int64_t ns, T* __restrict__ big) {
  const int64_t OHW = g.OH * g.OW, L = ns * OHW;
  NW_GRID_LOOP(i, total) {  // i over [ns, C, H, W]
    const int64_t w = i % g.W;
    int64_t t = i / g.W;
    const int64_t h = t % g.H;
    t /= g.H;
    const int64_t c = t % g.C, s = t / g.C;
    T acc = T(0);
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      const int64_t hs = h + g.ph - ki * g.dh;
      if (hs < 0 || hs % g.sh != 0) continue;
      const int64_t oh = hs / g.sh;
      if (oh >= g.OH) continue;
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const int64_t ws = w + g.pw - kj * g.dw;
        if (ws < 0 || ws % g.sw != 0) continue;
        const int64_t ow = ws / g.sw;
        if (ow >= g.OW) continue;
        acc += col[((c * g.kh + ki) * g.kw + kj) * L + s * OHW + oh * g.OW + ow];
      }
    }
    big[n0 * g.C * g.H * g.W + i] = bias ? acc + bias[c] : acc;
  }
}

// small[n0 + s][o][p] = tmp[o][s * OHW + p] (+ bias[o]).
template <typename T>
__global__ void scatter_small_kernel(int64_t total, int64_t OC, int64_t OHW, int64_t ns, const T* __restrict__ tmp,
                                     const T* __restrict__ bias, int64_t n0, T* __restrict__ small) {
  const int64_t L = ns * OHW;
  NW_GRID_LOOP(i, total) {  // i over [ns, OC, OHW]
    const int64_t p = i % OHW, t = i / OHW;
    const int64_t o = t % OC, s = t / OC;
    const T v = tmp[o * L + s * OHW + p];
    small[n0 * OC * OHW + i] = bias ? v + bias[o] : v;
  }
}

// tmp[o][s * OHW + p] = small[n0 + s][o][p]: the chunk's small side as one [OC, ns * OHW] matrix.
template <typename T>
__global__ void gather_small_kernel(int64_t total, int64_t OC, int64_t OHW, int64_t ns, const T* __restrict__ small,
                                    int64_t n0, T* __restrict__ tmp) {
  const int64_t L = ns * OHW;
  NW_GRID_LOOP(i, total) {  // i over [OC, L]
    const int64_t o = i / L, j = i % L;
    const int64_t s = j / OHW, p = j % OHW;
    tmp[i] = small[((n0 + s) * OC + o) * OHW + p];
  }
}

// out[c] = sum over n and the plane of x[n][c] (the bias gradient), in double; one block per channel.
template <typename T>
__global__ void channel_sum_kernel(const T* __restrict__ x, int64_t N, int64_t C, int64_t HW, T* __restrict__ out) {
  const int64_t c = blockIdx.x;
  double s = 0;
  for (int64_t j = threadIdx.x; j < N * HW; j += blockDim.x) {
    const int64_t n = j / HW, p = j % HW;
    s += static_cast<double>(x[(n * C + c) * HW + p]);
  }
  s = block_sum(s);
  if (threadIdx.x == 0) out[c] = static_cast<T>(s);
}

// ---- host side ----

Device cuda_device(int device) { return Device{DeviceType::CUDA, device}; }

// Samples per chunk: the column matrix and the small-side block of a chunk stay under
// ~32M elements (128 MiB in float32); at least one sample.
constexpr int64_t kChunkElems = int64_t(1) << 25;
int64_t chunk_samples(const ConvGeom& g) {
  const int64_t per = std::max<int64_t>((g.C * g.kh * g.kw + g.OC) * g.OHW(), 1);
  return std::max<int64_t>(1, std::min<int64_t>(g.N, kChunkElems / per));
}

// One GEMM per group, batched (cuda::gemm takes at most 65535 problems per call).
template <typename T>
void grouped_gemm(int device, int64_t groups, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                  int64_t sa, const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc) {
  for (int64_t g0 = 0; g0 < groups; g0 += 65535) {
    const int64_t nb = std::min<int64_t>(65535, groups - g0);
    gemm<T>(device, ta, tb, m, n, k, T(1), a + g0 * sa, lda, sa, b + g0 * sb, ldb, sb, beta, c + g0 * sc, ldc, sc, nb);
  }
}

template <typename T>
void im2col(int device, const ConvGeom& g, const T* big, int64_t n0, int64_t ns, T* col) {
  launch_kernel(im2col_kernel<T>, g.C * g.kh * g.kw * ns * g.OHW(), stream(device), g, big, n0, ns, col);
}

template <typename T>
void gather_small(int device, const ConvGeom& g, const T* small, int64_t n0, int64_t ns, T* tmp) {
  launch_kernel(gather_small_kernel<T>, g.OC * ns * g.OHW(), stream(device), g.OC, g.OHW(), ns, small, n0, tmp);
}

// fn(n0, ns, col, tmp) for each chunk [n0, n0 + ns) of samples, with room for the chunk's
// column matrix (col) and its small-side block (tmp).
template <typename T, typename F>
void for_each_chunk(int device, DType dt, const ConvGeom& g, F fn) {
  const int64_t OHW = g.OHW(), nb = chunk_samples(g);
  Tensor col = empty({g.C * g.kh * g.kw * nb * OHW}, dt, cuda_device(device));
  Tensor tmp = empty({g.OC * nb * OHW}, dt, cuda_device(device));
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) fn(n0, std::min(nb, g.N - n0), col.data<T>(), tmp.data<T>());
}

// ToBig false: small[n] = W @ im2col(big[n]) (+ bias per small channel), a conv's forward;
// ToBig true: big[n] = col2im(W^T @ small[n]) (+ bias per big channel), its adjoint.
template <typename T, bool ToBig>
void conv_apply(int device, DType dt, const ConvGeom& g, const T* src, const T* w, const T* bias, T* dst) {
  if (g.N == 0 || (ToBig ? g.C * g.HW() : g.OC * g.OHW()) == 0) return;
  const int64_t K = g.K(), OCg = g.OCg(), OHW = g.OHW();
  for_each_chunk<T>(device, dt, g, [&](int64_t n0, int64_t ns, T* pc, T* pt) {
    const int64_t L = ns * OHW;
    if constexpr (ToBig) {
      gather_small<T>(device, g, src, n0, ns, pt);
      grouped_gemm<T>(device, g.groups, true, false, K, L, OCg, w, K, OCg * K, pt, L, OCg * L, T(0), pc, L, K * L);
      launch_kernel(col2im_kernel<T>, ns * g.C * g.HW(), stream(device), g, pc, bias, n0, ns, dst);
    } else {
      im2col<T>(device, g, src, n0, ns, pc);
      grouped_gemm<T>(device, g.groups, false, false, OCg, L, K, w, K, OCg * K, pc, L, K * L, T(0), pt, L, OCg * L);
      launch_kernel(scatter_small_kernel<T>, ns * g.OC * OHW, stream(device), g.OC, OHW, ns, pt, bias, n0, dst);
    }
  });
}

// dW[g] = sum_n small[n][g] @ im2col(big[n])[g]^T, accumulated chunk by chunk.
template <typename T>
void conv_weight_grad(int device, DType dt, const ConvGeom& g, const T* small, const T* big, T* dw) {
  const int64_t K = g.K(), OCg = g.OCg(), OHW = g.OHW();
  if (g.OC * K == 0) return;
  if (g.N == 0 || OHW == 0) {
    memset_zero(dw, static_cast<size_t>(g.OC * K) * sizeof(T), device);
    return;
  }
  for_each_chunk<T>(device, dt, g, [&](int64_t n0, int64_t ns, T* pc, T* pt) {
    const int64_t L = ns * OHW;
    im2col<T>(device, g, big, n0, ns, pc);
    gather_small<T>(device, g, small, n0, ns, pt);
    grouped_gemm<T>(device, g.groups, false, true, OCg, K, L, pt, L, OCg * L, pc, L, K * L, n0 == 0 ? T(0) : T(1), dw, K,
                    OCg * K);
  });
}

template <typename T>
void channel_sum(int device, const T* x, int64_t N, int64_t C, int64_t HW, T* out) {
  if (C <= 0) return;
  channel_sum_kernel<T><<<static_cast<unsigned>(C), kThreads, 0, stream(device)>>>(x, N, C, HW, out);
  NW_CUDA_LAUNCHED();
}

// ---- conv1d / conv2d (small from big) and conv_transpose2d (big from small) ----
template <int Spatial, bool Transposed>
TensorList conv_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const char* op = Transposed ? "conv_transpose2d" : Spatial == 1 ? "conv1d" : "conv2d";
  const ConvArgs a = Transposed ? conv_transpose2d_args(in[0], in[1], in[2], at) : conv_args(in[0], in[1], in[2], at, Spatial, op);
  DeviceGuard guard(dev(in[0]));
  Tensor x = as_4d(in[0], Spatial, a.batched);
  Tensor w = in[1].contiguous();
  Tensor b = in[2].defined() ? in[2].contiguous() : Tensor();
  Tensor y = empty(Transposed ? a.big_shape() : a.small_shape(), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    const T* pb = b.defined() ? b.data<T>() : nullptr;
    conv_apply<T, Transposed>(dev(x), x.dtype(), a.g, x.data<T>(), w.data<T>(), pb, y.data<T>());
  });
  ctx.save({x, w});
  ctx.ints = a.g.pack();
  return {y};
}

// A conv's gradient flows small to big, a transposed conv's big to small.
template <bool Transposed>
TensorList conv_backward(OpContext& ctx, const TensorList& grads) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1];
  ConvGeom g = ConvGeom::unpack(ctx.ints);
  DeviceGuard guard(dev(x));
  Tensor gy = grads[0].contiguous();
  Tensor gx, gw, gb;
  NW_DISPATCH_FLOAT(x.dtype(), Transposed ? "conv_transpose2d" : "conv", [&] {
    using T = scalar_t;
    if (ctx.needs_input_grad[0]) {
      gx = empty(ctx.input_shapes[0], x.dtype(), x.device());
      conv_apply<T, !Transposed>(dev(x), x.dtype(), g, gy.data<T>(), w.data<T>(), nullptr, gx.data<T>());
    }
    if (ctx.needs_input_grad[1]) {
      gw = empty(w.sizes(), w.dtype(), x.device());
      if constexpr (Transposed) conv_weight_grad<T>(dev(x), x.dtype(), g, x.data<T>(), gy.data<T>(), gw.data<T>());
      else conv_weight_grad<T>(dev(x), x.dtype(), g, gy.data<T>(), x.data<T>(), gw.data<T>());
    }
    if (ctx.needs_input_grad.size() > 2 && ctx.needs_input_grad[2]) {
      const int64_t C = Transposed ? g.C : g.OC;
      gb = empty({C}, x.dtype(), x.device());
      channel_sum<T>(dev(x), gy.data<T>(), g.N, C, Transposed ? g.HW() : g.OHW(), gb.data<T>());
    }
  });
  return {gx, gw, gb};
}

}  // namespace

void register_conv_ops(OpRegistry& r) {
  r.add(op_conv1d, conv_forward<1, false>, conv_backward<false>);
  r.add(op_conv2d, conv_forward<2, false>, conv_backward<false>);
  r.add(op_conv_transpose2d, conv_forward<2, true>, conv_backward<true>);
}

}  // namespace nw::cuda
