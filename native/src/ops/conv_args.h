// The arguments of the convolutions (conv1d, conv2d, conv_transpose2d), shared by the CPU
// implementation (conv.cpp) and the CUDA one (cuda/conv.cu): attribute parsing with
// PyTorch's defaults, the checks and their messages, 'same' padding and the output size.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/op.h"
#include "core/tensor.h"

namespace nw::conv {

// A convolution seen from its "big" side (the tensor im2col reads: a conv's input, a
// transposed conv's output) and its "small" side (a conv's output, a transposed conv's
// input). The weight is [small channels, big channels / groups, kh, kw] for both.
struct ConvGeom {
  int64_t N = 1, C = 1, H = 1, W = 1;  // big side
  int64_t OC = 1, OH = 1, OW = 1;      // small side
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
  int64_t Cg() const { return C / groups; }
  int64_t OCg() const { return OC / groups; }
  int64_t K() const { return Cg() * kh * kw; }
  int64_t HW() const { return H * W; }
  int64_t OHW() const { return OH * OW; }
  // A 1×1 kernel with stride 1 and no padding: the big plane already is the column matrix.
  bool direct() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && OH == H && OW == W; }
  std::vector<int64_t> pack() const { return {N, C, H, W, OC, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw, groups}; }
  static ConvGeom unpack(const std::vector<int64_t>& v) {
    ConvGeom g;
    g.N = v[0]; g.C = v[1]; g.H = v[2]; g.W = v[3]; g.OC = v[4]; g.OH = v[5]; g.OW = v[6];
    g.kh = v[7]; g.kw = v[8]; g.sh = v[9]; g.sw = v[10]; g.ph = v[11]; g.pw = v[12];
    g.dh = v[13]; g.dw = v[14]; g.groups = v[15];
    return g;
  }
};

struct ConvArgs {
  ConvGeom g;
  bool batched = true;
  int64_t spatial = 2;
  // [N, C, (H,) W] of one side, without N when the input is unbatched.
  Shape side_shape(int64_t C, int64_t H, int64_t W) const {
    Shape s;
    if (batched) s.push_back(g.N);
    s.push_back(C);
    if (spatial == 2) s.push_back(H);
    s.push_back(W);
    return s;
  }
  Shape small_shape() const { return side_shape(g.OC, g.OH, g.OW); }  // a conv's output
  Shape big_shape() const { return side_shape(g.C, g.H, g.W); }       // a transposed conv's output
};

// Reads an int-or-list attribute as `spatial` values (PyTorch's _pair/_single).
inline std::vector<int64_t> spatial_ints(const Attrs& at, const char* key, int64_t spatial, int64_t def, const char* op) {
  std::vector<int64_t> v = at.ints(key, {def});
  if (v.size() == 1) v.assign(static_cast<size_t>(spatial), v[0]);
  NW_CHECK(static_cast<int64_t>(v.size()) == spatial, "E_ARG",
           std::string(op) + ": " + key + " needs " + std::to_string(spatial) + " value(s), got " + std::to_string(v.size()));
  return v;
}

inline void check_conv_operands(const Tensor& x, const Tensor& w, const Tensor& b, int64_t spatial, const char* op) {
  NW_CHECK(x.dim() == spatial + 1 || x.dim() == spatial + 2, "E_SHAPE",
           std::string(op) + ": input must be " + std::to_string(spatial + 2) + "-D [N, C, ...] (or unbatched " +
               std::to_string(spatial + 1) + "-D), got " + shape_str(x.sizes()));
  NW_CHECK(w.dim() == spatial + 2, "E_SHAPE",
           std::string(op) + ": weight must be " + std::to_string(spatial + 2) + "-D, got " + shape_str(w.sizes()));
  NW_CHECK(is_floating(x.dtype()) && x.dtype() == w.dtype() && (!b.defined() || b.dtype() == x.dtype()), "E_DTYPE",
           std::string(op) + ": input, weight and bias must share one float dtype, got " + dtype_name(x.dtype()) + " and " +
               dtype_name(w.dtype()));
}

