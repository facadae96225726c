// Conv, pool, norm and dropout ops: what the PyTorch fixtures cannot show (running-stat
// updates in place, random masks, threaded batch splits against a naive loop, adjointness).
#include <cmath>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/ops.h"
#include "test.h"

using namespace nw;

namespace {

Tensor randn_t(const Shape& s, DType dt = DType::Float64) { return randn(s, dt); }

double at(const Tensor& t, int64_t i) { return read_scalar(t, i); }

double dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += at(a, i) * at(b, i);
  return s;
}

// Direct 2-D convolution, the textbook loop (double accumulation).
Tensor naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t s, int64_t p, int64_t d, int64_t groups) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t OC = w.size(0), kh = w.size(2), kw = w.size(3), Cg = C / groups, OCg = OC / groups;
  const int64_t OH = (H + 2 * p - d * (kh - 1) - 1) / s + 1, OW = (W + 2 * p - d * (kw - 1) - 1) / s + 1;
  Tensor y = zeros({N, OC, OH, OW}, DType::Float64);
  double* py = y.data<double>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < OC; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = b.defined() ? at(b, o) : 0.0;
          const int64_t gr = o / OCg;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t ih = oh * s - p + i * d, iw = ow * s - p + j * d;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += at(x, ((n * C + gr * Cg + c) * H + ih) * W + iw) * at(w, ((o * Cg + c) * kh + i) * kw + j);
              }
          py[((n * OC + o) * OH + oh) * OW + ow] = acc;
        }
  return y;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(at(a, i) - at(b, i)));
  return m;
}

}  // namespace

TEST_CASE("conv2d: batch split over threads matches a direct loop (float32 and float64, groups, stride, dilation)") {
  manual_seed(1);
  for (DType dt : {DType::Float32, DType::Float64}) {
    Tensor x = randn_t({7, 4, 11, 9}, dt), w = randn_t({6, 2, 3, 3}, dt), b = randn_t({6}, dt);
    Attrs a{{"stride", int64_t(2)}, {"padding", int64_t(1)}, {"dilation", int64_t(2)}, {"groups", int64_t(2)}};
    Tensor y = call_op("conv2d", {x, w, b}, a)[0];
    Tensor ref = naive_conv2d(to_dtype(x, DType::Float64), to_dtype(w, DType::Float64), to_dtype(b, DType::Float64), 2, 1, 2, 2);
    CHECK(y.sizes() == ref.sizes());
    CHECK(max_abs_diff(y, ref) < (dt == DType::Float32 ? 1e-4 : 1e-12));
  }
}

TEST_CASE("conv2d weight and input gradients are adjoint to the forward (<dy, conv(x)> identities)") {
  manual_seed(2);
  Tensor x = randn_t({5, 3, 8, 7}), w = randn_t({4, 3, 3, 2});
  x.set_requires_grad(true);
  w.set_requires_grad(true);
  Attrs a{{"stride", std::vector<int64_t>{2, 1}}, {"padding", std::vector<int64_t>{1, 2}}};
  Tensor y = call_op("conv2d", {x, w, Tensor()}, a)[0];
  Tensor gy = randn_t(y.sizes());
  backward({y}, {gy});
  // conv is bilinear: <gy, conv(x, w)> = <dx, x> = <dw, w>.
  double lhs = dot(gy, y);
  CHECK_NEAR(dot(x.grad(), x.detach()), lhs, 1e-9 * std::max(1.0, std::fabs(lhs)));
  CHECK_NEAR(dot(w.grad(), w.detach()), lhs, 1e-9 * std::max(1.0, std::fabs(lhs)));
}

TEST_CASE("conv_transpose2d is the adjoint of conv2d with the same weight") {
  manual_seed(3);
  Tensor x = randn_t({3, 4, 9, 8}), w = randn_t({6, 2, 3, 3});
  Attrs a{{"stride", int64_t(2)}, {"padding", int64_t(1)}, {"groups", int64_t(2)}};
  Tensor y = call_op("conv2d", {x, w, Tensor()}, a)[0];  // [3, 6, 5, 4]
  Tensor z = randn_t(y.sizes());
  Attrs at_t = a;
  at_t.set("output_padding", std::vector<int64_t>{0, 1});  // back to 9x8
  Tensor xt = call_op("conv_transpose2d", {z, w, Tensor()}, at_t)[0];
  CHECK(xt.sizes() == x.sizes());
  CHECK_NEAR(dot(z, y), dot(xt, x), 1e-9 * std::max(1.0, std::fabs(dot(z, y))));
}

TEST_CASE("conv2d reports mismatched channels and a too-small input with codes") {
  Tensor x = randn_t({1, 3, 4, 4});
  CHECK_THROWS(call_op("conv2d", {x, randn_t({2, 2, 3, 3}), Tensor()}));
  CHECK_THROWS(call_op("conv2d", {x, randn_t({2, 3, 5, 5}), Tensor()}));
  CHECK_THROWS(call_op("conv2d", {x, randn_t({2, 3, 3, 3}), Tensor()}, {{"padding", std::string("same")}, {"stride", int64_t(2)}}));
  try {
    call_op("conv2d", {x, randn_t({2, 2, 3, 3}), Tensor()});
  } catch (const Error& e) {
    CHECK(e.code == "E_SHAPE");
  }
}

