// Matrix products on CUDA: matmul (NumPy broadcasting, 1-D operands), bmm, addmm and
// linear, forward and backward, with the same rules as ops/linalg.cpp. Float products go
// through cuda::gemm (cuBLAS or the built-in kernel); integer matmul has its own kernel.
// Strided operands are passed as transposes when one of their last two strides is 1.
#include "core/autograd.h"
#include "cuda/common.cuh"
#include "cuda/sum_rows.cuh"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

// A 2-D matrix as GEMM wants it: device pointer, transpose flag, leading dimension.
template <typename T>
struct MatArg {
  const T* data;
  bool trans;
  int64_t ld;
};

template <typename T>
MatArg<T> as_gemm_operand(const Tensor& m, int64_t rows, int64_t cols, int64_t stride_r, int64_t stride_c,
                          int64_t offset) {
  const T* base = static_cast<const T*>(m.impl()->storage->data) + offset;
  if (stride_c == 1 && (stride_r >= std::max<int64_t>(cols, 1) || rows <= 1))
    return {base, false, std::max<int64_t>(stride_r, std::max<int64_t>(cols, 1))};
  if (stride_r == 1 && (stride_c >= std::max<int64_t>(rows, 1) || cols <= 1))
    return {base, true, std::max<int64_t>(stride_c, std::max<int64_t>(rows, 1))};
  return {nullptr, false, 0};
}

// Integer products (no BLAS for integers): one thread per output element, wrapping
// arithmetic in T as the CPU loop does.
template <typename T>
void int_gemm(int device, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, int64_t sa,
              const T* b, int64_t ldb, int64_t sb, T* c, int64_t ldc, int64_t sc, int64_t batch) {
  launch(device, batch * m * n, [=] __device__(int64_t idx) {
    const int64_t j = idx % n, t = idx / n, i = t % m, bt = t / m;
    const T* pa = a + bt * sa;
    const T* pb = b + bt * sb;
    T acc = 0;
    for (int64_t p = 0; p < k; ++p) {
      const T av = ta ? pa[p * lda + i] : pa[i * lda + p];
      const T bv = tb ? pb[j * ldb + p] : pb[p * ldb + j];
      acc = static_cast<T>(acc + av * bv);
    }
    c[bt * sc + i * ldc + j] = acc;
  });
}

// C[batch] = op(A[batch]) @ op(B[batch]) (alpha 1, beta 0) for any non-bool dtype.
template <typename T>
void mm(int device, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, int64_t sa,
        const T* b, int64_t ldb, int64_t sb, T* c, int64_t ldc, int64_t sc, int64_t batch) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
    gemm<T>(device, ta, tb, m, n, k, T(1), a, lda, sa, b, ldb, sb, T(0), c, ldc, sc, batch);
  else
    int_gemm<T>(device, ta, tb, m, n, k, a, lda, sa, b, ldb, sb, c, ldc, sc, batch);
}

// out[batch] = a[batch] @ b[batch] for 3-D operands already broadcast to the same batch.
template <typename T>
void batched_mm(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t batch = out.sizes()[0], m = out.sizes()[1], n = out.sizes()[2], k = a.sizes()[2];
  if (batch == 0) return;
  Tensor ac = a, bc = b;
  auto op_a = [&] { return as_gemm_operand<T>(ac, m, k, ac.strides()[1], ac.strides()[2], ac.offset()); };
  auto op_b = [&] { return as_gemm_operand<T>(bc, k, n, bc.strides()[1], bc.strides()[2], bc.offset()); };
  if (!op_a().data) ac = a.contiguous();
  if (!op_b().data) bc = b.contiguous();
  MatArg<T> A = op_a(), B = op_b();
  mm<T>(dev(out), A.trans, B.trans, m, n, k, A.data, A.ld, ac.strides()[0], B.data, B.ld, bc.strides()[0],
        out.data<T>(), std::max<int64_t>(n, 1), m * n, batch);
}

