// Loss functions on CUDA with ops/loss_args.h's rules, attributes and errors
// (torch.nn.functional semantics): reduction mean|sum|none; cross_entropy from logits
// (class indices or probabilities, class weights, ignore_index, label_smoothing), nll,
// mse, l1, smooth_l1, bce, bce_with_logits. Errors found on the device (a class index out
// of range, a probability outside [0, 1]) are flagged by the kernel and thrown after it
// with the CPU's message. mse_loss and l1_loss are the CPU's own rules: both directions
// are written with ops:: calls, which run here; the other losses plug this file's kernels
// into the compositions of ops/loss_args.h.
#include <cmath>

#include "cuda/reduce.cuh"
#include "ops/loss_args.h"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

using loss::ClassLayout;
using loss::Reduction;

// ---- smooth_l1 ----
struct SmoothL1F {
  double beta;
  template <typename T> __device__ T operator()(T v) const {
    const double a = fabs(static_cast<double>(v));
    return static_cast<T>(beta > 0 && a < beta ? 0.5 * a * a / beta : a - 0.5 * beta);
  }
};
struct SmoothL1SlopeF {
  double beta;
  template <typename T> __device__ T operator()(T v) const {
    const double x = static_cast<double>(v), a = fabs(x);
    return static_cast<T>(beta > 0 && a < beta ? x / beta : static_cast<double>((x > 0) - (x < 0)));
  }
};

Tensor smooth_l1_values(const Tensor& d, double beta) {
  DeviceGuard guard(dev(d));
  Tensor per = empty(d.sizes(), d.dtype(), d.device());
  NW_DISPATCH_FLOAT(d.dtype(), "smooth_l1_loss", [&] { map1<scalar_t, scalar_t>(per, d, SmoothL1F{beta}); });
  return per;
}
Tensor smooth_l1_slope(const Tensor& d, double beta) {
  DeviceGuard guard(dev(d));
  Tensor slope = empty(d.sizes(), d.dtype(), d.device());
  NW_DISPATCH_FLOAT(d.dtype(), "smooth_l1_loss", [&] { map1<scalar_t, scalar_t>(slope, d, SmoothL1SlopeF{beta}); });
  return slope;
}
// ---- classification: rows [M, C] of the (contiguous) input, ops/loss_args.h's layout ----
__device__ inline int64_t class_offset(int64_t i, int64_t c, int64_t C, int64_t D) {
  return (i / D) * C * D + c * D + i % D;
}

// Validates class indices and sums the weights of the rows that count (the mean's
// normaliser); the first out-of-range row is recorded with atomicMin.
template <typename T>
struct DenomOp {
  using acc_t = double;
  const int64_t* target;
  Indexer ti;
  const T* w;  // null: weight 1
  int64_t C, ignore;
  unsigned long long* bad_row;
  double* denom;
  __device__ double identity() const { return 0.0; }
  __device__ int64_t row(int64_t) const { return 0; }
  __device__ double step(double a, int64_t, int64_t r) const {
    const int64_t y = target[ti.at(r)];
    if (y == ignore) return a;
    if (y < 0 || y >= C) {
      atomicMin(bad_row, static_cast<unsigned long long>(r));
      return a;
    }
    return a + (w ? static_cast<double>(w[y]) : 1.0);
  }
  __device__ double merge(double a, double b) const { return a + b; }
  __device__ void finish(int64_t, double a) const { *denom = a; }
};

// loss_row = -sum_c q_c logp_c over the classes with q_c != 0 (so logp = -inf with q = 0 adds nothing).
template <typename T>
struct RowLossOp {
  using acc_t = double;
  const T* q;
  const T* logp;
  int64_t C;
  T* out;
  __device__ double identity() const { return 0.0; }
  __device__ int64_t row(int64_t o) const { return o * C; }
  __device__ double step(double a, int64_t row, int64_t r) const {
    const T qv = q[row + r];
    return qv != T(0) ? a - static_cast<double>(qv) * static_cast<double>(logp[row + r]) : a;
  }
  __device__ double merge(double a, double b) const { return a + b; }
  __device__ void finish(int64_t o, double a) const { out[o] = static_cast<T>(a); }
};

