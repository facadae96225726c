// Normalisation on CUDA (batch_norm, layer_norm, group_norm), forward and backward: the
// arguments of ops/norm_args.h and the formulas of ops/norm.cpp. Statistics are reduced in
// double, one block per channel (batch_norm) or per row (layer/group norm); batch_norm
// updates its running statistics and num_batches_tracked in place on the device, outside
// autograd.
#include <algorithm>

#include "cuda/common.cuh"
#include "ops/norm_args.h"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

using namespace norm;

constexpr int kReduceThreads = 256;
constexpr int64_t kMaxBlocks = 65535LL * 16;  // block-per-channel/row kernels stride over the rest

unsigned reduce_blocks(int64_t n) { return static_cast<unsigned>(std::max<int64_t>(1, std::min(n, kMaxBlocks))); }

// Threads for a block that reduces `n` values: a multiple of 32 up to 256 (block_sum needs whole warps).
int row_threads(int64_t n) { return static_cast<int>(std::min<int64_t>(kReduceThreads, std::max<int64_t>(32, (n + 31) / 32 * 32))); }

// ---- batch_norm kernels: x is [N, C, S]; channel c's values are x[n][c][*] ----

__global__ void increment_kernel(int64_t* count) { *count += 1; }

// Per channel: batch statistics (two passes in double, as the CPU) or the running ones;
// the running statistics' update (momentum `factor`, or 1 / num_batches_tracked when
// `count` is given: momentum=None); mean, 1/std, and y = x * scale + shift's coefficients.
template <typename T>
__global__ void batch_norm_stats_kernel(const T* __restrict__ x, int64_t N, int64_t C, int64_t S, bool use_batch,
                                        bool update, double eps, double factor, const int64_t* __restrict__ count,
                                        T* __restrict__ rmean, T* __restrict__ rvar, const T* __restrict__ w,
                                        const T* __restrict__ b, double* __restrict__ mean, double* __restrict__ invstd,
                                        T* __restrict__ scale, T* __restrict__ shift) {
  const int64_t M = N * S;
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    double mu, var;
    if (use_batch) {
      double s = 0;
      for (int64_t j = threadIdx.x; j < M; j += blockDim.x) s += static_cast<double>(x[((j / S) * C + c) * S + j % S]);
      s = block_sum(s);
      mu = s / static_cast<double>(M);
      double ss = 0;
      for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
        const double d = static_cast<double>(x[((j / S) * C + c) * S + j % S]) - mu;
        ss += d * d;
      }
      ss = block_sum(ss);
      var = ss / static_cast<double>(M);
      if (update && threadIdx.x == 0) {
        const double f = count ? 1.0 / static_cast<double>(*count) : factor;
        rmean[c] = static_cast<T>((1 - f) * static_cast<double>(rmean[c]) + f * mu);
        rvar[c] = static_cast<T>((1 - f) * static_cast<double>(rvar[c]) + f * ss / static_cast<double>(M - 1));
      }
    } else {
      mu = static_cast<double>(rmean[c]);
      var = static_cast<double>(rvar[c]);
    }
    if (threadIdx.x == 0) {
      const double is = 1.0 / sqrt(var + eps);
      const double wc = w ? static_cast<double>(w[c]) : 1.0;
      mean[c] = mu;
      invstd[c] = is;
      scale[c] = static_cast<T>(is * wc);
      shift[c] = static_cast<T>((b ? static_cast<double>(b[c]) : 0.0) - mu * is * wc);
    }
  }
}

template <typename T>
__global__ void batch_norm_apply_kernel(int64_t total, int64_t C, int64_t S, const T* __restrict__ x,
                                        const T* __restrict__ scale, const T* __restrict__ shift, T* __restrict__ y) {
  NW_GRID_LOOP(i, total) {
    const int64_t c = (i / S) % C;
    y[i] = x[i] * scale[c] + shift[c];
  }
}