// torch.matmul on the device (the CPU's matmul_impl, GEMMs on cuda).
Tensor matmul_impl(const Tensor& a_in, const Tensor& b_in) {
  NW_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "E_SHAPE",
           "matmul: both arguments need at least 1 dimension, got " + shape_str(a_in.sizes()) + " and " +
               shape_str(b_in.sizes()));
  DType dt = ops::result_type(a_in, b_in);
  NW_CHECK(dt != DType::Bool, "E_DTYPE", "matmul of bool tensors is not supported");
  DeviceGuard guard(dev(a_in));
  Tensor a = a_in.dtype() == dt ? a_in : to_dtype(a_in, dt);
  Tensor b = b_in.dtype() == dt ? b_in : to_dtype(b_in, dt);
  bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  if (a_vec) a = make_view(a, {1, a.sizes()[0]}, {0, a.strides()[0]}, a.offset());
  if (b_vec) b = make_view(b, {b.sizes()[0], 1}, {b.strides()[0], 0}, b.offset());
  const int64_t m = a.sizes()[a.dim() - 2], k = a.sizes()[a.dim() - 1];
  const int64_t k2 = b.sizes()[b.dim() - 2], n = b.sizes()[b.dim() - 1];
  NW_CHECK(k == k2, "E_SHAPE",
           "matmul: shapes " + shape_str(a_in.sizes()) + " and " + shape_str(b_in.sizes()) + " cannot be multiplied (" +
               std::to_string(k) + " != " + std::to_string(k2) + ")");
  Shape ba(a.sizes().begin(), a.sizes().end() - 2), bb(b.sizes().begin(), b.sizes().end() - 2);
  Shape batch = broadcast_shapes(ba, bb);
  int64_t nb = shape_numel(batch);
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = empty(out_shape, dt, a.device());
  NW_DISPATCH_ALL(dt, [&] {
    using T = scalar_t;
    if constexpr (!std::is_same_v<T, bool>) {
      if (bb.empty() && a.is_contiguous()) {
        // [..., m, k] @ [k, n]: fold the batch into rows, one GEMM.
        Tensor b2 = b;
        MatArg<T> B = as_gemm_operand<T>(b2, k, n, b2.strides()[0], b2.strides()[1], b2.offset());
        if (!B.data) {
          b2 = b.contiguous();
          B = as_gemm_operand<T>(b2, k, n, b2.strides()[0], b2.strides()[1], b2.offset());
        }
        mm<T>(dev(out), false, B.trans, nb * m, n, k, a.data<T>(), std::max<int64_t>(k, 1), 0, B.data, B.ld, 0,
              out.data<T>(), std::max<int64_t>(n, 1), 0, 1);
      } else {
        Shape sa = batch, sb = batch;
        sa.push_back(m);
        sa.push_back(k);
        sb.push_back(k);
        sb.push_back(n);
        Tensor ae = make_view(a, sa, broadcast_strides(a, sa), a.offset());
        Tensor be = make_view(b, sb, broadcast_strides(b, sb), b.offset());
        // Collapse batch dims into one (copy when the batch strides do not merge).
        // NOTE: size-1 batch dims carry any stride (0 after broadcasting): skip them.
        auto flat3 = [&](const Tensor& t, int64_t r, int64_t c) {
          auto batch_stride = [&](const Tensor& v, int64_t* stride) {
            int64_t prev = -1;
            *stride = 0;
            for (size_t i = 0; i < batch.size(); ++i) {
              if (batch[i] == 1) continue;
              if (prev >= 0 && v.strides()[prev] != v.strides()[i] * batch[i]) return false;
              prev = static_cast<int64_t>(i);
              *stride = v.strides()[i];
            }
            return true;
          };
          Tensor v = t;
          int64_t bs = 0;
          if (!batch_stride(v, &bs)) {
            v = t.contiguous();
            batch_stride(v, &bs);
          }
          return make_view(v, {nb, r, c}, {bs, v.strides()[v.dim() - 2], v.strides()[v.dim() - 1]}, v.offset());
        };
        Tensor out3 = make_view(out, {nb, m, n}, {m * n, n, 1}, 0);
        batched_mm<T>(flat3(ae, m, k), flat3(be, k, n), out3);
      }
    }
  });
  if (a_vec && b_vec)
    return make_view(out, Shape(out_shape.begin(), out_shape.end() - 2), Shape(batch.size(), 0), 0).contiguous();
  if (a_vec) {
    Shape s(out_shape.begin(), out_shape.end() - 2);
    s.push_back(n);
    return ops::reshape(out, s);
  }
  if (b_vec) {
    Shape s(out_shape.begin(), out_shape.end() - 1);
    return ops::reshape(out, s);
  }
  return out;
}