// Row sums of q (rounded to T, as the CPU's sum(q, {1}, true)).
template <typename T>
struct RowSumOp {
  using acc_t = double;
  const T* q;
  int64_t C;
  T* out;
  __device__ double identity() const { return 0.0; }
  __device__ int64_t row(int64_t o) const { return o * C; }
  __device__ double step(double a, int64_t row, int64_t r) const { return a + static_cast<double>(q[row + r]); }
  __device__ double merge(double a, double b) const { return a + b; }
  __device__ void finish(int64_t o, double a) const { out[o] = static_cast<T>(a); }
};

// Shared by cross_entropy (logits) and nll_loss (log-probabilities).
template <bool FromLogits>
TensorList class_loss_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const loss::ClassArgs a = loss::class_args(FromLogits, in, at);
  const ClassLayout& l = a.layout;
  const char* op = a.op;
  const bool probs = a.probs;
  const double eps = a.label_smoothing;
  const int64_t ignore = a.ignore_index;
  const Tensor &input = in[0], &target = in[1], &weight = in[2];
  const int device = dev(input);
  DeviceGuard guard(device);
  Tensor rows = loss::to_rows(input, l);
  Tensor logp = FromLogits ? call_op("log_softmax", {rows}, {{"dim", int64_t(1)}})[0] : rows;
  const int64_t M = l.M, C = l.C;
  Tensor per_row = empty(l.per_sample, input.dtype(), input.device());
  Tensor q = empty({M, C}, input.dtype(), input.device());
  Tensor wc;
  double denom = 1;
  NW_DISPATCH_FLOAT(input.dtype(), op, [&] {
    using T = scalar_t;
    wc = weight.defined() ? to_dtype(weight, q.dtype()).contiguous() : Tensor();
    if (wc.defined()) loss::check_class_weight(weight, C, op);
    const T* w = wc.defined() ? wc.data<T>() : nullptr;
    T* pq = q.data<T>();
    if (probs) {
      // q = ((1 - eps) t + eps / C) * w_c
      Tensor tc = loss::to_rows(to_dtype(target, q.dtype()), l);
      const T* pt = tc.data<T>();
      launch(device, M * C, [=] __device__(int64_t k) {
        const int64_t c = k % C;
        pq[k] = static_cast<T>(((1 - eps) * static_cast<double>(pt[k]) + eps / C) *
                               (w ? static_cast<double>(w[c]) : 1.0));
      });
      denom = static_cast<double>(M);
      return;
    }
    // Class indices: validate and sum the weights of the counted rows, one sync for both.
    Tensor stats = empty({2}, DType::Int64, input.device());  // [first bad row, denom (double bits)]
    unsigned long long* bad = reinterpret_cast<unsigned long long*>(stats.data<int64_t>());
    double* pden = reinterpret_cast<double*>(stats.data<int64_t>() + 1);
    launch(device, 1, [=] __device__(int64_t) {
      *bad = static_cast<unsigned long long>(M);
      *pden = 0.0;
    });
    const Indexer ti = indexer(target);
    const int64_t* ptg = base_ptr<const int64_t>(target);
    DenomOp<T> dop{ptg, ti, w, C, ignore, bad, pden};
    run_reduce(device, dop, 1, M, ti.contiguous);
    // q_i = (1 - eps) w_y onehot(y) + eps / C w_c, zero for ignored rows.
    launch(device, M * C, [=] __device__(int64_t k) {
      const int64_t i = k / C, c = k % C;
      const int64_t y = ptg[ti.at(i)];
      T v = T(0);
      if (y != ignore && y >= 0 && y < C) {
        const double wy = w ? static_cast<double>(w[y]) : 1.0;
        if (c == y) v = static_cast<T>((1 - eps) * wy);
        if (eps > 0) v = v + static_cast<T>(eps / C * (w ? static_cast<double>(w[c]) : 1.0));
      }
      pq[k] = v;
    });
    struct {
      int64_t bad;
      double denom;
    } host{};
    download(&host, stats.raw_data(), sizeof(host), device);
    if (host.bad < M) throw loss::target_out_of_range(op, static_cast<int64_t>(cuda::read_scalar(target, host.bad)), C);
    denom = host.denom;
  });
  NW_DISPATCH_FLOAT(input.dtype(), op, [&] {
    using T = scalar_t;
    RowLossOp<T> rop{q.data<T>(), logp.data<T>(), C, per_row.data<T>()};
    run_reduce(device, rop, M, C, true);
  });
  ctx.save({logp, q, wc});
  ctx.ints = {M, C, l.D};
  ctx.attrs.set("__denom", denom);
  return {loss::reduce_rows(per_row, a.reduction, denom)};
}

