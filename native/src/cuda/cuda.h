// The CUDA backend as the rest of the engine sees it: plain C++ (no CUDA headers),
// so core/, ops/, optim/, plan/ and the binding can call it. Only compiled in when
// NW_WITH_CUDA is defined; every function here runs on the device's compute stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/op.h"
#include "optim/update_rules.h"

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

// ---- the copy stream (cuda/runtime.cu) ----
// Blocks written by the device's copy stream (uploads that overlap compute) are marked
// here after the copy is queued; the caching allocator does not hand such a block out
// again, once it is released, until that copy has finished.
void record_copy_use(void* block, int device);

// ---- training: optimizer updates, norms, checks (cuda/optim.cu) ----
// One fused kernel per parameter, each element updated by optim/update_rules.h (the CPU
// loops' own rules). p, g and the state arrays are contiguous device arrays of n
// elements; a null state pointer means that state is not used.
template <typename T>
void sgd_update(int device, T* p, const T* g, T* buf, int64_t n, optim::SgdStep<T> a);
template <typename T>
void adam_update(int device, T* p, const T* g, T* m, T* v, T* vmax, int64_t n, optim::AdamStep<T> a);
template <typename T>
void rmsprop_update(int device, T* p, const T* g, T* sq, T* ga, T* buf, int64_t n, optim::RmspropStep<T> a);

// Per tensor (all on one cuda device, float32/float64, any strides), read back with one
// synchronisation: sum of |x|^p accumulated in double (p == 1 and p == 2 exactly as |x|
// and x*x), or with p = inf the max of |x| (NaN ignored, as the CPU's std::max does).
std::vector<double> abs_pow_sums(const std::vector<Tensor>& ts, double p);
// Per pair: sum of (a - b)^2, the difference in the tensors' dtype, squares summed in double.
std::vector<double> squared_distances(const std::vector<Tensor>& a, const std::vector<Tensor>& b);
// Index of the first tensor that holds a NaN or an infinity, or -1 (one synchronisation).
int64_t first_nonfinite(const std::vector<Tensor>& ts);
// In place on a contiguous float tensor: t[i] = T(t[i] * factor) (clip_grad_norm_).
void scale_(const Tensor& t, double factor);
// In place on a contiguous float tensor: t[i] = min(hi, max(lo, t[i])) as std::min/std::max
// order it (a NaN becomes lo, like the CPU loop; clip_grad_value_).
void clamp_(const Tensor& t, double lo, double hi);
// Rows of logits [N, C] whose argmax (first NaN, else first maximum, as argmax) equals
// target [N] (int64); one synchronisation.
int64_t count_argmax_equal(const Tensor& logits, const Tensor& target);

// ---- overlapping uploads (cuda/staging.cu) ----
// Double-buffered uploads of host batches on the device's copy stream through pinned
// staging buffers, so the next batch's copy runs while the current step computes.
// stage() may run on one thread while take()/done() run on a step's worker thread.
class Uploader {
 public:
  explicit Uploader(int device);
  ~Uploader();
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;
  // Queues copies of `host` (CPU tensors) to the device and returns at once. A batch
  // staged earlier and not taken is replaced.
  void stage(const TensorList& host);
  // The device copies of `host` when it is the batch last staged (the same tensor
  // objects, not written since), ordering the compute stream after the copy; else an
  // empty list (the caller uploads itself).
  TensorList take(const TensorList& host);
  // Call once the work that reads the taken tensors is queued on the compute stream:
  // their buffers are refilled only after the compute stream has passed this point.
  void done();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace nw::cuda
