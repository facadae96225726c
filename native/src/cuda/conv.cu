// Convolutions on CUDA (conv1d, conv2d, conv_transpose2d): the attributes, checks and
// results of ops/conv.cpp. im2col / col2im kernels around cuda::gemm batched over groups;
// a chunk of samples per GEMM, their columns side by side as on the CPU.
#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "cuda/common.cuh"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

#define NW_GRID_LOOP(i, n)                                                                 \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// As in ops/conv.cpp: a convolution seen from its "big" side (the tensor im2col reads: a
// conv's input, a transposed conv's output) and its "small" side (a conv's output, a
// transposed conv's input). The weight is [small channels, big channels / groups, kh, kw].
struct ConvGeom {
  int64_t N = 1, C = 1, H = 1, W = 1;  // big side
  int64_t OC = 1, OH = 1, OW = 1;      // small side
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
  int64_t Cg() const { return C / groups; }
  int64_t OCg() const { return OC / groups; }
  int64_t K() const { return Cg() * kh * kw; }
  int64_t HW() const { return H * W; }
  int64_t OHW() const { return OH * OW; }
  std::vector<int64_t> pack() const { return {N, C, H, W, OC, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw, groups}; }
  static ConvGeom unpack(const std::vector<int64_t>& v) {
    ConvGeom g;
    g.N = v[0]; g.C = v[1]; g.H = v[2]; g.W = v[3]; g.OC = v[4]; g.OH = v[5]; g.OW = v[6];
    g.kh = v[7]; g.kw = v[8]; g.sh = v[9]; g.sw = v[10]; g.ph = v[11]; g.pw = v[12];
    g.dh = v[13]; g.dw = v[14]; g.groups = v[15];
    return g;
  }
};

// ---- kernels (ConvGeom is passed by value; kernels read its fields only) ----

// col[(c * kh + ki) * kw + kj][s * OHW + oh * OW + ow] = big[n0 + s][c][ih][iw], 0 in the
// padding, for samples [n0, n0 + ns). Row g * K + k is row k of group g's column matrix.
template <typename T>
__global__ void im2col_kernel(int64_t total, ConvGeom g, const T* __restrict__ big, int64_t n0, int64_t ns,
                              T* __restrict__ col) {
  const int64_t OHW = g.OH * g.OW, L = ns * OHW;
  NW_GRID_LOOP(i, total) {
    const int64_t j = i % L, row = i / L;
    const int64_t s = j / OHW, p = j % OHW;
    const int64_t oh = p / g.OW, ow = p % g.OW;
    const int64_t kj = row % g.kw, t = row / g.kw;
    const int64_t ki = t % g.kh, c = t / g.kh;
    const int64_t ih = oh * g.sh - g.ph + ki * g.dh, iw = ow * g.sw - g.pw + kj * g.dw;
    col[i] = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? big[(((n0 + s) * g.C + c) * g.H + ih) * g.W + iw] : T(0);
  }
}

// big[n0 + s][c][h][w] = sum of the column entries im2col would have read from there
// (+ bias[c]): the adjoint of im2col, one thread per big element (no atomics, no zeroing).
template <typename T>
__global__ void col2im_kernel(int64_t total, ConvGeom g, const T* __restrict__ col, const T* __restrict__ bias,
                              int64_t n0, int64_t ns, T* __restrict__ big) {
  const int64_t OHW = g.OH * g.OW, L = ns * OHW;
  NW_GRID_LOOP(i, total) {  // i over [ns, C, H, W]
    const int64_t w = i % g.W;
    int64_t t = i / g.W;
    const int64_t h = t % g.H;
    t /= g.H;
    const int64_t c = t % g.C, s = t / g.C;
    T acc = T(0);
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      const int64_t hs = h + g.ph - ki * g.dh;
      if (hs < 0 || hs % g.sh != 0) continue;
      const int64_t oh = hs / g.sh;
      if (oh >= g.OH) continue;
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const int64_t ws = w + g.pw - kj * g.dw;
        if (ws < 0 || ws % g.sw != 0) continue;
        const int64_t ow = ws / g.sw;
        if (ow >= g.OW) continue;
        acc += col[((c * g.kh + ki) * g.kw + kj) * L + s * OHW + oh * g.OW + ow];
      }
    }
    big[n0 * g.C * g.H * g.W + i] = bias ? acc + bias[c] : acc;
  }
}

