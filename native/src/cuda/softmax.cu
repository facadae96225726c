// softmax and log_softmax over any dim on CUDA, forward and backward, with the shape
// rules of ops/softmax_args.h and the CPU's numerics (ops/softmax.cpp): max-subtracted,
// NaN-ignoring max, all -inf rows shift by 0, the row sum accumulated in double. NOTE:
// exp runs in the element type (expf for float32, a few ulp from the CPU's double exp;
// FP64 is slow on most GPUs). Each row (the elements along `dim`) is handled by a warp
// (rows up to 1024 long), a block (longer rows) or one thread (short rows, and strided
// rows when there are many of them: neighbouring threads then read neighbouring elements).
#include <cmath>

#include "cuda/math.cuh"
#include "ops/ops.h"
#include "ops/softmax_args.h"

namespace nw::cuda {
namespace {

// A group of threads that handles one row at a time.
struct WarpGroup {
  __device__ static int rank() { return threadIdx.x & 31; }
  __device__ static int size() { return 32; }
  __device__ static int64_t first() { return static_cast<int64_t>(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5); }
  __device__ static int64_t step() { return static_cast<int64_t>(gridDim.x) * (blockDim.x >> 5); }
  template <typename V> __device__ static V sum(V v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
  }
  template <typename V> __device__ static V max(V v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      V other = __shfl_xor_sync(0xffffffffu, v, o);
      v = v < other ? other : v;
    }
    return v;
  }
};
struct BlockGroup {
  __device__ static int rank() { return threadIdx.x; }
  __device__ static int size() { return blockDim.x; }
  __device__ static int64_t first() { return blockIdx.x; }
  __device__ static int64_t step() { return gridDim.x; }
  template <typename V> __device__ static V sum(V v) { return block_sum(v); }
  template <typename V> __device__ static V max(V v) { return block_max(v); }
};
struct ThreadGroup {
  __device__ static int rank() { return 0; }
  __device__ static int size() { return 1; }
  __device__ static int64_t first() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
  __device__ static int64_t step() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }
  template <typename V> __device__ static V sum(V v) { return v; }
  template <typename V> __device__ static V max(V v) { return v; }
};

// Rows: `rows` = outer * inner; row r starts at (r / inner) * n * inner + r % inner and
// steps by `inner`. Loops are uniform per group, so the group reductions are safe.
template <typename T, bool Log, typename G>
__global__ void __launch_bounds__(256) softmax_forward_kernel(const T* x, T* y, int64_t rows, int64_t n, int64_t inner) {
  for (int64_t r = G::first(); r < rows; r += G::step()) {
    const int64_t base = (r / inner) * n * inner + r % inner;
    T mx = -d_inf<T>();
    for (int64_t c = G::rank(); c < n; c += G::size()) {
      const T v = x[base + c * inner];
      mx = mx < v ? v : mx;  // std::max(mx, v): a NaN never becomes the max
    }
    mx = G::max(mx);
    if (mx == -d_inf<T>()) mx = T(0);
    double sum = 0;
    for (int64_t c = G::rank(); c < n; c += G::size())
      sum += static_cast<double>(d_exp(static_cast<T>(x[base + c * inner] - mx)));
    sum = G::sum(sum);
    if (Log) {
      const T lse = static_cast<T>(log(sum)) + mx;
      for (int64_t c = G::rank(); c < n; c += G::size()) y[base + c * inner] = x[base + c * inner] - lse;
    } else {
      for (int64_t c = G::rank(); c < n; c += G::size())
        y[base + c * inner] =
            static_cast<T>(static_cast<double>(d_exp(static_cast<T>(x[base + c * inner] - mx))) / sum);
    }
  }
}

// softmax:     dx = y * (g - sum(g * y))
// log_softmax: dx = g - exp(y) * sum(g)
template <typename T, bool Log, typename G>
__global__ void __launch_bounds__(256) softmax_backward_kernel(const T* g, const T* y, T* dx, int64_t rows, int64_t n,
                                                               int64_t inner) {
  for (int64_t r = G::first(); r < rows; r += G::step()) {
    const int64_t base = (r / inner) * n * inner + r % inner;
    double sum = 0;
    for (int64_t c = G::rank(); c < n; c += G::size()) {
      const int64_t k = base + c * inner;
      sum += Log ? static_cast<double>(g[k]) : static_cast<double>(static_cast<T>(g[k] * y[k]));
    }
    const T s = static_cast<T>(G::sum(sum));
    for (int64_t c = G::rank(); c < n; c += G::size()) {
      const int64_t k = base + c * inner;
      if (Log) dx[k] = g[k] - static_cast<T>(d_exp(y[k]) * s);
      else dx[k] = y[k] * static_cast<T>(g[k] - s);
    }
  }
}