// Per channel: sum(g) and sum(g * (x - mean)) in double; the weight and bias gradients;
// coef[c] = mean(g), coef[C + c] = sum(g * (x - mean)) * invstd^2 / M for the input gradient.
template <typename T>
__global__ void batch_norm_backward_reduce_kernel(const T* __restrict__ x, const T* __restrict__ g, int64_t N, int64_t C,
                                                  int64_t S, const double* __restrict__ mean,
                                                  const double* __restrict__ invstd, T* __restrict__ gw,
                                                  T* __restrict__ gb, double* __restrict__ coef) {
  const int64_t M = N * S;
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    const double mu = mean[c], is = invstd[c];
    double sum_g = 0, sum_gx = 0;
    for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
      const int64_t k = ((j / S) * C + c) * S + j % S;
      const double q = static_cast<double>(g[k]);
      sum_g += q;
      sum_gx += q * (static_cast<double>(x[k]) - mu);
    }
    sum_g = block_sum(sum_g);
    sum_gx = block_sum(sum_gx);
    if (threadIdx.x == 0) {
      if (gw) gw[c] = static_cast<T>(sum_gx * is);
      if (gb) gb[c] = static_cast<T>(sum_g);
      coef[c] = sum_g / static_cast<double>(M);
      coef[C + c] = sum_gx * is * is / static_cast<double>(M);
    }
  }
}

template <typename T>
__global__ void batch_norm_backward_input_kernel(int64_t total, int64_t C, int64_t S, bool batch_stats,
                                                 const T* __restrict__ x, const T* __restrict__ g,
                                                 const T* __restrict__ w, const double* __restrict__ mean,
                                                 const double* __restrict__ invstd, const double* __restrict__ coef,
                                                 T* __restrict__ gx) {
  NW_GRID_LOOP(i, total) {
    const int64_t c = (i / S) % C;
    const double wc = w ? static_cast<double>(w[c]) : 1.0, is = invstd[c];
    if (batch_stats) {
      // dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat))
      gx[i] = static_cast<T>(wc * is * (static_cast<double>(g[i]) - coef[c] - (static_cast<double>(x[i]) - mean[c]) * coef[C + c]));
    } else {
      gx[i] = g[i] * static_cast<T>(wc * is);
    }
  }
}

// ---- batch_norm(x, weight, bias, running_mean, running_var, num_batches_tracked) ----
TensorList batch_norm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const BatchNormArgs a = batch_norm_args(in, at);
  const Tensor &w = in[1], &b = in[2], &rmean = in[3], &rvar = in[4], &nbt = in[5];
  const int64_t C = a.C;
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  const int64_t* count = nullptr;  // num_batches_tracked on the device, for momentum=None
  if (a.update && nbt.defined()) {
    // Incremented on the device (stream-ordered before the statistics read it): no sync.
    increment_kernel<<<1, 1, 0, stream_of(nbt)>>>(nbt.data<int64_t>());
    NW_CUDA_LAUNCHED();
    nbt.impl()->version++;
    if (a.cumulative) count = nbt.data<int64_t>();
  }
  Tensor mean = empty({C}, DType::Float64, x.device()), invstd = empty({C}, DType::Float64, x.device());
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  Tensor wc = w.defined() ? w.contiguous() : Tensor(), bc = b.defined() ? b.contiguous() : Tensor();
  NW_DISPATCH_FLOAT(x.dtype(), "batch_norm", [&] {
    using T = scalar_t;
    if (C == 0) return;
    Tensor coef = empty({2 * C}, x.dtype(), x.device());  // scale, shift
    T* scale = coef.data<T>();
    T* shift = scale + C;
    batch_norm_stats_kernel<T><<<reduce_blocks(C), kReduceThreads, 0, stream_of(x)>>>(
        x.data<T>(), a.N, C, a.S, a.use_batch, a.update, a.eps, a.factor, count, rmean.defined() ? rmean.data<T>() : nullptr,
        rvar.defined() ? rvar.data<T>() : nullptr, opt_data<T>(wc), opt_data<T>(bc), mean.data<double>(),
        invstd.data<double>(), scale, shift);
    NW_CUDA_LAUNCHED();
    launch_kernel(batch_norm_apply_kernel<T>, x.numel(), stream_of(x), C, a.S, x.data<T>(), scale, shift, y.data<T>());
  });
  if (a.update) {
    rmean.impl()->version++;
    rvar.impl()->version++;
  }
  ctx.save({x, wc, mean, invstd});
  ctx.ints = a.pack();
  return {y};
}

