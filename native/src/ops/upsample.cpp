// Upsampling of [N, C, H, W] (nn.Upsample / F.interpolate, modes 'nearest' and 'bilinear'
// with align_corners), by output size or scale_factor, with PyTorch's source-index rules.
#include "core/autograd.h"
#include "cpu/parallel.h"
#include "kernels.h"
#include "ops.h"
#include "upsample_args.h"

namespace nw {
namespace {

using namespace upsample;

// One output coordinate's two source taps and weights (nearest uses i0 only).
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<double> l0, l1;
};

template <typename T>
Taps taps(int64_t in, int64_t out, double scale, bool bilinear, bool align_corners) {
  const Axis<T> ax = make_axis<T>(in, out, scale, align_corners);
  Taps t;
  t.i0.resize(out);
  t.i1.resize(out);
  t.l0.resize(out);
  t.l1.resize(out);
  for (int64_t o = 0; o < out; ++o) {
    T l0, l1;
    axis_taps(ax, bilinear, align_corners, o, t.i0[o], t.i1[o], l0, l1);
    t.l0[o] = static_cast<double>(l0);
    t.l1[o] = static_cast<double>(l1);
  }
  return t;
}

TensorList upsample_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  Tensor x = in[0].contiguous();
  UpGeom g = up_geom(x, at);
  Tensor y = empty({x.sizes()[0], x.sizes()[1], g.OH, g.OW}, x.dtype());
  NW_DISPATCH_FLOAT(x.dtype(), "upsample", [&] {
    using T = scalar_t;
    Taps th = taps<T>(g.H, g.OH, g.sh, g.bilinear, g.align_corners), tw = taps<T>(g.W, g.OW, g.sw, g.bilinear, g.align_corners);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    cpu::parallel_for(0, g.planes, 1, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        const T* xp = px + p * g.H * g.W;
        T* yp = py + p * g.OH * g.OW;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const T* r0 = xp + th.i0[oh] * g.W;
          const T* r1 = xp + th.i1[oh] * g.W;
          const T h0 = static_cast<T>(th.l0[oh]), h1 = static_cast<T>(th.l1[oh]);
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            if (!g.bilinear) {
              yp[oh * g.OW + ow] = r0[tw.i0[ow]];
              continue;
            }
            const T w0 = static_cast<T>(tw.l0[ow]), w1 = static_cast<T>(tw.l1[ow]);
            yp[oh * g.OW + ow] = h0 * (w0 * r0[tw.i0[ow]] + w1 * r0[tw.i1[ow]]) + h1 * (w0 * r1[tw.i0[ow]] + w1 * r1[tw.i1[ow]]);
          }
        }
      }
    });
  });
  g.save(ctx);
  return {y};
}
TensorList upsample_backward(OpContext& ctx, const TensorList& grads) {
  const UpGeom g = UpGeom::saved(ctx);
  Tensor gy = grads[0].contiguous();
  Tensor gx = zeros(ctx.input_shapes[0], ctx.input_dtypes[0]);
  NW_DISPATCH_FLOAT(gx.dtype(), "upsample", [&] {
    using T = scalar_t;
    Taps th = taps<T>(g.H, g.OH, g.sh, g.bilinear, g.align_corners), tw = taps<T>(g.W, g.OW, g.sw, g.bilinear, g.align_corners);
    const T* pg = gy.data<T>();
    T* px = gx.data<T>();
    cpu::parallel_for(0, g.planes, 1, [&](int64_t pb, int64_t pe) {
      for (int64_t p = pb; p < pe; ++p) {
        T* xp = px + p * g.H * g.W;
        const T* gp = pg + p * g.OH * g.OW;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          T* r0 = xp + th.i0[oh] * g.W;
          T* r1 = xp + th.i1[oh] * g.W;
          const T h0 = static_cast<T>(th.l0[oh]), h1 = static_cast<T>(th.l1[oh]);
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const T v = gp[oh * g.OW + ow];
            if (!g.bilinear) {
              r0[tw.i0[ow]] += v;
              continue;
            }
            const T w0 = static_cast<T>(tw.l0[ow]), w1 = static_cast<T>(tw.l1[ow]);
            r0[tw.i0[ow]] += h0 * w0 * v;
            r0[tw.i1[ow]] += h0 * w1 * v;
            r1[tw.i0[ow]] += h1 * w0 * v;
            r1[tw.i1[ow]] += h1 * w1 * v;
          }
        }
      }
    });
  });
  return {gx};
}

}  // namespace

const OpDef op_upsample = {"upsample", 1, GradKind::Differentiable, upsample_forward, upsample_backward,
                           "resize [N, C, H, W] to size or by scale_factor; mode 'nearest' or 'bilinear' (align_corners)"};

}  // namespace nw
