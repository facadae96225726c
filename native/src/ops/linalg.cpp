// Matrix products: matmul (NumPy broadcasting rules), bmm, addmm and linear, on
// the packed GEMM in cpu/gemm.h. Strided operands are passed as transposes when
// one of their last two strides is 1, so transposed views cost no copy.
#include "core/autograd.h"
#include "cpu/gemm.h"
#include "kernels.h"
#include "linalg_args.h"
#include "ops.h"

namespace nw {

namespace linalg {

void check_inner(const Tensor& a, const Tensor& b, int64_t k, int64_t k2) {
  NW_CHECK(k == k2, "E_SHAPE",
           "matmul: shapes " + shape_str(a.sizes()) + " and " + shape_str(b.sizes()) + " cannot be multiplied (" +
               std::to_string(k) + " != " + std::to_string(k2) + ")");
}

MatmulPlan matmul_plan(const Tensor& a_in, const Tensor& b_in) {
  NW_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "E_SHAPE",
           "matmul: both arguments need at least 1 dimension, got " + shape_str(a_in.sizes()) + " and " + shape_str(b_in.sizes()));
  MatmulPlan p;
  p.dt = ops::result_type(a_in, b_in);
  NW_CHECK(p.dt != DType::Bool, "E_DTYPE", "matmul of bool tensors is not supported");
  Tensor a = a_in.dtype() == p.dt ? a_in : to_dtype(a_in, p.dt);
  Tensor b = b_in.dtype() == p.dt ? b_in : to_dtype(b_in, p.dt);
  p.a_vec = a.dim() == 1;
  p.b_vec = b.dim() == 1;
  if (p.a_vec) a = make_view(a, {1, a.sizes()[0]}, {0, a.strides()[0]}, a.offset());
  if (p.b_vec) b = make_view(b, {b.sizes()[0], 1}, {b.strides()[0], 0}, b.offset());
  p.m = a.sizes()[a.dim() - 2];
  p.k = a.sizes()[a.dim() - 1];
  p.n = b.sizes()[b.dim() - 1];
  check_inner(a_in, b_in, p.k, b.sizes()[b.dim() - 2]);
  Shape ba(a.sizes().begin(), a.sizes().end() - 2), bb(b.sizes().begin(), b.sizes().end() - 2);
  p.batch = broadcast_shapes(ba, bb);
  p.nb = shape_numel(p.batch);
  p.out_shape = p.batch;
  p.out_shape.push_back(p.m);
  p.out_shape.push_back(p.n);
  p.folded = bb.empty() && a.is_contiguous();
  p.a = a;
  p.b = b;
  return p;
}

Tensor matmul_batch_view(const MatmulPlan& p, const Tensor& t, int64_t rows, int64_t cols) {
  Shape full = p.batch;
  full.push_back(rows);
  full.push_back(cols);
  const Tensor expanded = make_view(t, full, broadcast_strides(t, full), t.offset());
  // Collapse batch dims into one (copy when the batch strides do not merge).
  // NOTE: size-1 batch dims carry any stride (0 after broadcasting): skip them.
  auto batch_stride = [&](const Tensor& v, int64_t* stride) {
    int64_t prev = -1;
    *stride = 0;
    for (size_t i = 0; i < p.batch.size(); ++i) {
      if (p.batch[i] == 1) continue;
      if (prev >= 0 && v.strides()[prev] != v.strides()[i] * p.batch[i]) return false;
      prev = static_cast<int64_t>(i);
      *stride = v.strides()[i];
    }
    return true;
  };
  Tensor v = expanded;
  int64_t bs = 0;
  if (!batch_stride(v, &bs)) {
    v = expanded.contiguous();
    batch_stride(v, &bs);
  }
  return make_view(v, {p.nb, rows, cols}, {bs, v.strides()[v.dim() - 2], v.strides()[v.dim() - 1]}, v.offset());
}

Tensor matmul_result(const MatmulPlan& p, const Tensor& out) {
  const Shape& os = p.out_shape;
  if (p.a_vec && p.b_vec) return make_view(out, Shape(os.begin(), os.end() - 2), Shape(p.batch.size(), 0), 0).contiguous();
  if (p.a_vec) {
    Shape s(os.begin(), os.end() - 2);
    s.push_back(p.n);
    return ops::reshape(out, s);
  }
  if (p.b_vec) return ops::reshape(out, Shape(os.begin(), os.end() - 1));
  return out;
}

void check_bmm(const TensorList& in) {
  NW_CHECK(in[0].dim() == 3 && in[1].dim() == 3 && in[0].sizes()[0] == in[1].sizes()[0], "E_SHAPE",
           "bmm needs two 3-D tensors with the same batch size, got " + shape_str(in[0].sizes()) + " and " + shape_str(in[1].sizes()));
}

void check_addmm(const TensorList& in) {
  NW_CHECK(in[1].dim() == 2 && in[2].dim() == 2, "E_SHAPE",
           "addmm needs 2-D mat1 and mat2, got " + shape_str(in[1].sizes()) + " and " + shape_str(in[2].sizes()));
}

AddmmScale addmm_scale(const Attrs& at) { return {at.f("beta", 1.0), at.f("alpha", 1.0)}; }

void check_linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
  NW_CHECK(w.dim() == 2, "E_SHAPE", "linear: weight must be 2-D [out_features, in_features], got " + shape_str(w.sizes()));
  NW_CHECK(x.dim() >= 1 && x.sizes().back() == w.sizes()[1], "E_SHAPE",
           "linear: input " + shape_str(x.sizes()) + " has " + (x.dim() ? std::to_string(x.sizes().back()) : std::string("no")) +
               " features but the weight " + shape_str(w.sizes()) + " expects in_features=" + std::to_string(w.sizes()[1]));
  NW_CHECK(x.dtype() == w.dtype(), "E_DTYPE",
           std::string("linear: input is ") + dtype_name(x.dtype()) + " but the weight is " + dtype_name(w.dtype()));
  NW_CHECK(!bias.defined() || (bias.dim() == 1 && bias.sizes()[0] == w.sizes()[0]), "E_SHAPE",
           "linear: bias must have shape [" + std::to_string(w.sizes()[0]) + "]");
}