// out = t * s in a fresh contiguous tensor (float dtypes).
Tensor scaled(const Tensor& t, double s) {
  Tensor out = empty(t.sizes(), t.dtype(), t.device());
  NW_DISPATCH_FLOAT(t.dtype(), "addmm", [&] {
    const scalar_t f = static_cast<scalar_t>(s);
    map1<scalar_t, scalar_t>(out, t, [f] __device__(scalar_t v) { return v * f; });
  });
  return out;
}

Tensor sum_to_if_needed(const Tensor& g, const Shape& shape) { return g.sizes() == shape ? g : ops::sum_to(g, shape); }

TensorList matmul_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  ctx.save({in[0], in[1]});
  return {matmul_impl(in[0], in[1])};
}
TensorList matmul_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  Tensor a = s[0], b = s[1], go = g[0];
  Tensor A = a.dim() == 1 ? ops::unsqueeze(a, 0) : a;
  Tensor B = b.dim() == 1 ? ops::unsqueeze(b, 1) : b;
  Tensor G = go;
  if (a.dim() == 1 && b.dim() == 1) {
    G = ops::reshape(go, {1, 1});  // vector . vector: the gradient is 0-d
  } else {
    if (a.dim() == 1) G = ops::unsqueeze(G, -2);  // [..., n] -> [..., 1, n]
    if (b.dim() == 1) G = ops::unsqueeze(G, -1);  // [..., m] -> [..., m, 1]
  }
  Tensor ga, gb;
  if (ctx.needs_input_grad[0])
    ga = ops::reshape(sum_to_if_needed(matmul_impl(G, ops::transpose(B, -1, -2)), A.sizes()), a.sizes());
  if (ctx.needs_input_grad[1])
    gb = ops::reshape(sum_to_if_needed(matmul_impl(ops::transpose(A, -1, -2), G), B.sizes()), b.sizes());
  return {ga, gb};
}

TensorList bmm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  NW_CHECK(in[0].dim() == 3 && in[1].dim() == 3 && in[0].sizes()[0] == in[1].sizes()[0], "E_SHAPE",
           "bmm needs two 3-D tensors with the same batch size, got " + shape_str(in[0].sizes()) + " and " +
               shape_str(in[1].sizes()));
  return matmul_forward(ctx, in, at);
}

