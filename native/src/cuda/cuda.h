// The CUDA backend as the rest of the engine sees it: plain C++ (no CUDA headers),
// so core/, ops/, optim/, plan/ and the binding can call it. Only compiled in when
// NW_WITH_CUDA is defined; every function here runs on the device's compute stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/op.h"

namespace nw::cuda {

// ---- devices ----
int device_count();  // 0 when there is no usable device (no driver, no GPU)
void check_device(const Device& d);  // throws E_DEVICE naming the device and what exists

// ---- memory: a caching allocator per device (no cudaMalloc per op) ----
// alloc throws E_OOM naming the requested size, the device's free memory and what
// the engine's cache holds, after it has released its cache and retried once.
void* alloc(size_t nbytes, int device);
void release(void* p, size_t nbytes, int device);
struct MemoryStats {
  size_t in_use = 0;    // bytes handed out to tensors
  size_t cached = 0;    // bytes held for reuse
  size_t peak = 0;      // high-water mark of in_use
  size_t device_free = 0, device_total = 0;
};
MemoryStats memory_stats(int device);
void empty_cache(int device);

// ---- data movement (all stream-ordered on the device's compute stream) ----
void memset_zero(void* p, size_t nbytes, int device);
void upload(void* dst, const void* host_src, size_t nbytes, int device);    // returns when the copy is done
void download(void* host_dst, const void* src, size_t nbytes, int device);  // waits for queued work first
void fill(const Tensor& t, double value);                                   // t on cuda, any layout
// dst = src (src broadcast to dst's shape), any dtypes; either side may be on the
// CPU or on any cuda device.
void copy(const Tensor& dst, const Tensor& src);
double read_scalar(const Tensor& t, int64_t linear_index);
void synchronize(int device);

// ---- ops ----
// The CUDA implementation of an op-table op (same name, arity and gradient kind),
// or nullptr when the op has none: call_op then reports that the op is not supported
// on cuda, never copying to the CPU behind the user's back.
const OpDef* find_op(const std::string& name);
std::vector<std::string> op_names();

// GEMM on the device (row-major, like the CPU gemm): for each of `batch` problems
// C = alpha * op(A) * op(B) + beta * C with op(X) = X or X^T. cuBLAS when the
// library is found at run time, else the engine's own tiled kernel.
template <typename T>
void gemm(int device, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c, int64_t ldc,
          int64_t stride_c, int64_t batch = 1);
std::string gemm_backend();  // "cublas <version>" or "built-in kernel (cuBLAS not found: ...)"

// a += alpha * b in place (ops::add_ on cuda: gradient accumulation, optimizers); b is
// converted to a's dtype and broadcast to a's shape, a may have any layout.
void add_(const Tensor& a, const Tensor& b, double alpha);

}  // namespace nw::cuda
