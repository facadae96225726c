// Normalisation (torch.nn.functional.batch_norm, layer_norm, group_norm), forward and
// backward. Statistics are accumulated in double; batch_norm updates its running
// statistics and num_batches_tracked in place, outside autograd, as nn.BatchNorm does.
#include <cmath>

#include "core/autograd.h"
#include "cpu/parallel.h"
#include "kernels.h"
#include "norm_args.h"
#include "ops.h"

namespace nw {
namespace {

using namespace norm;

// ---- batch_norm(x, weight, bias, running_mean, running_var, num_batches_tracked) ----
TensorList batch_norm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const BatchNormArgs a = batch_norm_args(in, at);
  const Tensor &w = in[1], &b = in[2], &rmean = in[3], &rvar = in[4], &nbt = in[5];
  Tensor x = in[0].contiguous();
  const int64_t N = a.N, C = a.C, S = a.S, M = a.M;
  const bool use_batch = a.use_batch, update = a.update;
  double factor = a.factor;
  if (update && nbt.defined()) {
    int64_t& count = *nbt.data<int64_t>();
    count += 1;
    nbt.impl()->version++;
    if (a.cumulative) factor = 1.0 / static_cast<double>(count);
  }
  Tensor mean = empty({C}, DType::Float64), invstd = empty({C}, DType::Float64);
  Tensor y = empty(x.sizes(), x.dtype());
  NW_DISPATCH_FLOAT(x.dtype(), "batch_norm", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    Tensor wc = w.defined() ? w.contiguous() : Tensor(), bc = b.defined() ? b.contiguous() : Tensor();
    const T *pw = opt_data<T>(wc), *pb = opt_data<T>(bc);
    T* prm = rmean.defined() ? rmean.data<T>() : nullptr;
    T* prv = rvar.defined() ? rvar.data<T>() : nullptr;
    double* pm = mean.data<double>();
    double* pis = invstd.data<double>();
    cpu::parallel_for(0, C, 1, [&](int64_t cb, int64_t ce) {
      for (int64_t c = cb; c < ce; ++c) {
        double mu, var;
        if (use_batch) {
          double s = 0;
          for (int64_t n = 0; n < N; ++n) {
            const T* p = px + (n * C + c) * S;
            for (int64_t i = 0; i < S; ++i) s += p[i];
          }
          mu = s / static_cast<double>(M);
          double ss = 0;
          for (int64_t n = 0; n < N; ++n) {
            const T* p = px + (n * C + c) * S;
            for (int64_t i = 0; i < S; ++i) {
              double d = p[i] - mu;
              ss += d * d;
            }
          }
          var = ss / static_cast<double>(M);
          if (update) {
            prm[c] = static_cast<T>((1 - factor) * prm[c] + factor * mu);
            prv[c] = static_cast<T>((1 - factor) * prv[c] + factor * ss / static_cast<double>(M - 1));
          }
        } else {
          mu = prm[c];
          var = prv[c];
        }
        const double is = 1.0 / std::sqrt(var + a.eps);
        pm[c] = mu;
        pis[c] = is;
        // y = x * scale + shift per channel.
        const T scale = static_cast<T>(is * (pw ? pw[c] : 1.0));
        const T shift = static_cast<T>((pb ? pb[c] : 0.0) - mu * is * (pw ? pw[c] : 1.0));
        for (int64_t n = 0; n < N; ++n) {
          const T* p = px + (n * C + c) * S;
          T* q = py + (n * C + c) * S;
          for (int64_t i = 0; i < S; ++i) q[i] = p[i] * scale + shift;
        }
      }
    });
  });
  if (update) {
    rmean.impl()->version++;
    rvar.impl()->version++;
  }
  ctx.save({x, w.defined() ? w.contiguous() : Tensor(), mean, invstd});
  ctx.ints = a.pack();
  return {y};
}
TensorList batch_norm_backward(OpContext& ctx, const TensorList& grads) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1], &mean = s[2], &invstd = s[3];
  const BatchNormArgs a = BatchNormArgs::unpack(ctx.ints);
  const int64_t N = a.N, C = a.C, S = a.S, M = a.M;
  const bool batch_stats = a.use_batch;
  Tensor g = grads[0].contiguous();
  const bool need_x = ctx.needs_input_grad[0], need_w = ctx.needs_input_grad[1], need_b = ctx.needs_input_grad[2];
  Tensor gx = need_x ? empty(x.sizes(), x.dtype()) : Tensor();
  Tensor gw = need_w ? empty({C}, x.dtype()) : Tensor();
  Tensor gb = need_b ? empty({C}, x.dtype()) : Tensor();
  NW_DISPATCH_FLOAT(x.dtype(), "batch_norm", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    const T* pg = g.data<T>();
    const T* pw = opt_data<T>(w);
    const double* pm = mean.data<double>();
    const double* pis = invstd.data<double>();
    cpu::parallel_for(0, C, 1, [&](int64_t cb, int64_t ce) {
      for (int64_t c = cb; c < ce; ++c) {
        const double mu = pm[c], is = pis[c];
        double sum_g = 0, sum_gx = 0;  // sum(g), sum(g * (x - mean))
        for (int64_t n = 0; n < N; ++n) {
          const T* p = px + (n * C + c) * S;
          const T* q = pg + (n * C + c) * S;
          for (int64_t i = 0; i < S; ++i) {
            sum_g += q[i];
            sum_gx += q[i] * (p[i] - mu);
          }
        }
        if (need_w) gw.data<T>()[c] = static_cast<T>(sum_gx * is);
        if (need_b) gb.data<T>()[c] = static_cast<T>(sum_g);
        if (!need_x) continue;
        const double wc = pw ? pw[c] : 1.0;
        T* o = gx.data<T>();
        if (batch_stats) {
          // dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat))
          const double mean_g = sum_g / static_cast<double>(M);
          const double k = sum_gx * is * is / static_cast<double>(M);
          for (int64_t n = 0; n < N; ++n) {
            const T* p = px + (n * C + c) * S;
            const T* q = pg + (n * C + c) * S;
            T* r = o + (n * C + c) * S;
            for (int64_t i = 0; i < S; ++i) r[i] = static_cast<T>(wc * is * (q[i] - mean_g - (p[i] - mu) * k));
          }
        } else {
          const T scale = static_cast<T>(wc * is);
          for (int64_t n = 0; n < N; ++n) {
            const T* q = pg + (n * C + c) * S;
            T* r = o + (n * C + c) * S;
            for (int64_t i = 0; i < S; ++i) r[i] = q[i] * scale;
          }
        }
      }
    });
  });
  return {gx, gw, gb, Tensor(), Tensor(), Tensor()};
}

