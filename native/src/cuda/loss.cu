// Loss functions on CUDA with ops/loss.cpp's formulas, attributes and errors
// (torch.nn.functional semantics): reduction mean|sum|none; cross_entropy from logits
// (class indices or probabilities, class weights, ignore_index, label_smoothing), nll,
// mse, l1, smooth_l1, bce, bce_with_logits. Errors found on the device (a class index out
// of range, a probability outside [0, 1]) are flagged by the kernel and thrown after it
// with the CPU's message. mse_loss and l1_loss are the CPU's own rules: both directions
// are written with ops:: calls, which run here.
#include <cmath>

#include "cuda/reduce.cuh"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

enum class Reduction { None, Mean, Sum };
Reduction reduction_of(const Attrs& at) {
  std::string r = at.s("reduction", "mean");
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "none") return Reduction::None;
  throw Error("E_ARG", "reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

void check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  NW_CHECK(a.sizes() == b.sizes(), "E_SHAPE",
           std::string(op) + ": input " + shape_str(a.sizes()) + " and target " + shape_str(b.sizes()) +
               " must have the same shape");
}

Tensor reduce(const Tensor& per_elem, Reduction r) {
  if (r == Reduction::None) return per_elem;
  if (r == Reduction::Sum) return ops::sum(per_elem);
  return ops::mean(per_elem);
}
// Gradient of reduce() w.r.t. the per-element values, left unexpanded: every use
// multiplies it with a tensor of the full shape, which broadcasts it (the CPU expands
// it first; the values are the same).
Tensor reduce_grad(const Tensor& g, const Shape& shape, Reduction r) {
  if (r == Reduction::None) return g;
  double scale = r == Reduction::Mean ? 1.0 / static_cast<double>(std::max<int64_t>(shape_numel(shape), 1)) : 1.0;
  return scale == 1.0 ? g : ops::mul_scalar(g, scale);
}

Tensor float_target(const Tensor& t, const Tensor& like) {
  return t.dtype() == like.dtype() ? t : to_dtype(t, like.dtype());
}

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

TensorList smooth_l1_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  check_same_shape(in[0], in[1], "smooth_l1_loss");
  const double beta = at.f("beta", 1.0);
  NW_CHECK(beta >= 0, "E_ARG", "smooth_l1_loss: beta must be >= 0");
  DeviceGuard guard(dev(in[0]));
  Tensor d = ops::sub(in[0], float_target(in[1], in[0]));
  ctx.save({d});
  Tensor per = empty(d.sizes(), d.dtype(), d.device());
  NW_DISPATCH_FLOAT(d.dtype(), "smooth_l1_loss", [&] { ew_map1<scalar_t, scalar_t>(per, d, SmoothL1F{beta}); });
  return {reduce(per, reduction_of(at))};
}
TensorList smooth_l1_backward(OpContext& ctx, const TensorList& g) {
  Tensor d = ctx.saved()[0];
  DeviceGuard guard(dev(d));
  const double beta = ctx.attrs.f("beta", 1.0);
  Tensor slope = empty(d.sizes(), d.dtype(), d.device());
  NW_DISPATCH_FLOAT(d.dtype(), "smooth_l1_loss", [&] { ew_map1<scalar_t, scalar_t>(slope, d, SmoothL1SlopeF{beta}); });
  Tensor gd = ops::mul(reduce_grad(g[0], d.sizes(), reduction_of(ctx.attrs)), slope);
  return {gd, ctx.needs_input_grad[1] ? ops::neg(gd) : Tensor()};
}

// ---- classification: logits/log-probs with the class dim at 1 ----
// Rows: the class dim moved last and flattened, [M, C]; row i, class c is element
// (i / D) * C * D + c * D + i % D of the (contiguous) input, D = prod(d1, ...).
struct ClassLayout {
  Shape per_sample;  // shape of the unreduced loss: [N, d1, ...] (or [] for 1-D input)
  int64_t M = 1, C = 1, D = 1;
};
ClassLayout class_layout(const Tensor& input, const char* op) {
  NW_CHECK(input.dim() >= 1, "E_SHAPE", std::string(op) + ": input needs at least 1 dimension (classes)");
  ClassLayout l;
  if (input.dim() == 1) {
    l.C = input.sizes()[0];
    return l;
  }
  l.C = input.sizes()[1];
  for (int64_t i = 0; i < input.dim(); ++i)
    if (i != 1) l.per_sample.push_back(input.sizes()[i]);
  l.M = shape_numel(l.per_sample);
  for (int64_t i = 2; i < input.dim(); ++i) l.D *= input.sizes()[i];
  return l;
}

// [N, C, d...] -> contiguous [M, C] (a copy unless the layout already is that).
Tensor to_rows(const Tensor& input, const ClassLayout& l) {
  Tensor t = input;
  if (input.dim() > 2) {
    Shape sz{input.sizes()[0]}, st{input.strides()[0]};
    for (int64_t i = 2; i < input.dim(); ++i) {
      sz.push_back(input.sizes()[i]);
      st.push_back(input.strides()[i]);
    }
    sz.push_back(input.sizes()[1]);
    st.push_back(input.strides()[1]);
    t = make_view(input, sz, st, input.offset());
  }
  Tensor c = t.contiguous();
  return make_view(c, {l.M, l.C}, {l.C, 1}, c.offset());
}

