// Matrix products: matmul (NumPy broadcasting rules), bmm, addmm and linear, on
// the packed GEMM in cpu/gemm.h. Strided operands are passed as transposes when
// one of their last two strides is 1, so transposed views cost no copy.
#include "core/autograd.h"
#include "cpu/gemm.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

// A 2-D matrix as GEMM wants it: data pointer, transpose flag, leading dimension.
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
  if (stride_c == 1 && (stride_r >= std::max<int64_t>(cols, 1) || rows <= 1)) return {base, false, std::max<int64_t>(stride_r, std::max<int64_t>(cols, 1))};
  if (stride_r == 1 && (stride_c >= std::max<int64_t>(rows, 1) || cols <= 1)) return {base, true, std::max<int64_t>(stride_c, std::max<int64_t>(rows, 1))};
  return {nullptr, false, 0};
}

template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
          T beta, T* c, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>) {
    cpu::sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else if constexpr (std::is_same_v<T, double>) {
    cpu::dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    // Integer matmul: plain loops (rare; no BLAS for integers).
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T acc = 0;
        for (int64_t p = 0; p < k; ++p) {
          T av = ta ? a[p * lda + i] : a[i * lda + p];
          T bv = tb ? b[j * ldb + p] : b[p * ldb + j];
          acc = static_cast<T>(acc + av * bv);
        }
        c[i * ldc + j] = static_cast<T>((beta == 0 ? T(0) : static_cast<T>(beta * c[i * ldc + j])) + alpha * acc);
      }
  }
}

// C[batch] = A[batch] @ B[batch] for 3-D operands already broadcast to the same batch.
template <typename T>
void batched_mm(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t batch = out.sizes()[0], m = out.sizes()[1], n = out.sizes()[2], k = a.sizes()[2];
  T* pc = out.data<T>();
  Tensor ac = a, bc = b;
  auto op_a = [&](int64_t i) {
    return as_gemm_operand<T>(ac, m, k, ac.strides()[1], ac.strides()[2], ac.offset() + i * ac.strides()[0]);
  };
  auto op_b = [&](int64_t i) {
    return as_gemm_operand<T>(bc, k, n, bc.strides()[1], bc.strides()[2], bc.offset() + i * bc.strides()[0]);
  };
  if (batch > 0 && !op_a(0).data) ac = a.contiguous();
  if (batch > 0 && !op_b(0).data) bc = b.contiguous();
  for (int64_t i = 0; i < batch; ++i) {
    MatArg<T> A = op_a(i), B = op_b(i);
    gemm<T>(A.trans, B.trans, m, n, k, T(1), A.data, A.ld, B.data, B.ld, T(0), pc + i * m * n, std::max<int64_t>(n, 1));
  }
}

Tensor matmul_impl(const Tensor& a_in, const Tensor& b_in) {
  NW_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "E_SHAPE",
           "matmul: both arguments need at least 1 dimension, got " + shape_str(a_in.sizes()) + " and " + shape_str(b_in.sizes()));
  DType dt = ops::result_type(a_in, b_in);
  NW_CHECK(dt != DType::Bool, "E_DTYPE", "matmul of bool tensors is not supported");
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
        gemm<T>(false, B.trans, nb * m, n, k, T(1), a.data<T>(), std::max<int64_t>(k, 1), B.data, B.ld, T(0), out.data<T>(), std::max<int64_t>(n, 1));
      } else {
        Shape sa = batch, sb = batch;
        sa.push_back(m); sa.push_back(k);
        sb.push_back(k); sb.push_back(n);
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
  if (a_vec && b_vec) return make_view(out, Shape(out_shape.begin(), out_shape.end() - 2), Shape(batch.size(), 0), 0).contiguous();
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
  if (ctx.needs_input_grad[0]) ga = ops::reshape(ops::sum_to(matmul_impl(G, ops::transpose(B, -1, -2)), A.sizes()), a.sizes());
  if (ctx.needs_input_grad[1]) gb = ops::reshape(ops::sum_to(matmul_impl(ops::transpose(A, -1, -2), G), B.sizes()), b.sizes());
  return {ga, gb};
}

TensorList bmm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  NW_CHECK(in[0].dim() == 3 && in[1].dim() == 3 && in[0].sizes()[0] == in[1].sizes()[0], "E_SHAPE",
           "bmm needs two 3-D tensors with the same batch size, got " + shape_str(in[0].sizes()) + " and " + shape_str(in[1].sizes()));
  return matmul_forward(ctx, in, at);
}