template <bool FromLogits>
TensorList class_loss_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor logp = s[0], q = s[1], wc = s[2];
  const int64_t M = ctx.ints[0], C = ctx.ints[1], D = ctx.ints[2];
  const Reduction red = loss::reduction_of(ctx.attrs);
  const double denom = ctx.attrs.f("__denom", 1.0);
  const double eps = FromLogits ? ctx.attrs.f("label_smoothing", 0.0) : 0.0;
  const int device = dev(logp);
  DeviceGuard guard(device);
  // Per-row upstream gradient: g itself (none) or one scalar for every row.
  Tensor grow = red == Reduction::Mean ? ops::mul_scalar(g[0], 1.0 / denom) : g[0];
  if (grow.dtype() != logp.dtype()) grow = to_dtype(grow, logp.dtype());
  NW_CHECK(red != Reduction::None || grow.numel() == M, "E_INTERNAL",
           std::string(FromLogits ? "cross_entropy" : "nll_loss") + " backward: gradient of shape " +
               shape_str(grow.sizes()) + " for " + std::to_string(M) + " rows");
  const Indexer gi = red == Reduction::None ? indexer(grow) : indexer(grow, Shape{M});
  Tensor dinput, dtarget;
  NW_DISPATCH_FLOAT(logp.dtype(), FromLogits ? "cross_entropy" : "nll_loss", [&] {
    using T = scalar_t;
    const T* pg = base_ptr<const T>(grow);
    const T* pl = logp.data<T>();
    const T* pq = q.data<T>();
    if (ctx.needs_input_grad[0]) {
      dinput = empty(ctx.input_shapes[0], logp.dtype(), logp.device());
      T* pd = dinput.data<T>();
      if (FromLogits) {
        // d/dz of -sum q log softmax(z) = softmax(z) * sum(q) - q
        Tensor qsum = empty({M}, logp.dtype(), logp.device());
        run_reduce(device, RowSumOp<T>{pq, C, qsum.data<T>()}, M, C, true);
        const T* ps = qsum.data<T>();
        launch(device, M * C, [=] __device__(int64_t k) {
          const int64_t i = k / C, c = k % C;
          const T sm = static_cast<T>(d_exp(pl[k]) * ps[i]);
          pd[class_offset(i, c, C, D)] = pg[gi.at(i)] * static_cast<T>(sm - pq[k]);
        });
      } else {
        launch(device, M * C, [=] __device__(int64_t k) {
          const int64_t i = k / C, c = k % C;
          pd[class_offset(i, c, C, D)] = pg[gi.at(i)] * static_cast<T>(-pq[k]);
        });
      }
    }
    if (FromLogits && ctx.needs_input_grad[1] && is_floating(ctx.input_dtypes[1])) {
      // Probability target: d loss_row / d t_c = -(1 - label_smoothing) * weight_c * logp_c.
      dtarget = empty(ctx.input_shapes[1], logp.dtype(), logp.device());
      T* pd = dtarget.data<T>();
      const T* w = wc.defined() ? wc.data<T>() : nullptr;
      const T f = static_cast<T>(-(1.0 - eps));
      launch(device, M * C, [=] __device__(int64_t k) {
        const int64_t i = k / C, c = k % C;
        T v = pl[k] * f;
        if (w) v = v * w[c];
        pd[class_offset(i, c, C, D)] = pg[gi.at(i)] * v;
      });
    }
  });
  return {dinput, dtarget, Tensor()};
}