// small[n0 + s][o][p] = tmp[o][s * OHW + p] (+ bias[o]).
template <typename T>
__global__ void scatter_small_kernel(int64_t total, int64_t OC, int64_t OHW, int64_t ns, const T* __restrict__ tmp,
                                     const T* __restrict__ bias, int64_t n0, T* __restrict__ small) {
  const int64_t L = ns * OHW;
  NW_GRID_LOOP(i, total) {  // i over [ns, OC, OHW]
    const int64_t p = i % OHW, t = i / OHW;
    const int64_t o = t % OC, s = t / OC;
    const T v = tmp[o * L + s * OHW + p];
    small[n0 * OC * OHW + i] = bias ? v + bias[o] : v;
  }
}

// tmp[o][s * OHW + p] = small[n0 + s][o][p]: the chunk's small side as one [OC, ns * OHW] matrix.
template <typename T>
__global__ void gather_small_kernel(int64_t total, int64_t OC, int64_t OHW, int64_t ns, const T* __restrict__ small,
                                    int64_t n0, T* __restrict__ tmp) {
  const int64_t L = ns * OHW;
  NW_GRID_LOOP(i, total) {  // i over [OC, L]
    const int64_t o = i / L, j = i % L;
    const int64_t s = j / OHW, p = j % OHW;
    tmp[i] = small[((n0 + s) * OC + o) * OHW + p];
  }
}

// out[c] = sum over n and the plane of x[n][c] (the bias gradient), in double; one block per channel.
template <typename T>
__global__ void channel_sum_kernel(const T* __restrict__ x, int64_t N, int64_t C, int64_t HW, T* __restrict__ out) {
  const int64_t c = blockIdx.x;
  double s = 0;
  for (int64_t j = threadIdx.x; j < N * HW; j += blockDim.x) {
    const int64_t n = j / HW, p = j % HW;
    s += static_cast<double>(x[(n * C + c) * HW + p]);
  }
  s = block_sum(s);
  if (threadIdx.x == 0) out[c] = static_cast<T>(s);
}

// ---- host side ----

Device cuda_device(int device) { return Device{DeviceType::CUDA, device}; }

// Samples per chunk: the column matrix and the small-side block of a chunk stay under
// ~32M elements (128 MiB in float32); at least one sample.
constexpr int64_t kChunkElems = int64_t(1) << 25;
int64_t chunk_samples(const ConvGeom& g) {
  const int64_t per = std::max<int64_t>((g.C * g.kh * g.kw + g.OC) * g.OHW(), 1);
  return std::max<int64_t>(1, std::min<int64_t>(g.N, kChunkElems / per));
}

// One GEMM per group, batched (cuda::gemm takes at most 65535 problems per call).
template <typename T>
void grouped_gemm(int device, int64_t groups, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                  int64_t sa, const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc) {
  for (int64_t g0 = 0; g0 < groups; g0 += 65535) {
    const int64_t nb = std::min<int64_t>(65535, groups - g0);
    gemm<T>(device, ta, tb, m, n, k, T(1), a + g0 * sa, lda, sa, b + g0 * sb, ldb, sb, beta, c + g0 * sc, ldc, sc, nb);
  }
}

template <typename T>
void im2col(int device, const ConvGeom& g, const T* big, int64_t n0, int64_t ns, T* col) {
  const int64_t total = g.C * g.kh * g.kw * ns * g.OHW();
  if (total <= 0) return;
  im2col_kernel<T><<<blocks_for(total), kThreads, 0, stream(device)>>>(total, g, big, n0, ns, col);
  NW_CUDA_LAUNCHED();
}

template <typename T>
void gather_small(int device, const ConvGeom& g, const T* small, int64_t n0, int64_t ns, T* tmp) {
  const int64_t total = g.OC * ns * g.OHW();
  if (total <= 0) return;
  gather_small_kernel<T><<<blocks_for(total), kThreads, 0, stream(device)>>>(total, g.OC, g.OHW(), ns, small, n0, tmp);
  NW_CUDA_LAUNCHED();
}

// small[n] = W @ im2col(big[n]) (+ bias per small channel).
template <typename T>
void conv_small_from_big(int device, DType dt, const ConvGeom& g, const T* big, const T* w, const T* bias, T* small) {
  if (g.N == 0 || g.OC == 0 || g.OHW() == 0) return;
  const int64_t K = g.K(), OCg = g.OCg(), OHW = g.OHW(), nb = chunk_samples(g);
  Tensor col = empty({g.C * g.kh * g.kw * nb * OHW}, dt, cuda_device(device));
  Tensor tmp = empty({g.OC * nb * OHW}, dt, cuda_device(device));
  T* pc = col.data<T>();
  T* pt = tmp.data<T>();
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t ns = std::min(nb, g.N - n0), L = ns * OHW;
    im2col<T>(device, g, big, n0, ns, pc);
    grouped_gemm<T>(device, g.groups, false, false, OCg, L, K, w, K, OCg * K, pc, L, K * L, T(0), pt, L, OCg * L);
    const int64_t total = ns * g.OC * OHW;
    scatter_small_kernel<T><<<blocks_for(total), kThreads, 0, stream(device)>>>(total, g.OC, OHW, ns, pt, bias, n0, small);
    NW_CUDA_LAUNCHED();
  }
}