// [N, C, L] and [C, ...] inputs as a 4-D [N, C, H, W] (conv1d: H = 1), on x's device.
inline Tensor as_4d(const Tensor& x, int64_t spatial, bool batched) {
  Tensor c = x.contiguous();
  Shape s = c.sizes();
  if (!batched) s.insert(s.begin(), 1);
  if (spatial == 1) s.insert(s.begin() + 2, 1);
  return make_view(c, s, contiguous_strides(s), c.offset());
}

// conv{1,2}d(x, weight, bias; stride, padding, dilation, groups): padding may be ints,
// 'valid' or 'same' (stride 1; any extra padding goes on the right/bottom, as in PyTorch).
inline ConvArgs conv_args(const Tensor& x, const Tensor& w, const Tensor& b, const Attrs& at, int64_t spatial, const char* op) {
  check_conv_operands(x, w, b, spatial, op);
  ConvArgs a;
  a.spatial = spatial;
  a.batched = x.dim() == spatial + 2;
  auto stride = spatial_ints(at, "stride", spatial, 1, op);
  auto dilation = spatial_ints(at, "dilation", spatial, 1, op);
  std::vector<int64_t> kernel(w.sizes().begin() + 2, w.sizes().end());
  std::vector<int64_t> pad_lo(static_cast<size_t>(spatial), 0);
  const bool string_padding = at.has("padding") && std::holds_alternative<std::string>(at.values().at("padding"));
  if (string_padding) {
    std::string mode = at.s("padding", "valid");
    NW_CHECK(mode == "same" || mode == "valid", "E_ARG", std::string(op) + ": padding must be ints, 'valid' or 'same', got '" + mode + "'");
    if (mode == "same") {
      for (int64_t s : stride)
        NW_CHECK(s == 1, "E_ARG", std::string(op) + ": padding='same' needs stride 1 (as in PyTorch); use explicit padding");
      for (int64_t i = 0; i < spatial; ++i) pad_lo[i] = dilation[i] * (kernel[i] - 1) / 2;
    }
  } else {
    pad_lo = spatial_ints(at, "padding", spatial, 0, op);
  }
  const bool same = string_padding && at.s("padding", "") == "same";
  const int64_t groups = at.i("groups", 1);
  const Shape& xs = x.sizes();
  const int64_t off = a.batched ? 0 : -1;
  const int64_t C = xs[1 + off], OC = w.sizes()[0];
  NW_CHECK(groups >= 1 && C % groups == 0 && OC % groups == 0, "E_ARG",
           std::string(op) + ": groups=" + std::to_string(groups) + " must divide in_channels " + std::to_string(C) +
               " and out_channels " + std::to_string(OC));
  NW_CHECK(w.sizes()[1] * groups == C, "E_SHAPE",
           std::string(op) + ": weight " + shape_str(w.sizes()) + " expects " + std::to_string(w.sizes()[1] * groups) +
               " input channels, but the input " + shape_str(xs) + " has " + std::to_string(C));
  NW_CHECK(!b.defined() || (b.dim() == 1 && b.sizes()[0] == OC), "E_SHAPE",
           std::string(op) + ": bias must have shape [" + std::to_string(OC) + "], got " + shape_str(b.sizes()));
  ConvGeom& g = a.g;
  g.N = a.batched ? xs[0] : 1;
  g.C = C;
  g.OC = OC;
  g.groups = groups;
  std::vector<int64_t> in(xs.begin() + 2 + off, xs.end()), out(static_cast<size_t>(spatial));
  for (int64_t i = 0; i < spatial; ++i) {
    NW_CHECK(stride[i] >= 1 && dilation[i] >= 1 && pad_lo[i] >= 0, "E_ARG", std::string(op) + ": stride and dilation must be >= 1, padding >= 0");
    const int64_t total_pad = same ? dilation[i] * (kernel[i] - 1) : 2 * pad_lo[i];
    out[i] = (in[i] + total_pad - dilation[i] * (kernel[i] - 1) - 1) / stride[i] + 1;
    NW_CHECK(in[i] + total_pad - dilation[i] * (kernel[i] - 1) - 1 >= 0 && out[i] >= 1, "E_SHAPE",
             std::string(op) + ": input " + shape_str(xs) + " is smaller than the (dilated) kernel " + shape_str(kernel) +
                 " after padding; add padding or use a smaller kernel");
  }
  if (spatial == 1) {
    g.H = 1; g.W = in[0]; g.OH = 1; g.OW = out[0];
    g.kh = 1; g.kw = kernel[0]; g.sh = 1; g.sw = stride[0]; g.ph = 0; g.pw = pad_lo[0]; g.dh = 1; g.dw = dilation[0];
  } else {
    g.H = in[0]; g.W = in[1]; g.OH = out[0]; g.OW = out[1];
    g.kh = kernel[0]; g.kw = kernel[1]; g.sh = stride[0]; g.sw = stride[1];
    g.ph = pad_lo[0]; g.pw = pad_lo[1]; g.dh = dilation[0]; g.dw = dilation[1];
  }
  return a;
}