TEST_CASE("batch_norm training updates running stats in place (unbiased var, momentum) and counts batches") {
  Tensor x = zeros({2, 2, 2}, DType::Float64);  // channel 0: 1,2,3,4; channel 1: all 5
  double v[] = {1, 2, 5, 5, 3, 4, 5, 5};
  for (int i = 0; i < 8; ++i) x.data<double>()[i] = v[i];
  Tensor rm = zeros({2}, DType::Float64), rv = ones({2}, DType::Float64), nbt = zeros({}, DType::Int64);
  Tensor y = call_op("batch_norm", {x, Tensor(), Tensor(), rm, rv, nbt}, {{"training", true}, {"momentum", 0.1}})[0];
  CHECK_NEAR(at(rm, 0), 0.1 * 2.5, 1e-12);
  CHECK_NEAR(at(rm, 1), 0.1 * 5, 1e-12);
  CHECK_NEAR(at(rv, 0), 0.9 + 0.1 * (5.0 / 3.0), 1e-12);  // unbiased var of 1,2,3,4
  CHECK_NEAR(at(rv, 1), 0.9, 1e-12);
  CHECK(nbt.data<int64_t>()[0] == 1);
  // Normalised with the biased variance 1.25.
  CHECK_NEAR(at(y, 0), (1 - 2.5) / std::sqrt(1.25 + 1e-5), 1e-12);
  // Cumulative average (momentum None): factor 1/num_batches_tracked.
  Tensor rm2 = full({2}, 10.0, DType::Float64), rv2 = ones({2}, DType::Float64), n2 = full({}, 1.0, DType::Int64);
  call_op("batch_norm", {x, Tensor(), Tensor(), rm2, rv2, n2}, {{"training", true}, {"momentum", std::string("none")}});
  CHECK(n2.data<int64_t>()[0] == 2);
  CHECK_NEAR(at(rm2, 0), 0.5 * 10 + 0.5 * 2.5, 1e-12);
  // Eval leaves the statistics alone and uses them.
  Tensor y_eval = call_op("batch_norm", {x, Tensor(), Tensor(), rm, rv, nbt}, {{"training", false}})[0];
  CHECK(nbt.data<int64_t>()[0] == 1);
  CHECK_NEAR(at(rm, 0), 0.25, 1e-12);
  CHECK_NEAR(at(y_eval, 0), (1 - 0.25) / std::sqrt(at(rv, 0) + 1e-5), 1e-12);
  // A single value per channel cannot be normalised in training.
  CHECK_THROWS(call_op("batch_norm", {zeros({1, 2}, DType::Float64), Tensor(), Tensor(), Tensor(), Tensor(), Tensor()}, {{"training", true}}));
}

TEST_CASE("dropout: seeded masks, kept values scaled by 1/(1-p), gradient through the same mask") {
  Tensor x = ones({200, 50}, DType::Float64);
  x.set_requires_grad(true);
  manual_seed(7);
  Tensor y = call_op("dropout", {x}, {{"p", 0.3}, {"training", true}})[0];
  int64_t kept = 0;
  bool scaled = true;
  for (int64_t i = 0; i < y.numel(); ++i) {
    double v = at(y, i);
    if (v != 0) {
      ++kept;
      scaled = scaled && std::fabs(v - 1 / 0.7) < 1e-12;
    }
  }
  CHECK(scaled);
  CHECK(std::fabs(static_cast<double>(kept) / y.numel() - 0.7) < 0.03);
  backward({ops::sum(y)}, {});
  CHECK(max_abs_diff(x.grad(), y.detach()) == 0);  // d sum(x * mask) / dx = mask = y for x = 1
  manual_seed(7);
  Tensor y2 = call_op("dropout", {x.detach()}, {{"p", 0.3}, {"training", true}})[0];
  CHECK(max_abs_diff(y, y2) == 0);
  Tensor ye = call_op("dropout", {x.detach()}, {{"p", 0.3}, {"training", false}})[0];
  CHECK(max_abs_diff(ye, x.detach()) == 0);
}

TEST_CASE("dropout2d zeroes whole channels") {
  manual_seed(11);
  Tensor x = ones({8, 16, 3, 3}, DType::Float32);
  Tensor y = call_op("dropout2d", {x}, {{"p", 0.5}, {"training", true}})[0];
  int64_t zero_channels = 0;
  bool whole = true;
  for (int64_t c = 0; c < 8 * 16; ++c) {
    double first = at(y, c * 9);
    for (int64_t i = 1; i < 9; ++i) whole = whole && at(y, c * 9 + i) == first;
    if (first == 0) ++zero_channels;
    else whole = whole && std::fabs(first - 2.0) < 1e-6;
  }
  CHECK(whole);
  CHECK(zero_channels > 30 && zero_channels < 98);
}

TEST_CASE("max_pool2d: gradient goes to the argmax; return_indices gives plane offsets") {
  Tensor x = zeros({1, 1, 2, 4}, DType::Float64);
  double v[] = {1, 5, 2, 0, 3, 4, 7, 6};
  for (int i = 0; i < 8; ++i) x.data<double>()[i] = v[i];
  x.set_requires_grad(true);
  TensorList out = call_op("max_pool2d", {x}, {{"kernel_size", int64_t(2)}, {"return_indices", true}});
  CHECK(out.size() == 2);
  CHECK(at(out[0], 0) == 5 && at(out[0], 1) == 7);
  CHECK(out[1].data<int64_t>()[0] == 1 && out[1].data<int64_t>()[1] == 6);
  backward({ops::sum(out[0])}, {});
  CHECK(at(x.grad(), 1) == 1 && at(x.grad(), 6) == 1 && at(x.grad(), 0) == 0);
}