// addmm(input, mat1, mat2): beta * input + alpha * mat1 @ mat2
TensorList addmm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  NW_CHECK(in[1].dim() == 2 && in[2].dim() == 2, "E_SHAPE",
           "addmm needs 2-D mat1 and mat2, got " + shape_str(in[1].sizes()) + " and " + shape_str(in[2].sizes()));
  double beta = at.f("beta", 1.0), alpha = at.f("alpha", 1.0);
  ctx.save({in[1], in[2]});
  Tensor prod = matmul_impl(in[1], in[2]);
  if (alpha != 1.0) prod = ops::mul_scalar(prod, alpha);
  Tensor base = beta == 1.0 ? in[0] : ops::mul_scalar(in[0], beta);
  return {ops::add(ops::expand(base, prod.sizes()), prod)};
}
TensorList addmm_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  double beta = ctx.attrs.f("beta", 1.0), alpha = ctx.attrs.f("alpha", 1.0);
  Tensor gi = ctx.needs_input_grad[0] ? (beta == 1.0 ? g[0] : ops::mul_scalar(g[0], beta)) : Tensor();
  Tensor ga = ctx.needs_input_grad[1] ? ops::mul_scalar(matmul_impl(g[0], ops::transpose(s[1], 0, 1)), alpha) : Tensor();
  Tensor gb = ctx.needs_input_grad[2] ? ops::mul_scalar(matmul_impl(ops::transpose(s[0], 0, 1), g[0]), alpha) : Tensor();
  return {gi, ga, gb};
}

// linear(x, weight, bias): x @ weight^T + bias, x of shape [..., in_features].
TensorList linear_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  const Tensor &x0 = in[0], &w = in[1], &bias = in[2];
  NW_CHECK(w.dim() == 2, "E_SHAPE", "linear: weight must be 2-D [out_features, in_features], got " + shape_str(w.sizes()));
  NW_CHECK(x0.dim() >= 1 && x0.sizes().back() == w.sizes()[1], "E_SHAPE",
           "linear: input " + shape_str(x0.sizes()) + " has " + (x0.dim() ? std::to_string(x0.sizes().back()) : std::string("no")) +
               " features but the weight " + shape_str(w.sizes()) + " expects in_features=" + std::to_string(w.sizes()[1]));
  NW_CHECK(x0.dtype() == w.dtype(), "E_DTYPE",
           std::string("linear: input is ") + dtype_name(x0.dtype()) + " but the weight is " + dtype_name(w.dtype()));
  NW_CHECK(!bias.defined() || (bias.dim() == 1 && bias.sizes()[0] == w.sizes()[0]), "E_SHAPE",
           "linear: bias must have shape [" + std::to_string(w.sizes()[0]) + "]");
  Tensor x = x0.contiguous();
  Tensor wc = w.contiguous();
  const int64_t K = w.sizes()[1], N = w.sizes()[0], M = x.numel() / std::max<int64_t>(K, 1);
  Shape out_shape = x.sizes();
  out_shape.back() = N;
  Tensor out = empty(out_shape, x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), "linear", [&] {
    using T = scalar_t;
    T beta = 0;
    if (bias.defined()) {
      Tensor bc = bias.contiguous();
      const T* pb = bc.data<T>();
      T* po = out.data<T>();
      for (int64_t i = 0; i < M; ++i) std::copy(pb, pb + N, po + i * N);
      beta = 1;
    }
    gemm<T>(false, true, M, N, K, T(1), x.data<T>(), std::max<int64_t>(K, 1), wc.data<T>(), std::max<int64_t>(K, 1), beta, out.data<T>(), std::max<int64_t>(N, 1));
  });
  ctx.save({x, wc});
  return {out};
}
TensorList linear_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1];
  Tensor go = g[0].contiguous();
  const int64_t K = w.sizes()[1], N = w.sizes()[0], M = x.numel() / std::max<int64_t>(K, 1);
  Tensor gx, gw, gb;
  NW_DISPATCH_FLOAT(x.dtype(), "linear", [&] {
    using T = scalar_t;
    if (ctx.needs_input_grad[0]) {
      gx = empty(x.sizes(), x.dtype());
      gemm<T>(false, false, M, K, N, T(1), go.data<T>(), std::max<int64_t>(N, 1), w.data<T>(), std::max<int64_t>(K, 1), T(0), gx.data<T>(), std::max<int64_t>(K, 1));
    }
    if (ctx.needs_input_grad[1]) {
      gw = empty(w.sizes(), w.dtype());
      gemm<T>(true, false, N, K, M, T(1), go.data<T>(), std::max<int64_t>(N, 1), x.data<T>(), std::max<int64_t>(K, 1), T(0), gw.data<T>(), std::max<int64_t>(K, 1));
    }
  });
  if (ctx.needs_input_grad.size() > 2 && ctx.needs_input_grad[2]) {
    Tensor g2 = ops::reshape(go, {M, N});
    gb = ops::sum(g2, {0});
  }
  return {gx, gw, gb};
}

}  // namespace

const OpDef op_matmul = {"matmul", 2, GradKind::Differentiable, matmul_forward, matmul_backward, "matrix product with broadcasting (torch.matmul)"};
const OpDef op_bmm = {"bmm", 2, GradKind::Differentiable, bmm_forward, matmul_backward, "batched matrix product of 3-D tensors"};
const OpDef op_addmm = {"addmm", 3, GradKind::Differentiable, addmm_forward, addmm_backward, "beta * input + alpha * mat1 @ mat2"};
const OpDef op_linear = {"linear", 3, GradKind::Differentiable, linear_forward, linear_backward, "x @ weight^T + bias (bias optional)"};

namespace ops {
Tensor matmul(const Tensor& a, const Tensor& b) { return call_op(op_matmul, {a, b})[0]; }
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) { return call_op(op_linear, {x, w, b})[0]; }
}  // namespace ops
}  // namespace nw
