// Shared pieces of the CUDA kernels: error checks, the per-device compute stream,
// launch helpers, a strided/broadcast indexer, elementwise maps and block reductions.
#pragma once

#include <cuda_runtime.h>

#include <array>
#include <cstdint>
#include <string>

#include "core/iter.h"
#include "core/op.h"
#include "cuda/cuda.h"

namespace nw::cuda {

// Throws nw::Error("E_CUDA", ...) naming the failed call and CUDA's message.
void check(cudaError_t err, const char* what);
#define NW_CUDA_CHECK(expr) ::nw::cuda::check((expr), #expr)
// After a kernel launch: reports launch-configuration errors at once.
#define NW_CUDA_LAUNCHED() ::nw::cuda::check(cudaGetLastError(), "kernel launch")

// Makes `device` current for the scope (restores the previous one).
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = 0;
  bool changed_ = false;
};

// The compute stream of a device: every kernel and copy of the engine is ordered on it,
// so the caching allocator can reuse a freed block at once.
cudaStream_t stream(int device);
inline cudaStream_t stream_of(const Tensor& t) { return stream(t.device().index); }
// A second stream per device for uploads that overlap compute (cuda/staging.cu). A block
// it writes must be marked with record_copy_use (cuda.h) after the copy is queued, and
// the compute stream must wait for the copy (an event) before reading the block.
cudaStream_t copy_stream(int device);
inline int dev(const Tensor& t) { return t.device().index; }
// Number of multiprocessors of a device (sizes the grids of GEMM and reduction kernels).
int sm_count(int device);

constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  return static_cast<unsigned>(b > 65535LL * 16 ? 65535LL * 16 : b);  // grid-stride loops cover the rest
}

// Inside a kernel: a grid-stride loop of int64_t `i` over [0, n).
#define NW_GRID_LOOP(i, n)                                                                 \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// Grid-stride loop over [0, n): f(i) on the device.
template <typename F>
__global__ void for_each_kernel(int64_t n, F f) {
  NW_GRID_LOOP(i, n) f(i);
}
template <typename F>
void launch(int device, int64_t n, F f) {
  if (n <= 0) return;
  for_each_kernel<<<blocks_for(n), kThreads, 0, stream(device)>>>(n, f);
  NW_CUDA_LAUNCHED();
}
// kernel(n, args...) on `st` for a kernel whose NW_GRID_LOOP covers [0, n); nothing when n <= 0.
template <typename... Params, typename... Args>
void launch_kernel(void (*kernel)(int64_t, Params...), int64_t n, cudaStream_t st, const Args&... args) {
  if (n <= 0) return;
  kernel<<<blocks_for(n), kThreads, 0, st>>>(n, args...);
  NW_CUDA_LAUNCHED();
}

// Flat index i over [planes, H, W] as (plane p, row h, column w).
struct PlaneIndex {
  int64_t p, h, w;
};
__device__ inline PlaneIndex plane_index(int64_t i, int64_t H, int64_t W) {
  const int64_t t = i / W;
  return {t / H, t % H, i % W};
}

// Element offset of logical (row-major) index i of a strided tensor broadcast to a shape.
struct Indexer {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  int64_t offset = 0;
  bool contiguous = true;  // offset(i) == offset + i
  __host__ __device__ int64_t at(int64_t i) const {
    if (contiguous) return offset + i;
    int64_t off = offset;
    for (int d = ndim - 1; d >= 0; --d) {
      int64_t s = sizes[d];
      off += (i % s) * strides[d];
      i /= s;
    }
    return off;
  }
};
// An Indexer over explicit (size, stride) dims in row-major order: size-1 dims are
// dropped, adjacent dims that step evenly are merged, and leading broadcast (stride 0)
// dims are dropped, so at() does as few divisions as the layout allows.
inline Indexer make_indexer(const int64_t* sizes, const int64_t* strides, int ndim, int64_t offset) {
  NW_CHECK(ndim >= 0 && ndim <= kMaxDims, "E_SHAPE",
           "tensors have at most " + std::to_string(kMaxDims) + " dimensions, got " + std::to_string(ndim));
  int64_t sz[kMaxDims] = {}, st[kMaxDims] = {};
  int n = 0;
  for (int d = 0; d < ndim && d < kMaxDims; ++d) {
    if (sizes[d] == 1) continue;
    if (n > 0 && st[n - 1] == strides[d] * sizes[d]) {
      sz[n - 1] *= sizes[d];
      st[n - 1] = strides[d];
      continue;
    }
    sz[n] = sizes[d];
    st[n] = strides[d];
    ++n;
  }
  int first = 0;
  while (first < n && st[first] == 0) ++first;
  Indexer ix;
  ix.ndim = n - first;
  ix.offset = offset;
  for (int d = 0; d < ix.ndim && first + d < kMaxDims; ++d) {
    ix.sizes[d] = sz[first + d];
    ix.strides[d] = st[first + d];
  }
  // A 0-dim indexer is a broadcast scalar (or a one-element tensor): at(i) == offset.
  // Contiguous (at(i) == offset + i) only when no broadcast dim was dropped.
  ix.contiguous = first == 0 && ix.ndim == 1 && ix.strides[0] == 1;
  return ix;
}

