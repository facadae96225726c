// Upsampling of [N, C, H, W] (nn.Upsample / F.interpolate, modes 'nearest' and 'bilinear'
// with align_corners), by output size or scale_factor, with PyTorch's source-index rules.
#include <cmath>

#include "core/autograd.h"
#include "cpu/parallel.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

// One output coordinate's two source taps and weights (nearest uses i0 only).
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<double> l0, l1;
};

// PyTorch's compute_scales_value: 1/scale_factor when one was given, else in/out.
template <typename A>
A scales_value(double scale, int64_t in, int64_t out) {
  return scale > 0 ? static_cast<A>(1.0 / scale) : static_cast<A>(in) / static_cast<A>(out);
}

template <typename T>
Taps taps(int64_t in, int64_t out, double scale, bool bilinear, bool align_corners) {
  Taps t;
  t.i0.resize(out);
  t.i1.resize(out);
  t.l0.assign(out, 1.0);
  t.l1.assign(out, 0.0);
  for (int64_t o = 0; o < out; ++o) {
    if (!bilinear) {
      // nearest_idx: exact shortcuts for same size and 2x, else floor(o * scale) in float.
      int64_t i;
      if (out == in) i = o;
      else if (out == 2 * in) i = o >> 1;
      else i = std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * scales_value<float>(scale, in, out))), in - 1);
      t.i0[o] = t.i1[o] = i;
      continue;
    }
    T s = align_corners ? (out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0)) : scales_value<T>(scale, in, out);
    T src = align_corners ? s * static_cast<T>(o) : s * (static_cast<T>(o) + T(0.5)) - T(0.5);
    if (!align_corners && src < 0) src = 0;
    int64_t i0 = static_cast<int64_t>(src);
    T l1 = src - static_cast<T>(i0);
    t.i0[o] = i0;
    t.i1[o] = i0 + (i0 < in - 1 ? 1 : 0);
    t.l1[o] = static_cast<double>(l1);
    t.l0[o] = static_cast<double>(T(1) - l1);
  }
  return t;
}

struct UpGeom {
  int64_t planes, H, W, OH, OW;
  double sh, sw;  // scale_factor per dim, 0 when a size was given
  bool bilinear, align_corners;
};

UpGeom up_geom(const Tensor& x, const Attrs& at) {
  NW_CHECK(x.dim() == 4, "E_SHAPE", "upsample: input must be [N, C, H, W], got " + shape_str(x.sizes()));
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE", std::string("upsample needs a float input, got ") + dtype_name(x.dtype()));
  UpGeom g{};
  std::string mode = at.s("mode", "nearest");
  NW_CHECK(mode == "nearest" || mode == "bilinear", "E_ARG", "upsample: mode must be 'nearest' or 'bilinear', got '" + mode + "'");
  g.bilinear = mode == "bilinear";
  g.align_corners = at.b("align_corners", false);
  NW_CHECK(!g.align_corners || g.bilinear, "E_ARG", "upsample: align_corners only applies to mode 'bilinear'");
  g.H = x.sizes()[2];
  g.W = x.sizes()[3];
  g.planes = x.sizes()[0] * x.sizes()[1];
  const bool has_size = at.has("size"), has_scale = at.has("scale_factor");
  NW_CHECK(has_size != has_scale, "E_ARG", "upsample: give exactly one of size and scale_factor");
  if (has_size) {
    auto s = at.ints("size");
    if (s.size() == 1) s.push_back(s[0]);
    NW_CHECK(s.size() == 2 && s[0] >= 1 && s[1] >= 1, "E_ARG", "upsample: size must be one or two positive ints");
    g.OH = s[0];
    g.OW = s[1];
    g.sh = g.sw = 0;
  } else {
    std::vector<double> f;
    const AttrValue& v = at.values().at("scale_factor");
    if (auto p = std::get_if<std::vector<double>>(&v)) f = *p;
    else if (auto p = std::get_if<std::vector<int64_t>>(&v)) f.assign(p->begin(), p->end());
    else f = {at.f("scale_factor")};
    if (f.size() == 1) f.push_back(f[0]);
    NW_CHECK(f.size() == 2 && f[0] > 0 && f[1] > 0, "E_ARG", "upsample: scale_factor must be one or two positive numbers");
    g.sh = f[0];
    g.sw = f[1];
    g.OH = static_cast<int64_t>(std::floor(static_cast<double>(g.H) * f[0]));
    g.OW = static_cast<int64_t>(std::floor(static_cast<double>(g.W) * f[1]));
    // NOTE: with align_corners, PyTorch derives the ratio from the sizes, not the factor.
    if (g.align_corners) g.sh = g.sw = 0;
  }
  NW_CHECK(g.OH >= 1 && g.OW >= 1, "E_SHAPE", "upsample: the output would be empty for input " + shape_str(x.sizes()));
  return g;
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
  ctx.ints = {g.planes, g.H, g.W, g.OH, g.OW, g.bilinear, g.align_corners};
  ctx.attrs.set("__sh", g.sh);
  ctx.attrs.set("__sw", g.sw);
  return {y};
}
TensorList upsample_backward(OpContext& ctx, const TensorList& grads) {
  UpGeom g{ctx.ints[0], ctx.ints[1], ctx.ints[2], ctx.ints[3], ctx.ints[4], ctx.attrs.f("__sh"), ctx.attrs.f("__sw"),
           ctx.ints[5] != 0, ctx.ints[6] != 0};
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