__device__ inline int64_t class_offset(int64_t i, int64_t c, int64_t C, int64_t D) {
  return (i / D) * C * D + c * D + i % D;
}

void check_class_target(const Tensor& input, const Tensor& target, const ClassLayout& l, const char* op) {
  NW_CHECK(target.dtype() == DType::Int64, "E_TARGET",
           std::string(op) + " needs class indices as an int64 tensor (got " + dtype_name(target.dtype()) +
               "); for one-hot or probability targets use a float target of the input's shape");
  NW_CHECK(target.sizes() == l.per_sample, "E_SHAPE",
           std::string(op) + ": input " + shape_str(input.sizes()) + " expects a target of shape " +
               shape_str(l.per_sample) + ", got " + shape_str(target.sizes()));
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
  const char* op = FromLogits ? "cross_entropy" : "nll_loss";
  const Tensor &input = in[0], &target = in[1], &weight = in[2];
  NW_CHECK(is_floating(input.dtype()), "E_DTYPE", std::string(op) + ": input must be float32 or float64");
  const ClassLayout l = class_layout(input, op);
  const bool probs = is_floating(target.dtype());
  NW_CHECK(FromLogits || !probs, "E_TARGET", "nll_loss needs int64 class indices as the target");
  if (probs)
    NW_CHECK(target.sizes() == input.sizes(), "E_SHAPE",
             std::string(op) + ": a probability target must have the input's shape " + shape_str(input.sizes()) +
                 ", got " + shape_str(target.sizes()));
  else check_class_target(input, target, l, op);
  const double eps = FromLogits ? at.f("label_smoothing", 0.0) : 0.0;
  NW_CHECK(eps >= 0 && eps <= 1, "E_ARG", "label_smoothing must be between 0 and 1");
  const int64_t ignore = at.i("ignore_index", -100);
  const int device = dev(input);
  DeviceGuard guard(device);
  Tensor rows = to_rows(input, l);
  Tensor logp = FromLogits ? call_op("log_softmax", {rows}, {{"dim", int64_t(1)}})[0] : rows;
  const Reduction red = reduction_of(at);
  const int64_t M = l.M, C = l.C;
  Tensor per_row = empty(l.per_sample, input.dtype(), input.device());
  Tensor q = empty({M, C}, input.dtype(), input.device());
  Tensor wc;
  double denom = 1;
  NW_DISPATCH_FLOAT(input.dtype(), op, [&] {
    using T = scalar_t;
    wc = weight.defined() ? to_dtype(weight, q.dtype()).contiguous() : Tensor();
    if (wc.defined())
      NW_CHECK(weight.dim() == 1 && weight.sizes()[0] == C, "E_SHAPE",
               std::string(op) + ": weight must have one entry per class (" + std::to_string(C) + "), got " +
                   shape_str(weight.sizes()));
    const T* w = wc.defined() ? wc.data<T>() : nullptr;
    T* pq = q.data<T>();
    if (probs) {
      // q = ((1 - eps) t + eps / C) * w_c
      Tensor tc = to_rows(to_dtype(target, q.dtype()), l);
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
    const Indexer ti = fast_indexer(target);
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
    if (host.bad < M) {
      const int64_t y = static_cast<int64_t>(cuda::read_scalar(target, host.bad));
      throw Error("E_TARGET", std::string(op) + ": target " + std::to_string(y) + " is out of range for " +
                                  std::to_string(C) + " classes (valid: 0.." + std::to_string(C - 1) +
                                  "); check the label column or the number of outputs");
    }
    denom = host.denom;
  });
  NW_DISPATCH_FLOAT(input.dtype(), op, [&] {
    using T = scalar_t;
    RowLossOp<T> rop{q.data<T>(), logp.data<T>(), C, per_row.data<T>()};
    run_reduce(device, rop, M, C, true);
  });
  ctx.save({logp, q, wc});
  ctx.ints = {M, C, l.D};
  Tensor out;
  if (red == Reduction::None) out = per_row;
  else if (red == Reduction::Sum) out = ops::sum(per_row);
  else out = ops::mul_scalar(ops::sum(per_row), 1.0 / denom);  // 0/0 -> nan, like PyTorch with all targets ignored
  ctx.attrs.set("__denom", denom);
  return {out};
}

template <bool FromLogits>
TensorList class_loss_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor logp = s[0], q = s[1], wc = s[2];
  const int64_t M = ctx.ints[0], C = ctx.ints[1], D = ctx.ints[2];
  const Reduction red = reduction_of(ctx.attrs);
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
  const Indexer gi = red == Reduction::None ? fast_indexer(grow) : fast_indexer(grow, Shape{M});
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

TensorList bce_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  check_same_shape(in[0], in[1], "binary_cross_entropy");
  const Tensor& p = in[0];
  DeviceGuard guard(dev(p));
  Tensor t = float_target(in[1], p);
  Tensor w = in[2];
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
    const Indexer ip = fast_indexer(p), it = fast_indexer(t, p.sizes());
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
  if (w.defined()) per = ops::mul(per, w);
  ctx.save({p, t, w});
  return {reduce(per, reduction_of(at))};
}
TensorList bce_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor p = s[0], t = s[1], w = s[2];
  DeviceGuard guard(dev(p));
  Tensor d = empty(p.sizes(), p.dtype(), p.device());
  NW_DISPATCH_FLOAT(p.dtype(), "binary_cross_entropy", [&] { ew_map2<scalar_t, scalar_t, scalar_t>(d, p, t, BceGradF{}); });
  if (w.defined()) d = ops::mul(d, w);
  Tensor up = reduce_grad(g[0], p.sizes(), reduction_of(ctx.attrs));
  Tensor dt;
  if (ctx.needs_input_grad[1]) {
    // d/dt = log(1 - p) - log(p) = -logit(p) (unclamped, as torch's target backward).
    dt = ops::sub(ops::log(ops::add_scalar(ops::neg(p), 1.0)), ops::log(p));
    if (w.defined()) dt = ops::mul(dt, w);
    dt = ops::mul(up, dt);
  }
  return {ctx.needs_input_grad[0] ? ops::mul(up, d) : Tensor(), dt, Tensor()};
}