// addmm(input, mat1, mat2): beta * input + alpha * mat1 @ mat2
TensorList addmm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  NW_CHECK(in[1].dim() == 2 && in[2].dim() == 2, "E_SHAPE",
           "addmm needs 2-D mat1 and mat2, got " + shape_str(in[1].sizes()) + " and " + shape_str(in[2].sizes()));
  const double beta = at.f("beta", 1.0), alpha = at.f("alpha", 1.0);
  ctx.save({in[1], in[2]});
  const Tensor &input = in[0], &m1 = in[1], &m2 = in[2];
  DeviceGuard guard(dev(m1));
  const DType dt = ops::result_type(m1, m2);
  if (is_floating(dt) && input.dtype() == dt && m1.dtype() == dt && m2.dtype() == dt) {
    // One GEMM: out = beta * input (broadcast), then out += alpha * mat1 @ mat2. beta
    // scales input even when 0 (NaN * 0 stays NaN), as the CPU's mul_scalar does.
    const int64_t m = m1.sizes()[0], k = m1.sizes()[1], n = m2.sizes()[1];
    NW_CHECK(k == m2.sizes()[0], "E_SHAPE",
             "matmul: shapes " + shape_str(m1.sizes()) + " and " + shape_str(m2.sizes()) + " cannot be multiplied (" +
                 std::to_string(k) + " != " + std::to_string(m2.sizes()[0]) + ")");
    Tensor out = empty({m, n}, dt, m1.device());
    Tensor base = make_view(input, {m, n}, broadcast_strides(input, {m, n}), input.offset());
    NW_DISPATCH_FLOAT(dt, "addmm", [&] {
      using T = scalar_t;
      T* po = out.data<T>();
      const T* pi = base_ptr<const T>(base);
      const Indexer ii = indexer(base);
      const T bt = static_cast<T>(beta);
      const bool scale = beta != 1.0;
      launch(dev(out), out.numel(), [=] __device__(int64_t i) {
        const T v = pi[ii.at(i)];
        po[i] = scale ? v * bt : v;
      });
      Tensor a2 = m1, b2 = m2;
      MatArg<T> A = as_gemm_operand<T>(a2, m, k, a2.strides()[0], a2.strides()[1], a2.offset());
      if (!A.data) {
        a2 = m1.contiguous();
        A = as_gemm_operand<T>(a2, m, k, a2.strides()[0], a2.strides()[1], a2.offset());
      }
      MatArg<T> B = as_gemm_operand<T>(b2, k, n, b2.strides()[0], b2.strides()[1], b2.offset());
      if (!B.data) {
        b2 = m2.contiguous();
        B = as_gemm_operand<T>(b2, k, n, b2.strides()[0], b2.strides()[1], b2.offset());
      }
      gemm<T>(dev(out), A.trans, B.trans, m, n, k, static_cast<T>(alpha), A.data, A.ld, 0, B.data, B.ld, 0, T(1), po,
              std::max<int64_t>(n, 1), 0, 1);
    });
    return {out};
  }
  // Mixed or integer dtypes: the CPU's composition, op by op.
  Tensor prod = matmul_impl(m1, m2);
  if (alpha != 1.0) prod = ops::mul_scalar(prod, alpha);
  Tensor base = beta == 1.0 ? input : ops::mul_scalar(input, beta);
  return {ops::add(ops::expand(base, prod.sizes()), prod)};
}
TensorList addmm_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  const double beta = ctx.attrs.f("beta", 1.0), alpha = ctx.attrs.f("alpha", 1.0);
  Tensor gi = ctx.needs_input_grad[0] ? (beta == 1.0 ? g[0] : scaled(g[0], beta)) : Tensor();
  Tensor ga, gb;
  if (ctx.needs_input_grad[1]) {
    ga = matmul_impl(g[0], ops::transpose(s[1], 0, 1));
    if (alpha != 1.0) ga = scaled(ga, alpha);
  }
  if (ctx.needs_input_grad[2]) {
    gb = matmul_impl(ops::transpose(s[0], 0, 1), g[0]);
    if (alpha != 1.0) gb = scaled(gb, alpha);
  }
  return {gi, ga, gb};
}

