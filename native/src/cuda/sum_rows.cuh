// Column sums of a row-major matrix on the device (bias gradients): out[j] = sum over i
// of in[i * ld + j]. Deterministic: rows are split in fixed chunks whose partial sums are
// added in order by a second pass.
#pragma once

#include <algorithm>

#include "cuda/common.cuh"

namespace nw::cuda {
namespace {

template <typename T>
__global__ void sum_rows_partial(const T* __restrict__ in, int64_t rows, int64_t cols, int64_t ld, int64_t chunk,
                                 T* __restrict__ out) {
  __shared__ T part[8][33];
  const int64_t j = static_cast<int64_t>(blockIdx.x) * 32 + threadIdx.x;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * chunk;
  const int64_t r1 = std::min(rows, r0 + chunk);
  T acc = T(0);
  if (j < cols)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += 8) acc += in[r * ld + j];
  part[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && j < cols) {
    T s = T(0);
    for (int y = 0; y < 8; ++y) s += part[y][threadIdx.x];
    out[static_cast<int64_t>(blockIdx.y) * cols + j] = s;
  }
}

template <typename T>
__global__ void sum_rows_final(const T* __restrict__ part, int64_t chunks, int64_t cols, T* __restrict__ out) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < cols;
       j += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    T s = T(0);
    for (int64_t c = 0; c < chunks; ++c) s += part[c * cols + j];
    out[j] = s;
  }
}

// out (cols elements, contiguous, on `device`) = column sums of in[rows x cols] with row stride ld.
template <typename T>
void sum_rows(int device, const T* in, int64_t rows, int64_t cols, int64_t ld, T* out) {
  if (cols <= 0) return;
  DeviceGuard guard(device);
  cudaStream_t s = stream(device);
  if (rows <= 0) {
    NW_CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(T) * cols, s));
    return;
  }
  const int64_t col_blocks = (cols + 31) / 32;
  // Enough chunks to spread the rows over the device (~2048 blocks), each of >= 64 rows.
  int64_t chunks = std::max<int64_t>(1, std::min<int64_t>((rows + 63) / 64, 2048 / col_blocks));
  chunks = std::min<int64_t>(chunks, 65535);
  const int64_t chunk = (rows + chunks - 1) / chunks;
  chunks = (rows + chunk - 1) / chunk;
  NW_CHECK(col_blocks <= 0x7fffffff, "E_SHAPE", "column sum: too many columns");
  dim3 block(32, 8), grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(chunks));
  if (chunks == 1) {
    sum_rows_partial<T><<<grid, block, 0, s>>>(in, rows, cols, ld, chunk, out);
    NW_CUDA_LAUNCHED();
    return;
  }
  Tensor part = empty({chunks * cols}, sizeof(T) == 4 ? DType::Float32 : DType::Float64, Device{DeviceType::CUDA, device});
  sum_rows_partial<T><<<grid, block, 0, s>>>(in, rows, cols, ld, chunk, part.data<T>());
  NW_CUDA_LAUNCHED();
  sum_rows_final<T><<<blocks_for(cols), kThreads, 0, s>>>(part.data<T>(), chunks, cols, out);
  NW_CUDA_LAUNCHED();
}

}  // namespace
}  // namespace nw::cuda