// softplus(-x) = -log_sigmoid(x), computed stably (in T, as the CPU's float overloads).
struct SoftplusNegF {
  template <typename T> __device__ T operator()(T v) const {
    const T m = -v < T(0) ? T(0) : -v;  // std::max<T>(-v, 0)
    return static_cast<T>(d_log1p(d_exp(-d_fabs(v))) + m);
  }
};
Tensor softplus_of_neg(const Tensor& x) {
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), "binary_cross_entropy_with_logits",
                    [&] { ew_map1<scalar_t, scalar_t>(out, x, SoftplusNegF{}); });
  return out;
}

TensorList bce_logits_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  check_same_shape(in[0], in[1], "binary_cross_entropy_with_logits");
  const Tensor& x = in[0];
  DeviceGuard guard(dev(x));
  Tensor t = float_target(in[1], x);
  Tensor w = in[2], pw = in[3];
  // loss = (1 - t) x + (1 + (pw - 1) t) * (log1p(exp(-|x|)) + max(-x, 0))
  Tensor softplus_neg = softplus_of_neg(x);
  Tensor one = ops::scalar_like(1.0, x);
  Tensor coef = pw.defined() ? ops::add(one, ops::mul(ops::sub(pw, one), t)) : Tensor();
  Tensor per = ops::add(ops::mul(ops::sub(one, t), x), coef.defined() ? ops::mul(coef, softplus_neg) : softplus_neg);
  if (w.defined()) per = ops::mul(per, w);
  ctx.save({x, t, w, pw});
  return {reduce(per, reduction_of(at))};
}
TensorList bce_logits_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor x = s[0], t = s[1], w = s[2], pw = s[3];
  DeviceGuard guard(dev(x));
  Tensor sg = ops::sigmoid(x);
  Tensor d;
  if (pw.defined()) {
    Tensor pt = ops::mul(pw, t);
    d = ops::sub(ops::mul(sg, ops::add(ops::sub(pt, t), ops::scalar_like(1.0, x))), pt);
  } else {
    d = ops::sub(sg, t);
  }
  if (w.defined()) d = ops::mul(d, w);
  Tensor up = reduce_grad(g[0], x.sizes(), reduction_of(ctx.attrs));
  Tensor dt;
  if (ctx.needs_input_grad[1]) {
    // d/dt = -x + (pw - 1) * softplus(-x)  (= -x without pos_weight)
    dt = ops::neg(x);
    if (pw.defined()) dt = ops::add(dt, ops::mul(ops::add_scalar(pw, -1.0), softplus_of_neg(x)));
    if (w.defined()) dt = ops::mul(dt, w);
    dt = ops::mul(up, dt);
  }
  return {ctx.needs_input_grad[0] ? ops::mul(up, d) : Tensor(), dt, Tensor(), Tensor()};
}

}  // namespace

void register_loss_ops(OpRegistry& r) {
  r.add(op_mse_loss, op_mse_loss.forward, op_mse_loss.backward);
  r.add(op_l1_loss, op_l1_loss.forward, op_l1_loss.backward);
  r.add(op_smooth_l1_loss, smooth_l1_forward, smooth_l1_backward);
  r.add(op_cross_entropy, class_loss_forward<true>, class_loss_backward<true>);
  r.add(op_nll_loss, class_loss_forward<false>, class_loss_backward<false>);
  r.add(op_binary_cross_entropy, bce_forward, bce_backward);
  r.add(op_binary_cross_entropy_with_logits, bce_logits_forward, bce_logits_backward);
}

}  // namespace nw::cuda