// big[n] = col2im(W^T @ small[n]) (+ bias per big channel).
template <typename T>
void conv_big_from_small(int device, DType dt, const ConvGeom& g, const T* small, const T* w, const T* bias, T* big) {
  if (g.N == 0 || g.C == 0 || g.HW() == 0) return;
  const int64_t K = g.K(), OCg = g.OCg(), OHW = g.OHW(), nb = chunk_samples(g);
  Tensor col = empty({g.C * g.kh * g.kw * nb * OHW}, dt, cuda_device(device));
  Tensor tmp = empty({g.OC * nb * OHW}, dt, cuda_device(device));
  T* pc = col.data<T>();
  T* pt = tmp.data<T>();
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t ns = std::min(nb, g.N - n0), L = ns * OHW;
    gather_small<T>(device, g, small, n0, ns, pt);
    grouped_gemm<T>(device, g.groups, true, false, K, L, OCg, w, K, OCg * K, pt, L, OCg * L, T(0), pc, L, K * L);
    const int64_t total = ns * g.C * g.HW();
    col2im_kernel<T><<<blocks_for(total), kThreads, 0, stream(device)>>>(total, g, pc, bias, n0, ns, big);
    NW_CUDA_LAUNCHED();
  }
}

// dW[g] = sum_n small[n][g] @ im2col(big[n])[g]^T, accumulated chunk by chunk.
template <typename T>
void conv_weight_grad(int device, DType dt, const ConvGeom& g, const T* small, const T* big, T* dw) {
  const int64_t K = g.K(), OCg = g.OCg(), OHW = g.OHW(), nb = chunk_samples(g);
  if (g.OC * K == 0) return;
  if (g.N == 0 || OHW == 0) {
    memset_zero(dw, static_cast<size_t>(g.OC * K) * sizeof(T), device);
    return;
  }
  Tensor col = empty({g.C * g.kh * g.kw * nb * OHW}, dt, cuda_device(device));
  Tensor tmp = empty({g.OC * nb * OHW}, dt, cuda_device(device));
  T* pc = col.data<T>();
  T* pt = tmp.data<T>();
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t ns = std::min(nb, g.N - n0), L = ns * OHW;
    im2col<T>(device, g, big, n0, ns, pc);
    gather_small<T>(device, g, small, n0, ns, pt);
    grouped_gemm<T>(device, g.groups, false, true, OCg, K, L, pt, L, OCg * L, pc, L, K * L, n0 == 0 ? T(0) : T(1), dw, K,
                    OCg * K);
  }
}

template <typename T>
void channel_sum(int device, const T* x, int64_t N, int64_t C, int64_t HW, T* out) {
  if (C <= 0) return;
  channel_sum_kernel<T><<<static_cast<unsigned>(C), kThreads, 0, stream(device)>>>(x, N, C, HW, out);
  NW_CUDA_LAUNCHED();
}

// ---- argument checks and geometry: the same rules and messages as ops/conv.cpp ----

std::vector<int64_t> spatial_ints(const Attrs& at, const char* key, int64_t spatial, int64_t def, const char* op) {
  std::vector<int64_t> v = at.ints(key, {def});
  if (v.size() == 1) v.assign(static_cast<size_t>(spatial), v[0]);
  NW_CHECK(static_cast<int64_t>(v.size()) == spatial, "E_ARG",
           std::string(op) + ": " + key + " needs " + std::to_string(spatial) + " value(s), got " + std::to_string(v.size()));
  return v;
}

