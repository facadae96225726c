// Dropout on CUDA (dropout, dropout2d): the arguments of ops/dropout_args.h and the
// semantics of ops/dropout.cpp: in training, zero elements (or whole channels) with
// probability p and scale the rest by 1/(1-p); identity in eval; the gradient reuses the mask.
// NOTE: the masks come from Philox4x32-10 on the device, keyed by the device's own
// generator (default_generator(cuda:i)): manual_seed makes them reproducible on the same
// device, but they differ from the CPU's masks for the same seed (as in PyTorch).
#include <cmath>

#include "core/random.h"
#include "cuda/common.cuh"
#include "cuda/philox.cuh"
#include "ops/dropout_args.h"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

using namespace dropout;

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

// dropout (Channels false) and dropout2d (true). Saved: the compact mask [draws] holding
// 0 or 1/(1-p) per draw.
template <bool Channels>
TensorList dropout_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const char* op = Channels ? "dropout2d" : "dropout";
  const DropoutArgs a = dropout_args(in[0], at, Channels, op);
  DeviceGuard guard(dev(in[0]));
  if (!a.active) return dropout_identity(ctx, in[0]);
  Tensor x = in[0].contiguous();
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  Tensor mask = empty({a.draws}, x.dtype(), x.device());
  // One key per device generator (its seed) and a fresh 64-bit counter offset per call,
  // taken from the generator's stream so manual_seed and get/set_state replay it.
  Generator& gen = default_generator(x.device());
  const PhiloxStream rng{gen.seed(), gen.next_u64()};
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(a.p * 9007199254740992.0));  // exact: p * 2^53 <= 2^53
  NW_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    launch_kernel(dropout_kernel<T>, x.numel(), stream_of(x), a.per, rng, threshold, a.keep<T>(), x.data<T>(), y.data<T>(),
                  mask.data<T>());
  });
  ctx.save({mask});
  ctx.ints = {1, a.per};
  return {y};
}

TensorList dropout_backward(OpContext& ctx, const TensorList& g) {
  if (ctx.ints[0] == 0) return {g[0]};
  const Tensor mask = ctx.saved()[0];
  const int64_t per = ctx.ints[1];
  DeviceGuard guard(dev(mask));
  Tensor gy = g[0].contiguous();
  Tensor gx = empty(gy.sizes(), gy.dtype(), gy.device());
  NW_DISPATCH_FLOAT(gy.dtype(), "dropout", [&] {
    using T = scalar_t;
    launch_kernel(dropout_backward_kernel<T>, gy.numel(), stream_of(gy), per, gy.data<T>(), mask.data<T>(), gx.data<T>());
  });
  return {gx};
}

}  // namespace

void register_dropout_ops(OpRegistry& r) {
  r.add(op_dropout, dropout_forward<false>, dropout_backward);
  r.add(op_dropout2d, dropout_forward<true>, dropout_backward);
}

}  // namespace nw::cuda