// Indexer for `t` read as shape `shape` (broadcast); defaults to t's own shape.
inline Indexer indexer(const Tensor& t, const Shape& shape) {
  Shape st = broadcast_strides(t, shape);
  return make_indexer(shape.data(), st.data(), static_cast<int>(shape.size()), t.offset());
}
inline Indexer indexer(const Tensor& t) { return indexer(t, t.sizes()); }

template <typename T>
inline T* base_ptr(const Tensor& t) {  // storage start: index with Indexer::at (it adds the offset)
  return static_cast<T*>(t.impl()->storage->data);
}

// out[i] = f(in[i]) / f(a[i], b[i]) / f(a[i], b[i], c[i]), operands broadcast to out's
// shape; out is a fresh contiguous tensor on the same device.
template <typename Tin, typename Tout, typename F>
void map1(const Tensor& out, const Tensor& in, F f) {
  Tout* o = out.data<Tout>();
  const Tin* pi = base_ptr<const Tin>(in);
  Indexer ii = indexer(in, out.sizes());
  launch(dev(out), out.numel(), [=] __device__(int64_t i) { o[i] = f(pi[ii.at(i)]); });
}
template <typename Ta, typename Tb, typename Tout, typename F>
void map2(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  Tout* o = out.data<Tout>();
  const Ta* pa = base_ptr<const Ta>(a);
  const Tb* pb = base_ptr<const Tb>(b);
  Indexer ia = indexer(a, out.sizes()), ib = indexer(b, out.sizes());
  launch(dev(out), out.numel(), [=] __device__(int64_t i) { o[i] = f(pa[ia.at(i)], pb[ib.at(i)]); });
}
template <typename Ta, typename Tb, typename Tc, typename Tout, typename F>
void map3(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
  Tout* o = out.data<Tout>();
  const Ta* pa = base_ptr<const Ta>(a);
  const Tb* pb = base_ptr<const Tb>(b);
  const Tc* pc = base_ptr<const Tc>(c);
  Indexer ia = indexer(a, out.sizes()), ib = indexer(b, out.sizes()), ic = indexer(c, out.sizes());
  launch(dev(out), out.numel(), [=] __device__(int64_t i) { o[i] = f(pa[ia.at(i)], pb[ib.at(i)], pc[ic.at(i)]); });
}

// map1/map2/map3 as a policy type, for the rules shared with the CPU ops (ops/*_args.h).
struct Maps {
  template <typename... T, typename... A> static void map1(const A&... a) { cuda::map1<T...>(a...); }
  template <typename... T, typename... A> static void map2(const A&... a) { cuda::map2<T...>(a...); }
  template <typename... T, typename... A> static void map3(const A&... a) { cuda::map3<T...>(a...); }
};

// Sum of `v` over the block (every thread gets the result). blockDim.x must be a
// multiple of 32 and at most 1024.
template <typename T>
__device__ T block_sum(T v) {
  __shared__ T partial[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  T total = T(0);
  for (int w = 0; w < warps; ++w) total += partial[w];
  return total;
}
template <typename T>
__device__ T block_max(T v) {
  __shared__ T partial[32];
  for (int o = 16; o > 0; o >>= 1) {
    T other = __shfl_down_sync(0xffffffffu, v, o);
    v = other > v ? other : v;
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  T m = partial[0];
  for (int w = 1; w < warps; ++w) m = partial[w] > m ? partial[w] : m;
  return m;
}

// Registration of the CUDA op implementations, one function per op family
// (defined in the family's .cu file, called from registry.cu).
class OpRegistry {
 public:
  // Registers the CUDA version of `cpu_def` (same name, arity and gradient kind).
  // `backward` may be the CPU def's own backward when that rule is written with
  // ops:: calls only (it then runs on cuda through the dispatcher).
  void add(const OpDef& cpu_def, ForwardFn forward, BackwardFn backward);
};

}  // namespace nw::cuda