// linear(x, weight, bias): x @ weight^T + bias, x of shape [..., in_features].
TensorList linear_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  const Tensor &x0 = in[0], &w = in[1], &bias = in[2];
  NW_CHECK(w.dim() == 2, "E_SHAPE", "linear: weight must be 2-D [out_features, in_features], got " + shape_str(w.sizes()));
  NW_CHECK(x0.dim() >= 1 && x0.sizes().back() == w.sizes()[1], "E_SHAPE",
           "linear: input " + shape_str(x0.sizes()) + " has " +
               (x0.dim() ? std::to_string(x0.sizes().back()) : std::string("no")) + " features but the weight " +
               shape_str(w.sizes()) + " expects in_features=" + std::to_string(w.sizes()[1]));
  NW_CHECK(x0.dtype() == w.dtype(), "E_DTYPE",
           std::string("linear: input is ") + dtype_name(x0.dtype()) + " but the weight is " + dtype_name(w.dtype()));
  NW_CHECK(!bias.defined() || (bias.dim() == 1 && bias.sizes()[0] == w.sizes()[0]), "E_SHAPE",
           "linear: bias must have shape [" + std::to_string(w.sizes()[0]) + "]");
  DeviceGuard guard(dev(x0));
  Tensor x = x0.contiguous();
  Tensor wc = w.contiguous();
  const int64_t K = w.sizes()[1], N = w.sizes()[0];
  const int64_t M = shape_numel(Shape(x.sizes().begin(), x.sizes().end() - 1));  // rows, also when K == 0
  Shape out_shape = x.sizes();
  out_shape.back() = N;
  Tensor out = empty(out_shape, x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), "linear", [&] {
    using T = scalar_t;
    T beta = 0;
    if (bias.defined()) {
      Tensor bc = to_dtype(bias, x.dtype()).contiguous();
      const T* pb = bc.data<T>();
      T* po = out.data<T>();
      launch(dev(out), M * N, [=] __device__(int64_t i) { po[i] = pb[i % N]; });
      beta = 1;
    }
    gemm<T>(dev(out), false, true, M, N, K, T(1), x.data<T>(), std::max<int64_t>(K, 1), 0, wc.data<T>(),
            std::max<int64_t>(K, 1), 0, beta, out.data<T>(), std::max<int64_t>(N, 1), 0, 1);
  });
  ctx.save({x, wc});
  return {out};
}
TensorList linear_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1];
  DeviceGuard guard(dev(x));
  Tensor go = g[0].contiguous();
  const int64_t K = w.sizes()[1], N = w.sizes()[0];
  const int64_t M = shape_numel(Shape(x.sizes().begin(), x.sizes().end() - 1));
  Tensor gx, gw, gb;
  NW_DISPATCH_FLOAT(x.dtype(), "linear", [&] {
    using T = scalar_t;
    if (go.dtype() != x.dtype()) go = to_dtype(go, x.dtype());
    if (ctx.needs_input_grad[0]) {
      gx = empty(x.sizes(), x.dtype(), x.device());
      gemm<T>(dev(x), false, false, M, K, N, T(1), go.data<T>(), std::max<int64_t>(N, 1), 0, w.data<T>(),
              std::max<int64_t>(K, 1), 0, T(0), gx.data<T>(), std::max<int64_t>(K, 1), 0, 1);
    }
    if (ctx.needs_input_grad[1]) {
      gw = empty(w.sizes(), w.dtype(), w.device());
      gemm<T>(dev(x), true, false, N, K, M, T(1), go.data<T>(), std::max<int64_t>(N, 1), 0, x.data<T>(),
              std::max<int64_t>(K, 1), 0, T(0), gw.data<T>(), std::max<int64_t>(K, 1), 0, 1);
    }
    if (ctx.needs_input_grad.size() > 2 && ctx.needs_input_grad[2]) {
      gb = empty({N}, x.dtype(), x.device());
      sum_rows<T>(dev(x), go.data<T>(), M, N, N, gb.data<T>());
    }
  });
  return {gx, gw, gb};
}

}  // namespace

void register_linalg_ops(OpRegistry& r) {
  r.add(op_matmul, matmul_forward, matmul_backward);
  r.add(op_bmm, bmm_forward, matmul_backward);
  r.add(op_addmm, addmm_forward, addmm_backward);
  r.add(op_linear, linear_forward, linear_backward);
}

}  // namespace nw::cuda