// ---- layer_norm and group_norm: per-row statistics, per-element affine (norm_args.h's RowNorm) ----
template <typename T>
void row_norm_forward(const RowNorm& rn, const T* x, const T* w, const T* b, double eps, T* y, double* mean, double* rstd) {
  cpu::parallel_for(0, rn.R, std::max<int64_t>(1, 16384 / std::max<int64_t>(rn.K, 1)), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T* p = x + r * rn.K;
      double s = 0;
      for (int64_t j = 0; j < rn.K; ++j) s += p[j];
      const double mu = s / static_cast<double>(rn.K);
      double ss = 0;
      for (int64_t j = 0; j < rn.K; ++j) ss += (p[j] - mu) * (p[j] - mu);
      const double is = 1.0 / std::sqrt(ss / static_cast<double>(rn.K) + eps);
      mean[r] = mu;
      rstd[r] = is;
      T* q = y + r * rn.K;
      for (int64_t j = 0; j < rn.K; ++j) {
        int64_t a = rn.affine(r, j);
        q[j] = static_cast<T>((p[j] - mu) * is * (w ? w[a] : 1.0) + (b ? b[a] : 0.0));
      }
    }
  });
}

template <typename T>
void row_norm_backward(const RowNorm& rn, const T* x, const T* w, const T* g, const double* mean, const double* rstd, T* gx, T* gw,
                       T* gb, int64_t affine_n) {
  if (gx) {
    cpu::parallel_for(0, rn.R, std::max<int64_t>(1, 16384 / std::max<int64_t>(rn.K, 1)), [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        const T* p = x + r * rn.K;
        const T* q = g + r * rn.K;
        const double mu = mean[r], is = rstd[r];
        double sum_d = 0, sum_dx = 0;  // d = g * w: sum(d), sum(d * xhat)
        for (int64_t j = 0; j < rn.K; ++j) {
          double d = q[j] * (w ? w[rn.affine(r, j)] : 1.0);
          sum_d += d;
          sum_dx += d * (p[j] - mu) * is;
        }
        const double md = sum_d / static_cast<double>(rn.K), mdx = sum_dx / static_cast<double>(rn.K);
        T* o = gx + r * rn.K;
        for (int64_t j = 0; j < rn.K; ++j) {
          double d = q[j] * (w ? w[rn.affine(r, j)] : 1.0);
          o[j] = static_cast<T>(is * (d - md - (p[j] - mu) * is * mdx));
        }
      }
    });
  }
  if (gw || gb) {
    std::vector<double> sw(static_cast<size_t>(affine_n), 0.0), sb(static_cast<size_t>(affine_n), 0.0);
    for (int64_t r = 0; r < rn.R; ++r) {
      const T* p = x + r * rn.K;
      const T* q = g + r * rn.K;
      for (int64_t j = 0; j < rn.K; ++j) {
        int64_t a = rn.affine(r, j);
        sw[a] += q[j] * (p[j] - mean[r]) * rstd[r];
        sb[a] += q[j];
      }
    }
    for (int64_t a = 0; a < affine_n; ++a) {
      if (gw) gw[a] = static_cast<T>(sw[a]);
      if (gb) gb[a] = static_cast<T>(sb[a]);
    }
  }
}