// conv_transpose2d(x [N, Cin, H, W], weight [Cin, Cout/groups, kH, kW], bias [Cout]; stride,
// padding, output_padding, dilation, groups): the output is the big side.
inline ConvArgs conv_transpose2d_args(const Tensor& x, const Tensor& w, const Tensor& b, const Attrs& at) {
  const char* op = "conv_transpose2d";
  check_conv_operands(x, w, b, 2, op);
  ConvArgs a;
  a.spatial = 2;
  a.batched = x.dim() == 4;
  auto stride = spatial_ints(at, "stride", 2, 1, op);
  auto padding = spatial_ints(at, "padding", 2, 0, op);
  auto out_pad = spatial_ints(at, "output_padding", 2, 0, op);
  auto dilation = spatial_ints(at, "dilation", 2, 1, op);
  const int64_t groups = at.i("groups", 1);
  const Shape& xs = x.sizes();
  const int64_t off = a.batched ? 0 : -1;
  const int64_t Cin = xs[1 + off], Cout = w.sizes()[1] * groups;
  NW_CHECK(groups >= 1 && Cin % groups == 0, "E_ARG", std::string(op) + ": groups=" + std::to_string(groups) + " must divide in_channels " + std::to_string(Cin));
  NW_CHECK(w.sizes()[0] == Cin, "E_SHAPE",
           std::string(op) + ": weight " + shape_str(w.sizes()) + " expects " + std::to_string(w.sizes()[0]) +
               " input channels, but the input " + shape_str(xs) + " has " + std::to_string(Cin));
  NW_CHECK(!b.defined() || (b.dim() == 1 && b.sizes()[0] == Cout), "E_SHAPE",
           std::string(op) + ": bias must have shape [" + std::to_string(Cout) + "], got " + shape_str(b.sizes()));
  ConvGeom& g = a.g;
  g.N = a.batched ? xs[0] : 1;
  g.C = Cout;  // big side: the output
  g.OC = Cin;  // small side: the input
  g.groups = groups;
  g.OH = xs[2 + off]; g.OW = xs[3 + off];
  g.kh = w.sizes()[2]; g.kw = w.sizes()[3];
  g.sh = stride[0]; g.sw = stride[1]; g.ph = padding[0]; g.pw = padding[1]; g.dh = dilation[0]; g.dw = dilation[1];
  for (int i = 0; i < 2; ++i)
    NW_CHECK(out_pad[i] >= 0 && (out_pad[i] < stride[i] || out_pad[i] < dilation[i]), "E_ARG",
             std::string(op) + ": output_padding must be smaller than either stride or dilation");
  g.H = (g.OH - 1) * g.sh - 2 * g.ph + g.dh * (g.kh - 1) + out_pad[0] + 1;
  g.W = (g.OW - 1) * g.sw - 2 * g.pw + g.dw * (g.kw - 1) + out_pad[1] + 1;
  NW_CHECK(g.H >= 1 && g.W >= 1, "E_SHAPE", std::string(op) + ": the output size would be " + std::to_string(g.H) + "x" + std::to_string(g.W) + "; lower the padding");
  return a;
}

}  // namespace nw::conv
