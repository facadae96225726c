// The rules of the matrix products, shared by the CPU ops (linalg.cpp) and the CUDA ones
// (cuda/linalg.cu): argument checks and messages, how strided operands become GEMM
// operands, and torch.matmul's type promotion, 1-D operands and batch broadcasting. Each
// device supplies only its GEMM.
#pragma once

#include <algorithm>
#include <type_traits>

#include "core/op.h"
#include "ops/ops.h"

namespace nw::linalg {

// A 2-D matrix as GEMM wants it: data pointer (host or device), transpose flag, leading dimension.
template <typename T>
struct MatArg {
  const T* data;
  bool trans;
  int64_t ld;
};

// The last two dims of `m` (rows x cols) as a GEMM operand, passed as a transpose when its
// column stride is not 1; null data when neither of the two strides is 1.
template <typename T>
MatArg<T> as_gemm_operand(const Tensor& m, int64_t rows, int64_t cols) {
  const int64_t stride_r = m.strides()[m.dim() - 2], stride_c = m.strides()[m.dim() - 1];
  const T* base = static_cast<const T*>(m.impl()->storage->data) + m.offset();
  if (stride_c == 1 && (stride_r >= std::max<int64_t>(cols, 1) || rows <= 1))
    return {base, false, std::max<int64_t>(stride_r, std::max<int64_t>(cols, 1))};
  if (stride_r == 1 && (stride_c >= std::max<int64_t>(rows, 1) || cols <= 1))
    return {base, true, std::max<int64_t>(stride_c, std::max<int64_t>(rows, 1))};
  return {nullptr, false, 0};
}
// The same, replacing `m` by a contiguous copy when its layout is not a GEMM operand.
template <typename T>
MatArg<T> gemm_operand(Tensor& m, int64_t rows, int64_t cols) {
  MatArg<T> op = as_gemm_operand<T>(m, rows, cols);
  if (!op.data) {
    m = m.contiguous();
    op = as_gemm_operand<T>(m, rows, cols);
  }
  return op;
}

// torch.matmul's operands after promotion: 1-D ones viewed as matrices, the batch dims
// broadcast, and the output shape before the 1-D dims are dropped again.
struct MatmulPlan {
  DType dt = DType::Float32;
  Tensor a, b;  // in dtype dt; a 1-D a is [1, k], a 1-D b is [k, 1]
  bool a_vec = false, b_vec = false;
  int64_t m = 0, k = 0, n = 0, nb = 1;  // nb: number of batch matrices
  Shape batch, out_shape;                // out_shape = batch + [m, n]
  bool folded = false;                   // [..., m, k] @ [k, n] with a contiguous: one GEMM of nb * m rows
};
MatmulPlan matmul_plan(const Tensor& a_in, const Tensor& b_in);
// `t` (the plan's a or b, a rows x cols matrix per batch) broadcast to the batch and
// viewed as [nb, rows, cols]; a copy when its batch strides do not merge into one.
Tensor matmul_batch_view(const MatmulPlan& p, const Tensor& t, int64_t rows, int64_t cols);
// The output [batch..., m, n] with the dims of 1-D operands dropped.
Tensor matmul_result(const MatmulPlan& p, const Tensor& out);
// E_SHAPE unless op(a) is [.., k] and op(b) is [k2, ..] with k == k2.
void check_inner(const Tensor& a, const Tensor& b, int64_t k, int64_t k2);

// torch.matmul with the device's GEMM: gemm(ta, tb, m, n, k, a, lda, stride_a, b, ldb,
// stride_b, c, ldc, stride_c, batch) computes C = op(A) @ op(B) for `batch` matrices
// `stride_*` elements apart, for any non-bool element type (a generic callable).
template <typename Gemm>
Tensor matmul(const Tensor& a_in, const Tensor& b_in, Gemm gemm) {
  const MatmulPlan p = matmul_plan(a_in, b_in);
  const int64_t m = p.m, k = p.k, n = p.n;
  Tensor out = empty(p.out_shape, p.dt, p.a.device());
  NW_DISPATCH_ALL(p.dt, [&] {
    using T = scalar_t;
    if constexpr (!std::is_same_v<T, bool>) {
      if (p.folded) {
        Tensor b2 = p.b;
        const MatArg<T> B = gemm_operand<T>(b2, k, n);
        gemm(false, B.trans, p.nb * m, n, k, p.a.data<T>(), std::max<int64_t>(k, 1), int64_t(0), B.data, B.ld,
             int64_t(0), out.data<T>(), std::max<int64_t>(n, 1), int64_t(0), int64_t(1));
      } else if (p.nb > 0) {
        Tensor a3 = matmul_batch_view(p, p.a, m, k), b3 = matmul_batch_view(p, p.b, k, n);
        const MatArg<T> A = gemm_operand<T>(a3, m, k), B = gemm_operand<T>(b3, k, n);
        gemm(A.trans, B.trans, m, n, k, A.data, A.ld, a3.strides()[0], B.data, B.ld, b3.strides()[0], out.data<T>(),
             std::max<int64_t>(n, 1), m * n, p.nb);
      }
    }
  });
  return matmul_result(p, out);
}

// Argument checks of bmm (two 3-D tensors, one batch size), addmm (2-D mat1 and mat2) and
// linear (x [..., in_features], weight [out_features, in_features], bias [out_features]).
void check_bmm(const TensorList& in);
void check_addmm(const TensorList& in);
void check_linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
// addmm's beta (scales input) and alpha (scales mat1 @ mat2), both 1 by default.
struct AddmmScale {
  double beta = 1.0, alpha = 1.0;
};
AddmmScale addmm_scale(const Attrs& at);
// Rows of linear's input: the product of every dim but the last (also when in_features is 0).
int64_t linear_rows(const Tensor& x);
// linear's operands after the checks: x, the weight and the bias (in x's dtype)
// contiguous, x as M rows of K features, N out features, and the output [..., N]
// allocated (not filled) on x's device.
struct LinearArgs {
  Tensor x, w, bias, out;
  int64_t M = 0, K = 0, N = 0;
};
LinearArgs linear_args(const TensorList& in);

// linear (x @ weight^T + bias) with a device's generic callables:
// gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc): C = op(A) @ op(B) + beta * C;
// fill_rows(out, row, M, N): out[i, :] = row for M rows of N;
// column_sums(g [M, N] contiguous) -> [N] (the bias gradient).
template <typename Gemm, typename FillRows>
TensorList linear_forward(OpContext& ctx, const TensorList& in, Gemm gemm, FillRows fill_rows) {
  const LinearArgs a = linear_args(in);
  NW_DISPATCH_FLOAT(a.x.dtype(), "linear", [&] {
    using T = scalar_t;
    if (a.bias.defined()) fill_rows(a.out.data<T>(), a.bias.data<T>(), a.M, a.N);
    gemm(false, true, a.M, a.N, a.K, a.x.data<T>(), std::max<int64_t>(a.K, 1), a.w.data<T>(), std::max<int64_t>(a.K, 1),
         a.bias.defined() ? T(1) : T(0), a.out.data<T>(), std::max<int64_t>(a.N, 1));
  });
  ctx.save({a.x, a.w});
  return {a.out};
}
template <typename Gemm, typename ColumnSums>
TensorList linear_backward(OpContext& ctx, const TensorList& g, Gemm gemm, ColumnSums column_sums) {
  const TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1];
  const int64_t K = w.sizes()[1], N = w.sizes()[0], M = linear_rows(x);
  Tensor go = g[0].contiguous();
  if (go.dtype() != x.dtype()) go = to_dtype(go, x.dtype());
  Tensor gx, gw, gb;
  NW_DISPATCH_FLOAT(x.dtype(), "linear", [&] {
    using T = scalar_t;
    if (ctx.needs_input_grad[0]) {
      gx = empty(x.sizes(), x.dtype(), x.device());
      gemm(false, false, M, K, N, go.data<T>(), std::max<int64_t>(N, 1), w.data<T>(), std::max<int64_t>(K, 1), T(0),
           gx.data<T>(), std::max<int64_t>(K, 1));
    }
    if (ctx.needs_input_grad[1]) {
      gw = empty(w.sizes(), w.dtype(), w.device());
      gemm(true, false, N, K, M, go.data<T>(), std::max<int64_t>(N, 1), x.data<T>(), std::max<int64_t>(K, 1), T(0),
           gw.data<T>(), std::max<int64_t>(K, 1));
    }
  });
  if (ctx.needs_input_grad.size() > 2 && ctx.needs_input_grad[2]) gb = column_sums(ops::reshape(go, {M, N}));
  return {gx, gw, gb};
}

