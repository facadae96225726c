// Matrix products on CUDA: matmul (NumPy broadcasting, 1-D operands), bmm, addmm and
// linear, forward and backward, with ops/linalg_args.h's rules. Float products go
// through cuda::gemm (cuBLAS or the built-in kernel); integer matmul has its own kernel.
// Strided operands are passed as transposes when one of their last two strides is 1.
#include "core/autograd.h"
#include "cuda/common.cuh"
#include "cuda/sum_rows.cuh"
#include "ops/linalg_args.h"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

using linalg::MatArg;

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

// torch.matmul on the device (ops/linalg_args.h's rules, GEMMs on cuda).
Tensor matmul_impl(const Tensor& a, const Tensor& b) {
  const int device = dev(a);
  DeviceGuard guard(device);
  return linalg::matmul(a, b, [device](bool ta, bool tb, int64_t m, int64_t n, int64_t k, const auto* pa, int64_t lda,
                                       int64_t sa, const auto* pb, int64_t ldb, int64_t sb, auto* pc, int64_t ldc,
                                       int64_t sc, int64_t batch) {
    mm(device, ta, tb, m, n, k, pa, lda, sa, pb, ldb, sb, pc, ldc, sc, batch);
  });
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

// addmm(input, mat1, mat2): beta * input + alpha * mat1 @ mat2
TensorList addmm_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  linalg::check_addmm(in);
  const linalg::AddmmScale sc = linalg::addmm_scale(at);
  ctx.save({in[1], in[2]});
  const Tensor &input = in[0], &m1 = in[1], &m2 = in[2];
  DeviceGuard guard(dev(m1));
  const DType dt = ops::result_type(m1, m2);
  if (is_floating(dt) && input.dtype() == dt && m1.dtype() == dt && m2.dtype() == dt) {
    // One GEMM: out = beta * input (broadcast), then out += alpha * mat1 @ mat2. beta
    // scales input even when 0 (NaN * 0 stays NaN), as the CPU's mul_scalar does.
    const int64_t m = m1.sizes()[0], k = m1.sizes()[1], n = m2.sizes()[1];
    linalg::check_inner(m1, m2, k, m2.sizes()[0]);
    Tensor out = empty({m, n}, dt, m1.device());
    Tensor base = make_view(input, {m, n}, broadcast_strides(input, {m, n}), input.offset());
    NW_DISPATCH_FLOAT(dt, "addmm", [&] {
      using T = scalar_t;
      T* po = out.data<T>();
      const T* pi = base_ptr<const T>(base);
      const Indexer ii = indexer(base);
      const T bt = static_cast<T>(sc.beta);
      const bool scale = sc.beta != 1.0;
      launch(dev(out), out.numel(), [=] __device__(int64_t i) {
        const T v = pi[ii.at(i)];
        po[i] = scale ? v * bt : v;
      });
      Tensor a2 = m1, b2 = m2;
      const MatArg<T> A = linalg::gemm_operand<T>(a2, m, k), B = linalg::gemm_operand<T>(b2, k, n);
      gemm<T>(dev(out), A.trans, B.trans, m, n, k, static_cast<T>(sc.alpha), A.data, A.ld, 0, B.data, B.ld, 0, T(1), po,
              std::max<int64_t>(n, 1), 0, 1);
    });
    return {out};
  }
  // Mixed or integer dtypes: the CPU's composition, op by op.
  return {linalg::addmm_composed<matmul_impl>(in, sc)};
}
TensorList addmm_backward(OpContext& ctx, const TensorList& g) {
  TensorList s = ctx.saved();
  const linalg::AddmmScale sc = linalg::addmm_scale(ctx.attrs);
  Tensor gi = ctx.needs_input_grad[0] ? (sc.beta == 1.0 ? g[0] : scaled(g[0], sc.beta)) : Tensor();
  Tensor ga, gb;
  if (ctx.needs_input_grad[1]) {
    ga = matmul_impl(g[0], ops::transpose(s[1], 0, 1));
    if (sc.alpha != 1.0) ga = scaled(ga, sc.alpha);
  }
  if (ctx.needs_input_grad[2]) {
    gb = matmul_impl(ops::transpose(s[0], 0, 1), g[0]);
    if (sc.alpha != 1.0) gb = scaled(gb, sc.alpha);
  }
  return {gi, ga, gb};
}

// linear(x, weight, bias): x @ weight^T + bias, x of shape [..., in_features], on cuda::gemm.
auto linear_gemm(int device) {
  return [device](bool ta, bool tb, int64_t m, int64_t n, int64_t k, const auto* a, int64_t lda, const auto* b,
                  int64_t ldb, auto beta, auto* c, int64_t ldc) {
    using T = decltype(beta);
    gemm<T>(device, ta, tb, m, n, k, T(1), a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
  };
}
// out[i, :] = row for M rows of N.
template <typename T>
void fill_rows(int device, T* out, const T* row, int64_t M, int64_t N) {
  launch(device, M * N, [=] __device__(int64_t i) { out[i] = row[i % N]; });
}
TensorList linear_forward(OpContext& ctx, const TensorList& in, const Attrs&) {
  const int device = dev(in[0]);
  DeviceGuard guard(device);
  return linalg::linear_forward(ctx, in, linear_gemm(device), [device](auto* out, const auto* row, int64_t M, int64_t N) {
    fill_rows(device, out, row, M, N);
  });
}
TensorList linear_backward(OpContext& ctx, const TensorList& g) {
  const int device = dev(g[0]);
  DeviceGuard guard(device);
  return linalg::linear_backward(ctx, g, linear_gemm(device), [device](const Tensor& g2) {
    const int64_t M = g2.sizes()[0], N = g2.sizes()[1];
    Tensor gb = empty({N}, g2.dtype(), g2.device());
    NW_DISPATCH_FLOAT(g2.dtype(), "linear", [&] { sum_rows<scalar_t>(device, g2.data<scalar_t>(), M, N, N, gb.data<scalar_t>()); });
    return gb;
  });
}

}  // namespace

void register_linalg_ops(OpRegistry& r) {
  r.add(op_matmul, linalg::matmul_forward<matmul_impl>, linalg::matmul_backward<matmul_impl>);
  r.add(op_bmm, linalg::bmm_forward<matmul_impl>, linalg::matmul_backward<matmul_impl>);
  r.add(op_addmm, addmm_forward, addmm_backward);
  r.add(op_linear, linear_forward, linear_backward);
}

}  // namespace nw::cuda