void check_conv_operands(const Tensor& x, const Tensor& w, const Tensor& b, int64_t spatial, const char* op) {
  NW_CHECK(x.dim() == spatial + 1 || x.dim() == spatial + 2, "E_SHAPE",
           std::string(op) + ": input must be " + std::to_string(spatial + 2) + "-D [N, C, ...] (or unbatched " +
               std::to_string(spatial + 1) + "-D), got " + shape_str(x.sizes()));
  NW_CHECK(w.dim() == spatial + 2, "E_SHAPE",
           std::string(op) + ": weight must be " + std::to_string(spatial + 2) + "-D, got " + shape_str(w.sizes()));
  NW_CHECK(is_floating(x.dtype()) && x.dtype() == w.dtype() && (!b.defined() || b.dtype() == x.dtype()), "E_DTYPE",
           std::string(op) + ": input, weight and bias must share one float dtype, got " + dtype_name(x.dtype()) + " and " +
               dtype_name(w.dtype()));
}

// [N, C, L] and [C, ...] inputs as a 4-D [N, C, H, W] (conv1d: H = 1).
Tensor as_4d(const Tensor& x, int64_t spatial, bool batched) {
  Tensor c = x.contiguous();
  Shape s = c.sizes();
  if (!batched) s.insert(s.begin(), 1);
  if (spatial == 1) s.insert(s.begin() + 2, 1);
  return make_view(c, s, contiguous_strides(s), c.offset());
}

struct ConvArgs {
  ConvGeom g;
  bool batched = true;
  int64_t spatial = 2;
};

// padding may be ints, 'valid' or 'same' (stride 1; any extra padding on the right/bottom).
ConvArgs conv_args(const Tensor& x, const Tensor& w, const Tensor& b, const Attrs& at, int64_t spatial, const char* op) {
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

Shape small_shape(const ConvArgs& a) {
  Shape s;
  if (a.batched) s.push_back(a.g.N);
  s.push_back(a.g.OC);
  if (a.spatial == 2) s.push_back(a.g.OH);
  s.push_back(a.g.OW);
  return s;
}

template <typename T>
const T* opt_ptr(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// ---- conv1d / conv2d ----
template <int Spatial>
TensorList conv_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const char* op = Spatial == 1 ? "conv1d" : "conv2d";
  ConvArgs a = conv_args(in[0], in[1], in[2], at, Spatial, op);
  DeviceGuard guard(dev(in[0]));
  Tensor x = as_4d(in[0], Spatial, a.batched);
  Tensor w = in[1].contiguous();
  Tensor b = in[2].defined() ? in[2].contiguous() : Tensor();
  Tensor y = empty(small_shape(a), x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    conv_small_from_big<T>(dev(x), x.dtype(), a.g, x.data<T>(), w.data<T>(), opt_ptr<T>(b), y.data<T>());
  });
  ctx.save({x, w});
  ctx.ints = a.g.pack();
  return {y};
}

template <int Spatial>
TensorList conv_backward(OpContext& ctx, const TensorList& grads) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1];
  ConvGeom g = ConvGeom::unpack(ctx.ints);
  DeviceGuard guard(dev(x));
  Tensor gy = grads[0].contiguous();
  Tensor gx, gw, gb;
  NW_DISPATCH_FLOAT(x.dtype(), "conv", [&] {
    using T = scalar_t;
    if (ctx.needs_input_grad[0]) {
      gx = empty(ctx.input_shapes[0], x.dtype(), x.device());
      conv_big_from_small<T>(dev(x), x.dtype(), g, gy.data<T>(), w.data<T>(), nullptr, gx.data<T>());
    }
    if (ctx.needs_input_grad[1]) {
      gw = empty(w.sizes(), w.dtype(), x.device());
      conv_weight_grad<T>(dev(x), x.dtype(), g, gy.data<T>(), x.data<T>(), gw.data<T>());
    }
    if (ctx.needs_input_grad.size() > 2 && ctx.needs_input_grad[2]) {
      gb = empty({g.OC}, x.dtype(), x.device());
      channel_sum<T>(dev(x), gy.data<T>(), g.N, g.OC, g.OHW(), gb.data<T>());
    }
  });
  return {gx, gw, gb};
}