// ---- op functions over a device's product: Matmul(a, b) is torch.matmul (matmul above
// bound to the device's GEMM) ----
template <auto Matmul>
TensorList matmul_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  ctx.save({in[0], in[1]});
  return {Matmul(in[0], in[1])};
}
template <auto Matmul>
TensorList matmul_backward(OpContext& ctx, const TensorList& g) {
  const TensorList s = ctx.saved();
  const Tensor &a = s[0], &b = s[1];
  const Tensor A = a.dim() == 1 ? ops::unsqueeze(a, 0) : a;
  const Tensor B = b.dim() == 1 ? ops::unsqueeze(b, 1) : b;
  Tensor G = g[0];
  if (a.dim() == 1 && b.dim() == 1) {
    G = ops::reshape(g[0], {1, 1});  // vector . vector: the gradient is 0-d
  } else {
    if (a.dim() == 1) G = ops::unsqueeze(G, -2);  // [..., n] -> [..., 1, n]
    if (b.dim() == 1) G = ops::unsqueeze(G, -1);  // [..., m] -> [..., m, 1]
  }
  // Summed back over broadcast batch dims (no sum when nothing was broadcast).
  auto sum_to = [](const Tensor& t, const Shape& shape) { return t.sizes() == shape ? t : ops::sum_to(t, shape); };
  Tensor ga, gb;
  if (ctx.needs_input_grad[0]) ga = ops::reshape(sum_to(Matmul(G, ops::transpose(B, -1, -2)), A.sizes()), a.sizes());
  if (ctx.needs_input_grad[1]) gb = ops::reshape(sum_to(Matmul(ops::transpose(A, -1, -2), G), B.sizes()), b.sizes());
  return {ga, gb};
}
template <auto Matmul>
TensorList bmm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  check_bmm(in);
  return matmul_forward<Matmul>(ctx, in, at);
}
// addmm op by op: beta * input + alpha * mat1 @ mat2, the input broadcast to the product.
template <auto Matmul>
Tensor addmm_composed(const TensorList& in, const AddmmScale& sc) {
  Tensor prod = Matmul(in[1], in[2]);
  if (sc.alpha != 1.0) prod = ops::mul_scalar(prod, sc.alpha);
  Tensor base = sc.beta == 1.0 ? in[0] : ops::mul_scalar(in[0], sc.beta);
  return ops::add(ops::expand(base, prod.sizes()), prod);
}

}  // namespace nw::linalg