TensorList batch_norm_backward(OpContext& ctx, const TensorList& grads) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1], &mean = s[2], &invstd = s[3];
  const BatchNormArgs a = BatchNormArgs::unpack(ctx.ints);
  const int64_t C = a.C;
  DeviceGuard guard(dev(x));
  Tensor g = grads[0].contiguous();
  const bool need_x = ctx.needs_input_grad[0], need_w = ctx.needs_input_grad[1], need_b = ctx.needs_input_grad[2];
  Tensor gx = need_x ? empty(x.sizes(), x.dtype(), x.device()) : Tensor();
  Tensor gw = need_w ? empty({C}, x.dtype(), x.device()) : Tensor();
  Tensor gb = need_b ? empty({C}, x.dtype(), x.device()) : Tensor();
  NW_DISPATCH_FLOAT(x.dtype(), "batch_norm", [&] {
    using T = scalar_t;
    if (C == 0) return;
    Tensor coef = empty({2 * C}, DType::Float64, x.device());
    batch_norm_backward_reduce_kernel<T><<<reduce_blocks(C), kReduceThreads, 0, stream_of(x)>>>(
        x.data<T>(), g.data<T>(), a.N, C, a.S, mean.data<double>(), invstd.data<double>(), gw.defined() ? gw.data<T>() : nullptr,
        gb.defined() ? gb.data<T>() : nullptr, coef.data<double>());
    NW_CUDA_LAUNCHED();
    if (need_x)
      launch_kernel(batch_norm_backward_input_kernel<T>, x.numel(), stream_of(x), C, a.S, a.use_batch, x.data<T>(), g.data<T>(),
                    opt_data<T>(w), mean.data<double>(), invstd.data<double>(), coef.data<double>(), gx.data<T>());
  });
  return {gx, gw, gb, Tensor(), Tensor(), Tensor()};
}

// ---- layer_norm and group_norm: per-row statistics, per-element affine (norm_args.h's RowNorm) ----
// Seen from the affine side, x is [R / G, A = G * Cg, S] and entry a's values are
// x[n][a][*], on rows r = n * G + a / Cg.
template <typename T>
__global__ void row_norm_forward_kernel(RowNorm rn, const T* __restrict__ x, const T* __restrict__ w,
                                        const T* __restrict__ b, double eps, T* __restrict__ y, double* __restrict__ mean,
                                        double* __restrict__ rstd) {
  for (int64_t r = blockIdx.x; r < rn.R; r += gridDim.x) {
    const T* p = x + r * rn.K;
    double s = 0;
    for (int64_t j = threadIdx.x; j < rn.K; j += blockDim.x) s += static_cast<double>(p[j]);
    s = block_sum(s);
    const double mu = s / static_cast<double>(rn.K);
    double ss = 0;
    for (int64_t j = threadIdx.x; j < rn.K; j += blockDim.x) {
      const double d = static_cast<double>(p[j]) - mu;
      ss += d * d;
    }
    ss = block_sum(ss);
    const double is = 1.0 / sqrt(ss / static_cast<double>(rn.K) + eps);
    if (threadIdx.x == 0) {
      mean[r] = mu;
      rstd[r] = is;
    }
    T* q = y + r * rn.K;
    const int64_t a0 = (r % rn.G) * rn.Cg;
    for (int64_t j = threadIdx.x; j < rn.K; j += blockDim.x) {
      const int64_t a = a0 + j / rn.S;
      q[j] = static_cast<T>((static_cast<double>(p[j]) - mu) * is * (w ? static_cast<double>(w[a]) : 1.0) +
                            (b ? static_cast<double>(b[a]) : 0.0));
    }
  }
}

// dx per row, with d = g * w: is * (d - mean(d) - xhat * mean(d * xhat)).
template <typename T>
__global__ void row_norm_backward_input_kernel(RowNorm rn, const T* __restrict__ x, const T* __restrict__ w,
                                               const T* __restrict__ g, const double* __restrict__ mean,
                                               const double* __restrict__ rstd, T* __restrict__ gx) {
  for (int64_t r = blockIdx.x; r < rn.R; r += gridDim.x) {
    const T* p = x + r * rn.K;
    const T* q = g + r * rn.K;
    const double mu = mean[r], is = rstd[r];
    const int64_t a0 = (r % rn.G) * rn.Cg;
    double sum_d = 0, sum_dx = 0;
    for (int64_t j = threadIdx.x; j < rn.K; j += blockDim.x) {
      const double d = static_cast<double>(q[j]) * (w ? static_cast<double>(w[a0 + j / rn.S]) : 1.0);
      sum_d += d;
      sum_dx += d * (static_cast<double>(p[j]) - mu) * is;
    }
    sum_d = block_sum(sum_d);
    sum_dx = block_sum(sum_dx);
    const double md = sum_d / static_cast<double>(rn.K), mdx = sum_dx / static_cast<double>(rn.K);
    T* o = gx + r * rn.K;
    for (int64_t j = threadIdx.x; j < rn.K; j += blockDim.x) {
      const double d = static_cast<double>(q[j]) * (w ? static_cast<double>(w[a0 + j / rn.S]) : 1.0);
      o[j] = static_cast<T>(is * (d - md - (static_cast<double>(p[j]) - mu) * is * mdx));
    }
  }
}

