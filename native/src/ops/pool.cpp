// 2-D pooling (torch.nn.functional.max_pool2d, avg_pool2d, adaptive_avg_pool2d) over
// [N, C, H, W] or [C, H, W]; every (n, c) plane is independent, so planes run in parallel.
#include <cstring>
#include <type_traits>

#include "core/autograd.h"
#include "cpu/parallel.h"
#include "kernels.h"
#include "ops.h"
#include "pool_args.h"

namespace nw {
namespace {

using namespace pool;

constexpr int64_t kPlaneGrain = 4;

// A whole plane of a 2×2 / stride 2 max pool with H = 2*OH and W = 2*OW: first the
// horizontal pairs of every row (one long stride-2 loop over the plane), then the vertical
// pairs of those. Selects are bit masks (no branches: random data mispredicts them) so both
// stages vectorise. Row-major scan order is kept: ties keep the first, NaN replaces.
template <typename T>
inline __attribute__((always_inline)) void max_pool_2x2_plane_body(const T* x, int64_t OH, int64_t OW, T* h, int64_t* hi, T* y,
                                                                   int64_t* yi) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  auto pick = [](T a, T b, int64_t ia, int64_t ib, T& out, int64_t& iout) {
    const bool t = (b > a) | (b != b);
    const U mask = U(0) - static_cast<U>(t);
    U ab, bb;
    std::memcpy(&ab, &a, sizeof(T));
    std::memcpy(&bb, &b, sizeof(T));
    const U rb = (bb & mask) | (ab & ~mask);
    std::memcpy(&out, &rb, sizeof(T));
    const int64_t imask = -static_cast<int64_t>(t);
    iout = (ib & imask) | (ia & ~imask);
  };
  const int64_t pairs = 2 * OH * OW;  // H * OW horizontal pairs
  for (int64_t p = 0; p < pairs; ++p) pick(x[2 * p], x[2 * p + 1], 2 * p, 2 * p + 1, h[p], hi[p]);
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* h0 = h + 2 * oh * OW;
    const int64_t* i0 = hi + 2 * oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) pick(h0[ow], h0[OW + ow], i0[ow], i0[OW + ow], y[oh * OW + ow], yi[oh * OW + ow]);
  }
}
__attribute__((target_clones("avx512f", "avx2", "default"))) void max_pool_2x2_plane(const float* x, int64_t OH, int64_t OW, float* h,
                                                                                    int64_t* hi, float* y, int64_t* yi) {
  max_pool_2x2_plane_body(x, OH, OW, h, hi, y, yi);
}
__attribute__((target_clones("avx512f", "avx2", "default"))) void max_pool_2x2_plane(const double* x, int64_t OH, int64_t OW, double* h,
                                                                                    int64_t* hi, double* y, int64_t* yi) {
  max_pool_2x2_plane_body(x, OH, OW, h, hi, y, yi);
}

// ---- max_pool2d: the index (h * W + w within the plane) of each maximum is saved ----
TensorList max_pool2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  Tensor x = in[0].contiguous();
  const MaxPoolArgs a = MaxPoolArgs::parse(x, at);
  const PoolGeom& g = a.g;
  Tensor y = empty(g.out_shape(x), x.dtype());
  Tensor idx = empty(y.sizes(), DType::Int64);
  NW_DISPATCH_FLOAT(x.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    int64_t* pi = idx.data<int64_t>();
    const bool simple = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 &&
                        g.OH * 2 == g.H && g.OW * 2 == g.W;
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      std::vector<T> h(simple ? static_cast<size_t>(g.H * g.OW) : 0);
      std::vector<int64_t> hi(h.size());
      for (int64_t p = pb; p < pe; ++p) {
        const T* xp = px + p * g.H * g.W;
        T* yp = py + p * g.OH * g.OW;
        int64_t* ip = pi + p * g.OH * g.OW;
        if (simple) {
          max_pool_2x2_plane(xp, g.OH, g.OW, h.data(), hi.data(), yp, ip);  // the common 2×2 / stride 2 on even sizes
          continue;
        }
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            int64_t best;
            yp[oh * g.OW + ow] = window_max(g, xp, oh, ow, best);
            ip[oh * g.OW + ow] = best;
          }
      }
    });
  });
  ctx.save({idx});
  ctx.ints = g.pack();
  if (a.return_indices) return {y, idx};
  return {y};
}
TensorList max_pool2d_backward(OpContext& ctx, const TensorList& grads) {
  Tensor idx = ctx.saved()[0];
  PoolGeom g = PoolGeom::unpack(ctx.ints);
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0]);
  NW_DISPATCH_FLOAT(gx.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    const T* pg = gy.data<T>();
    const int64_t* pi = idx.data<int64_t>();
    T* px = gx.data<T>();
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        T* xp = px + p * g.H * g.W;
        for (int64_t o = p * g.OH * g.OW; o < (p + 1) * g.OH * g.OW; ++o)
          xp[pi[o]] += pg[o];
      }
    });
  });
  return {gx};
}

// ---- avg_pool2d and adaptive_avg_pool2d: the mean over each output's window ----
// Args (pool_args.h's AvgPoolArgs or AdaptivePoolArgs) parses the attributes and gives the windows.
template <typename Args>
TensorList mean_pool_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  Tensor x = in[0].contiguous();
  const Args a = Args::parse(x, at);
  const PoolGeom& g = a.g;
  Tensor y = empty(g.out_shape(x), x.dtype());
  NW_DISPATCH_FLOAT(x.dtype(), Args::kOp, [&] {
    using T = scalar_t;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        const T* xp = px + p * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) py[(p * g.OH + oh) * g.OW + ow] = window_mean(a.window(oh, ow), xp, g.W);
      }
    });
  });
  ctx.ints = a.pack();
  return {y};
}
template <typename Args>
TensorList mean_pool_backward(OpContext& ctx, const TensorList& grads) {
  const Args a = Args::unpack(ctx.ints);
  const PoolGeom& g = a.g;
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0]);
  NW_DISPATCH_FLOAT(gx.dtype(), Args::kOp, [&] {
    using T = scalar_t;
    const T* pg = gy.data<T>();
    T* px = gx.data<T>();
    cpu::parallel_for(0, g.planes, kPlaneGrain, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        T* xp = px + p * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const Window w = a.window(oh, ow);
            T v = pg[(p * g.OH + oh) * g.OW + ow] / static_cast<T>(w.divisor);
            for (int64_t h = w.h0; h < w.h1; ++h)
              for (int64_t c = w.w0; c < w.w1; ++c) xp[h * g.W + c] += v;
          }
      }
    });
  });
  return {gx};
}

}  // namespace

const OpDef op_max_pool2d = {"max_pool2d", 1, GradKind::Differentiable, max_pool2d_forward, max_pool2d_backward,
                             "2-D max pooling: kernel_size, stride (default kernel_size), padding, dilation, ceil_mode, return_indices"};
const OpDef op_avg_pool2d = {"avg_pool2d", 1, GradKind::Differentiable, mean_pool_forward<AvgPoolArgs>, mean_pool_backward<AvgPoolArgs>,
                             "2-D average pooling: kernel_size, stride (default kernel_size), padding, ceil_mode, count_include_pad, divisor_override"};
const OpDef op_adaptive_avg_pool2d = {"adaptive_avg_pool2d", 1, GradKind::Differentiable, mean_pool_forward<AdaptivePoolArgs>,
                                      mean_pool_backward<AdaptivePoolArgs>, "2-D average pooling to a fixed output_size"};

}  // namespace nw