int64_t linear_rows(const Tensor& x) { return shape_numel(Shape(x.sizes().begin(), x.sizes().end() - 1)); }

LinearArgs linear_args(const TensorList& in) {
  check_linear(in[0], in[1], in[2]);
  LinearArgs a;
  a.x = in[0].contiguous();
  a.w = in[1].contiguous();
  if (in[2].defined()) a.bias = (in[2].dtype() == a.x.dtype() ? in[2] : to_dtype(in[2], a.x.dtype())).contiguous();
  a.K = a.w.sizes()[1];
  a.N = a.w.sizes()[0];
  a.M = linear_rows(a.x);
  Shape out_shape = a.x.sizes();
  out_shape.back() = a.N;
  a.out = empty(out_shape, a.x.dtype(), a.x.device());
  return a;
}

}  // namespace linalg

namespace {

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

// torch.matmul with the CPU GEMM, one call per batch matrix.
Tensor matmul_impl(const Tensor& a, const Tensor& b) {
  return linalg::matmul(a, b, [](bool ta, bool tb, int64_t m, int64_t n, int64_t k, const auto* pa, int64_t lda, int64_t sa,
                                 const auto* pb, int64_t ldb, int64_t sb, auto* pc, int64_t ldc, int64_t sc, int64_t batch) {
    using T = std::remove_pointer_t<decltype(pc)>;
    for (int64_t i = 0; i < batch; ++i) gemm<T>(ta, tb, m, n, k, T(1), pa + i * sa, lda, pb + i * sb, ldb, T(0), pc + i * sc, ldc);
  });
}

// addmm(input, mat1, mat2): beta * input + alpha * mat1 @ mat2
TensorList addmm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  linalg::check_addmm(in);
  const linalg::AddmmScale sc = linalg::addmm_scale(at);
  ctx.save({in[1], in[2]});
  return {linalg::addmm_composed<matmul_impl>(in, sc)};
}
TensorList addmm_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  const linalg::AddmmScale sc = linalg::addmm_scale(ctx.attrs);
  Tensor gi = ctx.needs_input_grad[0] ? (sc.beta == 1.0 ? g[0] : ops::mul_scalar(g[0], sc.beta)) : Tensor();
  Tensor ga = ctx.needs_input_grad[1] ? ops::mul_scalar(matmul_impl(g[0], ops::transpose(s[1], 0, 1)), sc.alpha) : Tensor();
  Tensor gb = ctx.needs_input_grad[2] ? ops::mul_scalar(matmul_impl(ops::transpose(s[0], 0, 1), g[0]), sc.alpha) : Tensor();
  return {gi, ga, gb};
}

// linear(x, weight, bias): x @ weight^T + bias, x of shape [..., in_features], on the CPU GEMM.
const auto linear_gemm = [](bool ta, bool tb, int64_t m, int64_t n, int64_t k, const auto* a, int64_t lda, const auto* b,
                            int64_t ldb, auto beta, auto* c, int64_t ldc) {
  gemm(ta, tb, m, n, k, decltype(beta)(1), a, lda, b, ldb, beta, c, ldc);
};
TensorList linear_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  return linalg::linear_forward(ctx, in, linear_gemm, [](auto* out, const auto* row, int64_t M, int64_t N) {
    for (int64_t i = 0; i < M; ++i) std::copy(row, row + N, out + i * N);
  });
}
TensorList linear_backward(OpContext& ctx, const TensorList& g) {
  return linalg::linear_backward(ctx, g, linear_gemm, [](const Tensor& g2) { return ops::sum(g2, {0}); });
}
}  // namespace

const OpDef op_matmul = {"matmul", 2, GradKind::Differentiable, linalg::matmul_forward<matmul_impl>, linalg::matmul_backward<matmul_impl>, "matrix product with broadcasting (torch.matmul)"};
const OpDef op_bmm = {"bmm", 2, GradKind::Differentiable, linalg::bmm_forward<matmul_impl>, linalg::matmul_backward<matmul_impl>, "batched matrix product of 3-D tensors"};
const OpDef op_addmm = {"addmm", 3, GradKind::Differentiable, addmm_forward, addmm_backward, "beta * input + alpha * mat1 @ mat2"};
const OpDef op_linear = {"linear", 3, GradKind::Differentiable, linear_forward, linear_backward, "x @ weight^T + bias (bias optional)"};

namespace ops {
Tensor matmul(const Tensor& a, const Tensor& b) { return call_op(op_matmul, {a, b})[0]; }
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) { return call_op(op_linear, {x, w, b})[0]; }
}  // namespace ops
}  // namespace nw