// Affine gradients when S > 1 (group_norm): one block per entry a, reducing x[n][a][*].
template <typename T>
__global__ void row_norm_affine_grad_kernel(RowNorm rn, const T* __restrict__ x, const T* __restrict__ g,
                                            const double* __restrict__ mean, const double* __restrict__ rstd,
                                            T* __restrict__ gw, T* __restrict__ gb) {
  const int64_t A = rn.G * rn.Cg, NR = rn.R / rn.G, n_elems = NR * rn.S;
  for (int64_t a = blockIdx.x; a < A; a += gridDim.x) {
    double sw = 0, sb = 0;
    for (int64_t e = threadIdx.x; e < n_elems; e += blockDim.x) {
      const int64_t n = e / rn.S, s = e % rn.S;
      const int64_t k = (n * A + a) * rn.S + s, r = n * rn.G + a / rn.Cg;
      const double q = static_cast<double>(g[k]);
      sw += q * (static_cast<double>(x[k]) - mean[r]) * rstd[r];
      sb += q;
    }
    sw = block_sum(sw);
    sb = block_sum(sb);
    if (threadIdx.x == 0) {
      if (gw) gw[a] = static_cast<T>(sw);
      if (gb) gb[a] = static_cast<T>(sb);
    }
  }
}

// Affine gradients when S == 1 (layer_norm, group_norm of [N, C]): column sums of the
// [NR, A] matrix. Blocks of 32 columns x 8 row lanes (coalesced reads), each over a range
// of rows; partial sums per range in double, added in a fixed order by the finish kernel.
constexpr int kColLanes = 8;
template <typename T>
__global__ void row_norm_affine_grad_cols_kernel(RowNorm rn, const T* __restrict__ x, const T* __restrict__ g,
                                                 const double* __restrict__ mean, const double* __restrict__ rstd,
                                                 int64_t rows_per_part, double* __restrict__ part_w,
                                                 double* __restrict__ part_b) {
  __shared__ double shw[kColLanes][33], shb[kColLanes][33];
  const int64_t A = rn.G * rn.Cg, NR = rn.R / rn.G;
  const int64_t a = blockIdx.x * static_cast<int64_t>(32) + threadIdx.x;
  const int64_t n0 = blockIdx.y * rows_per_part, n1 = min(NR, n0 + rows_per_part);
  double sw = 0, sb = 0;
  if (a < A) {
    for (int64_t n = n0 + threadIdx.y; n < n1; n += kColLanes) {
      const int64_t k = n * A + a, r = n * rn.G + a / rn.Cg;
      const double q = static_cast<double>(g[k]);
      sw += q * (static_cast<double>(x[k]) - mean[r]) * rstd[r];
      sb += q;
    }
  }
  shw[threadIdx.y][threadIdx.x] = sw;
  shb[threadIdx.y][threadIdx.x] = sb;
  __syncthreads();
  if (threadIdx.y == 0 && a < A) {
    for (int l = 1; l < kColLanes; ++l) {
      sw += shw[l][threadIdx.x];
      sb += shb[l][threadIdx.x];
    }
    part_w[blockIdx.y * A + a] = sw;
    part_b[blockIdx.y * A + a] = sb;
  }
}

template <typename T>
__global__ void row_norm_affine_grad_finish_kernel(int64_t A, int64_t parts, const double* __restrict__ part_w,
                                                   const double* __restrict__ part_b, T* __restrict__ gw,
                                                   T* __restrict__ gb) {
  NW_GRID_LOOP(a, A) {
    double sw = 0, sb = 0;
    for (int64_t p = 0; p < parts; ++p) {
      sw += part_w[p * A + a];
      sb += part_b[p * A + a];
    }
    if (gw) gw[a] = static_cast<T>(sw);
    if (gb) gb[a] = static_cast<T>(sb);
  }
}