using softmax::Lanes;

enum class Layout { Thread, Warp, Block };
Layout layout_for(const Lanes& l) {
  const int64_t rows = l.outer * l.inner;
  if (l.inner == 1) return l.n <= 16 ? Layout::Thread : l.n <= 1024 ? Layout::Warp : Layout::Block;
  // Strided rows: a thread per row reads coalesced across threads; a block per row only
  // pays off for long rows that are too few to fill the GPU.
  return rows >= 4096 || l.n < 256 ? Layout::Thread : Layout::Block;
}

unsigned grid_of(Layout layout, int64_t rows) {
  int64_t threads = layout == Layout::Thread ? rows : layout == Layout::Warp ? rows * 32 : rows * 256;
  int64_t b = (threads + 255) / 256;
  const int64_t cap = 1 << 20;  // grid-stride loops cover the rest
  return static_cast<unsigned>(b < 1 ? 1 : b > cap ? cap : b);
}

// Runs launch(group, grid, rows, stream), one kernel launch of 256-thread blocks over the
// lanes of `t` with the thread group that suits them (nothing for an empty tensor).
template <typename F>
void launch_lanes(const Tensor& t, const Lanes& l, F launch) {
  if (t.numel() == 0) return;
  const int64_t rows = l.outer * l.inner;
  const Layout layout = layout_for(l);
  const unsigned grid = grid_of(layout, rows);
  cudaStream_t st = stream_of(t);
  switch (layout) {
    case Layout::Thread: launch(ThreadGroup{}, grid, rows, st); break;
    case Layout::Warp: launch(WarpGroup{}, grid, rows, st); break;
    case Layout::Block: launch(BlockGroup{}, grid, rows, st); break;
  }
  NW_CUDA_LAUNCHED();
}

template <bool Log>
TensorList softmax_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const char* name = softmax::op_name(Log);
  Tensor x = in[0].contiguous();
  const Lanes l = softmax::lanes_of(x.sizes(), at.i("dim"), name);
  DeviceGuard guard(dev(x));
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), name, [&] {
    using T = scalar_t;
    launch_lanes(x, l, [&](auto group, unsigned grid, int64_t rows, cudaStream_t st) {
      softmax_forward_kernel<T, Log, decltype(group)>
          <<<grid, 256, 0, st>>>(x.data<T>(), out.data<T>(), rows, l.n, l.inner);
    });
  });
  ctx.save({out});
  return {out};
}

template <bool Log>
TensorList softmax_backward(OpContext& ctx, const TensorList& g) {
  const char* name = softmax::op_name(Log);
  Tensor y = ctx.saved()[0];
  const Lanes l = softmax::lanes_of(y.sizes(), ctx.attrs.i("dim"), "softmax");
  DeviceGuard guard(dev(y));
  Tensor gc = (g[0].dtype() == y.dtype() ? g[0] : to_dtype(g[0], y.dtype())).contiguous();
  NW_CHECK(gc.sizes() == y.sizes(), "E_INTERNAL",
           std::string(name) + " backward: gradient of shape " + shape_str(gc.sizes()) + " for an output of shape " +
               shape_str(y.sizes()));
  Tensor dx = empty(y.sizes(), y.dtype(), y.device());
  NW_DISPATCH_FLOAT(y.dtype(), name, [&] {
    using T = scalar_t;
    launch_lanes(y, l, [&](auto group, unsigned grid, int64_t rows, cudaStream_t st) {
      softmax_backward_kernel<T, Log, decltype(group)>
          <<<grid, 256, 0, st>>>(gc.data<T>(), y.data<T>(), dx.data<T>(), rows, l.n, l.inner);
    });
  });
  return {dx};
}

}  // namespace

void register_softmax_ops(OpRegistry& r) {
  r.add(op_softmax, softmax_forward<false>, softmax_backward<false>);
  r.add(op_log_softmax, softmax_forward<true>, softmax_backward<true>);
}

}  // namespace nw::cuda
