// The arguments and source-index rules of upsample, shared by the CPU implementation
// (upsample.cpp) and the CUDA one (cuda/upsample.cu): mode, align_corners, size or
// scale_factor with their checks and messages, and PyTorch's taps per output coordinate
// (axis_taps runs in CUDA kernels too, in unfused IEEE arithmetic: the same bits on both).
#pragma once

#include <cmath>
#include <string>
#include <variant>
#include <vector>

#include "core/op.h"
#include "core/tensor.h"
#include "host_device.h"

namespace nw::upsample {

struct UpGeom {
  int64_t planes, H, W, OH, OW;
  double sh, sw;  // scale_factor per dim, 0 when a size was given
  bool bilinear, align_corners;
  // Kept for backward in ctx.ints and two float attributes.
  void save(OpContext& ctx) const {
    ctx.ints = {planes, H, W, OH, OW, bilinear, align_corners};
    ctx.attrs.set("__sh", sh);
    ctx.attrs.set("__sw", sw);
  }
  static UpGeom saved(const OpContext& ctx) {
    return {ctx.ints[0], ctx.ints[1], ctx.ints[2], ctx.ints[3], ctx.ints[4], ctx.attrs.f("__sh"), ctx.attrs.f("__sw"),
            ctx.ints[5] != 0, ctx.ints[6] != 0};
  }
};

// upsample(x [N, C, H, W]; mode ('nearest'), align_corners (false), size or scale_factor).
inline UpGeom up_geom(const Tensor& x, const Attrs& at) {
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

// PyTorch's compute_scales_value: 1/scale_factor when one was given, else in/out.
template <typename A>
A scales_value(double scale, int64_t in, int64_t out) {
  return scale > 0 ? static_cast<A>(1.0 / scale) : static_cast<A>(in) / static_cast<A>(out);
}

// One axis' resampling constants (computed on the host).
template <typename T>
struct Axis {
  int64_t in, out;
  float nearest_scale;  // nearest: floor(o * scale) in float
  T scale;              // bilinear: the source-coordinate ratio
};
template <typename T>
Axis<T> make_axis(int64_t in, int64_t out, double scale, bool align_corners) {
  Axis<T> a{in, out, scales_value<float>(scale, in, out), T(0)};
  a.scale = align_corners ? (out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0)) : scales_value<T>(scale, in, out);
  return a;
}

// a * b, a + b or a - b (Op '*', '+', '-') rounded to nearest, never fused into an FMA by
// nvcc: the taps come out bit for bit as the host's plain IEEE float/double operations.
template <char Op, typename T>
NW_HOST_DEVICE inline T rn(T a, T b) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(T) == 4) return Op == '*' ? __fmul_rn(a, b) : Op == '+' ? __fadd_rn(a, b) : __fsub_rn(a, b);
  else return Op == '*' ? __dmul_rn(a, b) : Op == '+' ? __dadd_rn(a, b) : __dsub_rn(a, b);
#else
  return Op == '*' ? a * b : Op == '+' ? a + b : a - b;
#endif
}

// Output coordinate o's source taps i0, i1 and weights l0, l1 (nearest: i0 == i1, l0 = 1).
template <typename T>
NW_HOST_DEVICE inline void axis_taps(const Axis<T>& ax, bool bilinear, bool align_corners, int64_t o, int64_t& i0,
                                     int64_t& i1, T& l0, T& l1) {
  if (!bilinear) {
    // nearest_idx: exact shortcuts for same size and 2x, else floor(o * scale) in float.
    int64_t i;
    if (ax.out == ax.in) i = o;
    else if (ax.out == 2 * ax.in) i = o >> 1;
    else {
      i = static_cast<int64_t>(floorf(rn<'*'>(static_cast<float>(o), ax.nearest_scale)));
      if (i > ax.in - 1) i = ax.in - 1;
    }
    i0 = i1 = i;
    l0 = T(1);
    l1 = T(0);
    return;
  }
  T src = align_corners ? rn<'*'>(ax.scale, static_cast<T>(o))
                        : rn<'-'>(rn<'*'>(ax.scale, rn<'+'>(static_cast<T>(o), T(0.5))), T(0.5));
  if (!align_corners && src < 0) src = 0;
  i0 = static_cast<int64_t>(src);
  l1 = rn<'-'>(src, static_cast<T>(i0));
  i1 = i0 + (i0 < ax.in - 1 ? 1 : 0);
  l0 = rn<'-'>(T(1), l1);
}

}  // namespace nw::upsample