// ---- conv_transpose2d(x [N, Cin, H, W], weight [Cin, Cout/groups, kH, kW], bias [Cout]) ----
TensorList conv_transpose2d_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const char* op = "conv_transpose2d";
  const Tensor &x0 = in[0], &w0 = in[1], &b0 = in[2];
  check_conv_operands(x0, w0, b0, 2, op);
  DeviceGuard guard(dev(x0));
  const bool batched = x0.dim() == 4;
  auto stride = spatial_ints(at, "stride", 2, 1, op);
  auto padding = spatial_ints(at, "padding", 2, 0, op);
  auto out_pad = spatial_ints(at, "output_padding", 2, 0, op);
  auto dilation = spatial_ints(at, "dilation", 2, 1, op);
  const int64_t groups = at.i("groups", 1);
  Tensor x = as_4d(x0, 2, batched);
  const Shape& xs = x.sizes();
  const int64_t Cin = xs[1], Cout = w0.sizes()[1] * groups;
  NW_CHECK(groups >= 1 && Cin % groups == 0, "E_ARG", std::string(op) + ": groups=" + std::to_string(groups) + " must divide in_channels " + std::to_string(Cin));
  NW_CHECK(w0.sizes()[0] == Cin, "E_SHAPE",
           std::string(op) + ": weight " + shape_str(w0.sizes()) + " expects " + std::to_string(w0.sizes()[0]) +
               " input channels, but the input " + shape_str(x0.sizes()) + " has " + std::to_string(Cin));
  NW_CHECK(!b0.defined() || (b0.dim() == 1 && b0.sizes()[0] == Cout), "E_SHAPE",
           std::string(op) + ": bias must have shape [" + std::to_string(Cout) + "], got " + shape_str(b0.sizes()));
  ConvGeom g;
  g.N = xs[0];
  g.C = Cout;  // big side: the output
  g.OC = Cin;  // small side: the input
  g.groups = groups;
  g.OH = xs[2]; g.OW = xs[3];
  g.kh = w0.sizes()[2]; g.kw = w0.sizes()[3];
  g.sh = stride[0]; g.sw = stride[1]; g.ph = padding[0]; g.pw = padding[1]; g.dh = dilation[0]; g.dw = dilation[1];
  for (int i = 0; i < 2; ++i)
    NW_CHECK(out_pad[i] >= 0 && (out_pad[i] < stride[i] || out_pad[i] < dilation[i]), "E_ARG",
             std::string(op) + ": output_padding must be smaller than either stride or dilation");
  g.H = (g.OH - 1) * g.sh - 2 * g.ph + g.dh * (g.kh - 1) + out_pad[0] + 1;
  g.W = (g.OW - 1) * g.sw - 2 * g.pw + g.dw * (g.kw - 1) + out_pad[1] + 1;
  NW_CHECK(g.H >= 1 && g.W >= 1, "E_SHAPE", std::string(op) + ": the output size would be " + std::to_string(g.H) + "x" + std::to_string(g.W) + "; lower the padding");
  Tensor w = w0.contiguous();
  Tensor b = b0.defined() ? b0.contiguous() : Tensor();
  Shape ys = batched ? Shape{g.N, Cout, g.H, g.W} : Shape{Cout, g.H, g.W};
  Tensor y = empty(ys, x.dtype(), x.device());
  NW_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    conv_big_from_small<T>(dev(x), x.dtype(), g, x.data<T>(), w.data<T>(), opt_ptr<T>(b), y.data<T>());
  });
  ctx.save({x, w});
  ctx.ints = g.pack();
  return {y};
}

TensorList conv_transpose2d_backward(OpContext& ctx, const TensorList& grads) {
  TensorList s = ctx.saved();
  const Tensor &x = s[0], &w = s[1];
  ConvGeom g = ConvGeom::unpack(ctx.ints);
  DeviceGuard guard(dev(x));
  Tensor gy = grads[0].contiguous();
  Tensor gx, gw, gb;
  NW_DISPATCH_FLOAT(x.dtype(), "conv_transpose2d", [&] {
    using T = scalar_t;
    if (ctx.needs_input_grad[0]) {
      gx = empty(ctx.input_shapes[0], x.dtype(), x.device());
      conv_small_from_big<T>(dev(x), x.dtype(), g, gy.data<T>(), w.data<T>(), nullptr, gx.data<T>());
    }
    if (ctx.needs_input_grad[1]) {
      gw = empty(w.sizes(), w.dtype(), x.device());
      conv_weight_grad<T>(dev(x), x.dtype(), g, x.data<T>(), gy.data<T>(), gw.data<T>());
    }
    if (ctx.needs_input_grad.size() > 2 && ctx.needs_input_grad[2]) {
      gb = empty({g.C}, x.dtype(), x.device());
      channel_sum<T>(dev(x), gy.data<T>(), g.N, g.C, g.HW(), gb.data<T>());
    }
  });
  return {gx, gw, gb};
}

}  // namespace

void register_conv_ops(OpRegistry& r) {
  r.add(op_conv1d, conv_forward<1>, conv_backward<1>);
  r.add(op_conv2d, conv_forward<2>, conv_backward<2>);
  r.add(op_conv_transpose2d, conv_transpose2d_forward, conv_transpose2d_backward);
}

}  // namespace nw::cuda
