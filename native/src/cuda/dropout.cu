// Dropout on CUDA (dropout, dropout2d): the attributes, checks and semantics of
// ops/dropout.cpp: in training, zero elements (or whole channels) with probability p and
// scale the rest by 1/(1-p); identity in eval; the gradient reuses the mask.
// NOTE: the masks come from Philox4x32-10 on the device, keyed by the device's own
// generator (default_generator(cuda:i)): manual_seed makes them reproducible on the same
// device, but they differ from the CPU's masks for the same seed (as in PyTorch).
#include <cmath>
#include <string>

#include "core/random.h"
#include "cuda/common.cuh"
#include "cuda/philox.cuh"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

#define NW_GRID_LOOP(i, n)                                                                 \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// y = x * v, v = keep when the uniform of draw (i / per) is >= p (Bernoulli(1 - p), as the
// CPU) else 0, compared in integers: u >= p <=> bits53 >= threshold = ceil(p * 2^53).
// The first element of each draw also stores v in the compact mask [draws].
template <typename T>
__global__ void dropout_kernel(int64_t total, int64_t per, PhiloxStream rng, uint64_t threshold, T keep,
                               const T* __restrict__ x, T* __restrict__ y, T* __restrict__ mask) {
  NW_GRID_LOOP(i, total) {
    const int64_t d = i / per;
    const T v = rng.bits53(static_cast<uint64_t>(d)) >= threshold ? keep : T(0);
    y[i] = x[i] * v;
    if (i % per == 0) mask[d] = v;
  }
}

template <typename T>
__global__ void dropout_backward_kernel(int64_t total, int64_t per, const T* __restrict__ g, const T* __restrict__ mask,
                                        T* __restrict__ gx) {
  NW_GRID_LOOP(i, total) { gx[i] = g[i] * mask[i / per]; }
}

// Attrs: p (0.5), training (true, as F.dropout). `per` = elements sharing one draw
// (1 for dropout, the spatial size for dropout2d). Saved: the compact mask [draws]
// holding 0 or 1/(1-p) per draw.
TensorList dropout_impl(OpContext& ctx, const Tensor& x0, const Attrs& at, bool channels, const char* op) {
  const double p = at.f("p", 0.5);
  NW_CHECK(p >= 0 && p <= 1, "E_ARG", std::string(op) + ": p must be between 0 and 1, got " + std::to_string(p));
  NW_CHECK(is_floating(x0.dtype()), "E_DTYPE", std::string(op) + " needs a float input, got " + dtype_name(x0.dtype()));
  DeviceGuard guard(dev(x0));
  if (!at.b("training", true) || p == 0) {
    ctx.save({});
    ctx.ints = {0};
    return {x0.contiguous().impl() == x0.impl() ? x0.clone() : x0.contiguous()};
  }
  int64_t per = 1;
  if (channels) {
    // dropout2d: [N, C, H, W] (or [C, H, W], as PyTorch 1.13: one draw per leading (n, c) pair).
    NW_CHECK(x0.dim() >= 3, "E_SHAPE", std::string(op) + ": input must be [N, C, H, W] or [C, H, W], got " + shape_str(x0.sizes()));
    per = x0.sizes()[x0.dim() - 1] * x0.sizes()[x0.dim() - 2];
  }
  Tensor x = x0.contiguous();
  const int64_t n = x.numel(), draws = per ? n / per : 0;
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  Tensor mask = empty({draws}, x.dtype(), x.device());
  // One key per device generator (its seed) and a fresh 64-bit counter offset per call,
  // taken from the generator's stream so manual_seed and get/set_state replay it.
  Generator& gen = default_generator(x.device());
  const PhiloxStream rng{gen.seed(), gen.next_u64()};
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(p * 9007199254740992.0));  // exact: p * 2^53 <= 2^53
  if (n > 0) {
    NW_DISPATCH_FLOAT(x.dtype(), op, [&] {
      using T = scalar_t;
      const T keep = p >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
      dropout_kernel<T><<<blocks_for(n), kThreads, 0, stream_of(x)>>>(n, per, rng, threshold, keep, x.data<T>(), y.data<T>(),
                                                                      mask.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  ctx.save({mask});
  ctx.ints = {1, per};
  return {y};
}

TensorList dropout_backward(OpContext& ctx, const TensorList& g) {
  if (ctx.ints[0] == 0) return {g[0]};
  const Tensor mask = ctx.saved()[0];
  const int64_t per = ctx.ints[1];
  DeviceGuard guard(dev(mask));
  Tensor gy = g[0].contiguous();
  Tensor gx = empty(gy.sizes(), gy.dtype(), gy.device());
  const int64_t n = gy.numel();
  if (n > 0) {
    NW_DISPATCH_FLOAT(gy.dtype(), "dropout", [&] {
      using T = scalar_t;
      dropout_backward_kernel<T><<<blocks_for(n), kThreads, 0, stream_of(gy)>>>(n, per, gy.data<T>(), mask.data<T>(),
                                                                               gx.data<T>());
      NW_CUDA_LAUNCHED();
    });
  }
  return {gx};
}

TensorList dropout_forward(OpContext& ctx, const TensorList& in, const Attrs& at) { return dropout_impl(ctx, in[0], at, false, "dropout"); }
TensorList dropout2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) { return dropout_impl(ctx, in[0], at, true, "dropout2d"); }

}  // namespace

void register_dropout_ops(OpRegistry& r) {
  r.add(op_dropout, dropout_forward, dropout_backward);
  r.add(op_dropout2d, dropout2d_forward, dropout_backward);
}

}  // namespace nw::cuda