// ---- binary ----
struct BceF {
  template <typename T> __device__ T operator()(T pv, T tv) const {
    // PyTorch clamps each log at -100 so p = 0 or 1 gives a finite loss.
    double lp = log(static_cast<double>(pv));
    lp = lp < -100.0 ? -100.0 : lp;
    double l1p = log1p(-static_cast<double>(pv));
    l1p = l1p < -100.0 ? -100.0 : l1p;
    return static_cast<T>(-(static_cast<double>(tv) * lp + static_cast<double>(static_cast<T>(T(1) - tv)) * l1p));
  }
};
struct BceGradF {
  template <typename T> __device__ T operator()(T pv, T tv) const {
    const double pp = static_cast<double>(pv);
    double den = pp * (1 - pp);
    den = den < 1e-12 ? 1e-12 : den;
    return static_cast<T>((pp - static_cast<double>(tv)) / den);
  }
};

// The unweighted loss; E_RANGE (the CPU's message) for an input outside [0, 1].
Tensor bce_values(const Tensor& p, const Tensor& t) {
  DeviceGuard guard(dev(p));
  Tensor per = empty(p.sizes(), p.dtype(), p.device());
  NW_DISPATCH_FLOAT(p.dtype(), "binary_cross_entropy", [&] {
    using T = scalar_t;
    const int64_t n = per.numel();
    if (n == 0) return;
    Tensor flag = zeros({1}, DType::Int32, p.device());
    int* pf = flag.data<int32_t>();
    T* po = per.data<T>();
    const T* pp = base_ptr<const T>(p);
    const T* pt = base_ptr<const T>(t);
    const Indexer ip = indexer(p), it = indexer(t, p.sizes());
    launch(dev(p), n, [=] __device__(int64_t i) {
      const T pv = pp[ip.at(i)];
      if (!(pv >= 0 && pv <= 1)) {
        *pf = 1;
        po[i] = T(0);
        return;
      }
      po[i] = BceF{}(pv, pt[it.at(i)]);
    });
    NW_CHECK(cuda::read_scalar(flag, 0) == 0, "E_RANGE",
             "binary_cross_entropy: inputs must be probabilities in [0, 1]; apply sigmoid first or use "
             "binary_cross_entropy_with_logits");
  });
  return per;
}
Tensor bce_grad(const Tensor& p, const Tensor& t) {
  DeviceGuard guard(dev(p));
  Tensor d = empty(p.sizes(), p.dtype(), p.device());
  NW_DISPATCH_FLOAT(p.dtype(), "binary_cross_entropy", [&] { map2<scalar_t, scalar_t, scalar_t>(d, p, t, BceGradF{}); });
  return d;
}
// softplus(-x) = -log_sigmoid(x), computed stably (in T, as the CPU's float overloads).
struct SoftplusNegF {
  template <typename T> __device__ T operator()(T v) const {
    const T m = -v < T(0) ? T(0) : -v;  // std::max<T>(-v, 0)
    return static_cast<T>(d_log1p(d_exp(-d_fabs(v))) + m);
  }
};
Tensor softplus_of_neg(const Tensor& x) {
  DeviceGuard guard(dev(x));
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), "binary_cross_entropy_with_logits",
                    [&] { map1<scalar_t, scalar_t>(out, x, SoftplusNegF{}); });
  return out;
}

}  // namespace

void register_loss_ops(OpRegistry& r) {
  r.add(op_mse_loss, op_mse_loss.forward, op_mse_loss.backward);
  r.add(op_l1_loss, op_l1_loss.forward, op_l1_loss.backward);
  r.add(op_smooth_l1_loss, loss::forward_with<loss::smooth_l1_forward, smooth_l1_values>,
        loss::backward_with<loss::smooth_l1_backward, smooth_l1_slope>);
  r.add(op_cross_entropy, class_loss_forward<true>, class_loss_backward<true>);
  r.add(op_nll_loss, class_loss_forward<false>, class_loss_backward<false>);
  r.add(op_binary_cross_entropy, loss::forward_with<loss::bce_forward, bce_values>,
        loss::backward_with<loss::bce_backward, bce_grad>);
  r.add(op_binary_cross_entropy_with_logits, loss::forward_with<loss::bce_logits_forward, softplus_of_neg>,
        loss::backward_with<loss::bce_logits_backward, softplus_of_neg>);
}

}  // namespace nw::cuda