// layer_norm and group_norm differ in their arguments only.
template <RowNormArgs (*Parse)(const TensorList&, const Attrs&)>
TensorList row_norm_op_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const RowNormArgs a = Parse(in, at);
  const RowNorm& rn = a.rn;
  DeviceGuard guard(dev(in[0]));
  Tensor x = in[0].contiguous();
  Tensor wc = in[1].defined() ? in[1].contiguous() : Tensor(), bc = in[2].defined() ? in[2].contiguous() : Tensor();
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  Tensor mean = empty({rn.R}, DType::Float64, x.device()), rstd = empty({rn.R}, DType::Float64, x.device());
  if (rn.R > 0) {
    NW_DISPATCH_FLOAT(x.dtype(), a.op, [&] {
      using T = scalar_t;
      row_norm_forward_kernel<T><<<reduce_blocks(rn.R), row_threads(rn.K), 0, stream_of(x)>>>(
          rn, x.data<T>(), opt_data<T>(wc), opt_data<T>(bc), a.eps, y.data<T>(), mean.data<double>(), rstd.data<double>());
      NW_CUDA_LAUNCHED();
    });
  }
  ctx.save({x, wc, mean, rstd});
  ctx.ints = a.pack();
  return {y};
}

TensorList row_norm_op_backward(OpContext& ctx, const TensorList& grads) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1], &mean = s[2], &rstd = s[3];
  const RowNormArgs a = RowNormArgs::unpack(ctx.ints);
  const RowNorm& rn = a.rn;
  const int64_t affine_n = a.affine_n;
  DeviceGuard guard(dev(x));
  Tensor g = grads[0].contiguous();
  Tensor gx = ctx.needs_input_grad[0] ? empty(x.sizes(), x.dtype(), x.device()) : Tensor();
  Tensor gw = ctx.needs_input_grad[1] ? empty(ctx.input_shapes[1], x.dtype(), x.device()) : Tensor();
  Tensor gb = ctx.needs_input_grad[2] ? empty(ctx.input_shapes[2], x.dtype(), x.device()) : Tensor();
  NW_DISPATCH_FLOAT(x.dtype(), a.op, [&] {
    using T = scalar_t;
    const cudaStream_t st = stream_of(x);
    if (gx.defined() && rn.R > 0) {
      row_norm_backward_input_kernel<T><<<reduce_blocks(rn.R), row_threads(rn.K), 0, st>>>(
          rn, x.data<T>(), opt_data<T>(w), g.data<T>(), mean.data<double>(), rstd.data<double>(), gx.data<T>());
      NW_CUDA_LAUNCHED();
    }
    if ((gw.defined() || gb.defined()) && affine_n > 0) {
      T* pgw = gw.defined() ? gw.data<T>() : nullptr;
      T* pgb = gb.defined() ? gb.data<T>() : nullptr;
      if (rn.S != 1) {
        row_norm_affine_grad_kernel<T><<<reduce_blocks(affine_n), kReduceThreads, 0, st>>>(
            rn, x.data<T>(), g.data<T>(), mean.data<double>(), rstd.data<double>(), pgw, pgb);
        NW_CUDA_LAUNCHED();
      } else {
        const int64_t NR = rn.G > 0 ? rn.R / rn.G : 0;
        const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(64, (NR + 511) / 512));
        const int64_t rows_per_part = std::max<int64_t>(1, (NR + parts - 1) / parts);
        Tensor part = empty({2 * parts * affine_n}, DType::Float64, x.device());
        double* pw = part.data<double>();
        double* pb = pw + parts * affine_n;
        const dim3 grid(static_cast<unsigned>((affine_n + 31) / 32), static_cast<unsigned>(parts));
        row_norm_affine_grad_cols_kernel<T><<<grid, dim3(32, kColLanes), 0, st>>>(
            rn, x.data<T>(), g.data<T>(), mean.data<double>(), rstd.data<double>(), rows_per_part, pw, pb);
        NW_CUDA_LAUNCHED();
        launch_kernel(row_norm_affine_grad_finish_kernel<T>, affine_n, st, parts, pw, pb, pgw, pgb);
      }
    }
  });
  return {gx, gw, gb};
}

}  // namespace

void register_norm_ops(OpRegistry& r) {
  r.add(op_batch_norm, batch_norm_forward, batch_norm_backward);
  r.add(op_layer_norm, row_norm_op_forward<layer_norm_args>, row_norm_op_backward);
  r.add(op_group_norm, row_norm_op_forward<group_norm_args>, row_norm_op_backward);
}

}  // namespace nw::cuda