// layer_norm and group_norm differ in their arguments only.
template <RowNormArgs (*Parse)(const TensorList&, const Attrs&)>
TensorList row_norm_op_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const RowNormArgs a = Parse(in, at);
  const RowNorm& rn = a.rn;
  Tensor x = in[0].contiguous();
  Tensor wc = in[1].defined() ? in[1].contiguous() : Tensor(), bc = in[2].defined() ? in[2].contiguous() : Tensor();
  Tensor y = empty(x.sizes(), x.dtype());
  Tensor mean = empty({rn.R}, DType::Float64), rstd = empty({rn.R}, DType::Float64);
  NW_DISPATCH_FLOAT(x.dtype(), a.op, [&] {
    using T = scalar_t;
    row_norm_forward<T>(rn, x.data<T>(), opt_data<T>(wc), opt_data<T>(bc), a.eps, y.data<T>(), mean.data<double>(), rstd.data<double>());
  });
  ctx.save({x, wc, mean, rstd});
  ctx.ints = a.pack();
  return {y};
}
TensorList row_norm_op_backward(OpContext& ctx, const TensorList& grads) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1], &mean = s[2], &rstd = s[3];
  const RowNormArgs a = RowNormArgs::unpack(ctx.ints);
  Tensor g = grads[0].contiguous();
  Tensor gx = ctx.needs_input_grad[0] ? empty(x.sizes(), x.dtype()) : Tensor();
  Tensor gw = ctx.needs_input_grad[1] ? empty(ctx.input_shapes[1], x.dtype()) : Tensor();
  Tensor gb = ctx.needs_input_grad[2] ? empty(ctx.input_shapes[2], x.dtype()) : Tensor();
  NW_DISPATCH_FLOAT(x.dtype(), a.op, [&] {
    using T = scalar_t;
    row_norm_backward<T>(a.rn, x.data<T>(), opt_data<T>(w), g.data<T>(), mean.data<double>(), rstd.data<double>(),
                         gx.defined() ? gx.data<T>() : nullptr, gw.defined() ? gw.data<T>() : nullptr,
                         gb.defined() ? gb.data<T>() : nullptr, a.affine_n);
  });
  return {gx, gw, gb};
}

}  // namespace

const OpDef op_batch_norm = {"batch_norm", 6, GradKind::Differentiable, batch_norm_forward, batch_norm_backward,
                             "batch normalisation over [N, C, *]: weight, bias, running_mean, running_var, num_batches_tracked "
                             "(each optional); training, momentum (number or 'none'), eps; running stats updated in place"};
const OpDef op_layer_norm = {"layer_norm", 3, GradKind::Differentiable, row_norm_op_forward<layer_norm_args>, row_norm_op_backward,
                             "layer normalisation over the last dims (normalized_shape, eps); weight and bias optional"};
const OpDef op_group_norm = {"group_norm", 3, GradKind::Differentiable, row_norm_op_forward<group_norm_args>, row_norm_op_backward,
                             "group normalisation of [N, C, *] (num_groups, eps); weight and bias [C] optional"};

}  // namespace nw
