// GEMM on the device: the engine's own tiled kernel (used when cuBLAS is absent).
// Row-major like the CPU gemm: C = alpha * op(A) op(B) + beta * C, batched by strides.
#include "cuda/common.cuh"

namespace nw::cuda {
namespace {

constexpr int kTile = 32;

template <typename T>
__global__ void gemm_tiled(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                           int64_t sa, const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc) {
  __shared__ T as[kTile][kTile + 1];
  __shared__ T bs[kTile][kTile + 1];
  const int64_t batch = blockIdx.z;
  a += batch * sa;
  b += batch * sb;
  c += batch * sc;
  const int64_t row = blockIdx.y * kTile + threadIdx.y;
  const int64_t col = blockIdx.x * kTile + threadIdx.x;
  T acc = T(0);
  for (int64_t k0 = 0; k0 < k; k0 += kTile) {
    const int64_t ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    // A(row, ka) and B(kb, col), each stored transposed or not.
    as[threadIdx.y][threadIdx.x] = (row < m && ka < k) ? (ta ? a[ka * lda + row] : a[row * lda + ka]) : T(0);
    bs[threadIdx.y][threadIdx.x] = (kb < k && col < n) ? (tb ? b[col * ldb + kb] : b[kb * ldb + col]) : T(0);
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kTile; ++kk) acc += as[threadIdx.y][kk] * bs[kk][threadIdx.x];
    __syncthreads();
  }
  if (row < m && col < n) {
    T* p = c + row * ldc + col;
    *p = beta == T(0) ? alpha * acc : alpha * acc + beta * *p;  // beta 0 ignores NaN in C, as BLAS does
  }
}

}  // namespace

template <typename T>
void gemm(int device, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c, int64_t ldc, int64_t stride_c,
          int64_t batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  NW_CHECK(batch <= 65535, "E_SHAPE", "CUDA gemm: batch of " + std::to_string(batch) + " is over 65535");
  DeviceGuard guard(device);
  dim3 block(kTile, kTile);
  dim3 grid(static_cast<unsigned>((n + kTile - 1) / kTile), static_cast<unsigned>((m + kTile - 1) / kTile),
            static_cast<unsigned>(batch));
  gemm_tiled<T><<<grid, block, 0, stream(device)>>>(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb,
                                                    stride_b, beta, c, ldc, stride_c);
  NW_CUDA_LAUNCHED();
}

template void gemm<float>(int, bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                          const float*, int64_t, int64_t, float, float*, int64_t, int64_t, int64_t);
template void gemm<double>(int, bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                           const double*, int64_t, int64_t, double, double*, int64_t, int64_t, int64_t);

std::string gemm_backend() { return "built-in tiled kernel"; }

}  // namespace nw::cuda
