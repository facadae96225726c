// Recurrent, embedding and attention ops: the fused RNN/LSTM/GRU kernels and their
// hand-written backward through time against the same cells built step by step from
// engine ops (autograd on the tape), inter-layer dropout, float32 fast math, embedding
// padding/max_norm, and attention's optional outputs.
#include <cmath>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/ops.h"
#include "test.h"

using namespace nw;

namespace {

Tensor rnd(const Shape& s, DType dt, double scale = 1.0) {
  Tensor t = randn(s, dt);
  if (scale != 1.0) t = ops::mul_scalar(t, scale);
  return t.detach().set_requires_grad(true);
}

double max_abs(const Tensor& a) {
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(read_scalar(a, i)));
  return m;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) worst = std::max(worst, std::fabs(read_scalar(a, i) - read_scalar(b, i)));
  return worst;
}

Tensor col(const Tensor& t, int64_t from, int64_t to) { return ops::slice(t, 1, from, to); }

// One stacked (bi)directional recurrent layer, step by step from engine ops (time-major).
TensorList naive(const std::string& kind, const Tensor& x, const Tensor& h0, const Tensor& c0, const TensorList& w, int64_t L,
                 int64_t D, int64_t H, bool bias, bool relu = false) {
  const int64_t T = x.sizes()[0], N = x.sizes()[1];
  const int64_t per = bias ? 4 : 2;
  Tensor layer_in = x;
  TensorList hn, cn;
  for (int64_t l = 0; l < L; ++l) {
    TensorList dir_out;
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = (l * D + d) * per;
      const Tensor &wih = w[k], &whh = w[k + 1];
      Tensor bih = bias ? w[k + 2] : Tensor(), bhh = bias ? w[k + 3] : Tensor();
      Tensor h = ops::reshape(ops::slice(h0, 0, l * D + d, l * D + d + 1), {N, H});
      Tensor c = c0.defined() ? ops::reshape(ops::slice(c0, 0, l * D + d, l * D + d + 1), {N, H}) : Tensor();
      TensorList outs(T);
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = d == 0 ? s : T - 1 - s;
        Tensor xt = ops::reshape(ops::slice(layer_in, 0, t, t + 1), {N, layer_in.sizes()[2]});
        Tensor gi = ops::linear(xt, wih, bih), gh = ops::linear(h, whh, bhh);
        if (kind == "lstm") {
          Tensor g = ops::add(gi, gh);
          Tensor i = ops::sigmoid(col(g, 0, H)), f = ops::sigmoid(col(g, H, 2 * H));
          Tensor gg = ops::tanh(col(g, 2 * H, 3 * H)), o = ops::sigmoid(col(g, 3 * H, 4 * H));
          c = ops::add(ops::mul(f, c), ops::mul(i, gg));
          h = ops::mul(o, ops::tanh(c));
        } else if (kind == "gru") {
          Tensor r = ops::sigmoid(ops::add(col(gi, 0, H), col(gh, 0, H)));
          Tensor z = ops::sigmoid(ops::add(col(gi, H, 2 * H), col(gh, H, 2 * H)));
          Tensor n = ops::tanh(ops::add(col(gi, 2 * H, 3 * H), ops::mul(r, col(gh, 2 * H, 3 * H))));
          h = ops::add(ops::sub(n, ops::mul(z, n)), ops::mul(z, h));
        } else {
          Tensor a = ops::add(gi, gh);
          h = relu ? ops::relu(a) : ops::tanh(a);
        }
        outs[t] = ops::unsqueeze(h, 0);
      }
      dir_out.push_back(ops::cat(outs, 0));
      hn.push_back(ops::unsqueeze(h, 0));
      if (c.defined()) cn.push_back(ops::unsqueeze(c, 0));
    }
    layer_in = D == 1 ? dir_out[0] : ops::cat(dir_out, 2);
  }
  TensorList out{layer_in, ops::cat(hn, 0)};
  if (!cn.empty()) out.push_back(ops::cat(cn, 0));
  return out;
}

struct RecurrentCase {
  std::string kind;
  int64_t T, N, I, H, L, D;
  bool bias;
  bool relu = false;
};

// Fused op vs the step-by-step graph: outputs and the gradients of every input.
void check_against_naive(const RecurrentCase& rc, DType dt, double tol) {
  const int64_t G = rc.kind == "lstm" ? 4 : rc.kind == "gru" ? 3 : 1;
  const bool cell = rc.kind == "lstm";
  Tensor x = rnd({rc.T, rc.N, rc.I}, dt);
  Tensor h0 = rnd({rc.L * rc.D, rc.N, rc.H}, dt, 0.5);
  Tensor c0 = cell ? rnd({rc.L * rc.D, rc.N, rc.H}, dt, 0.5) : Tensor();
  TensorList w;
  for (int64_t l = 0; l < rc.L; ++l)
    for (int64_t d = 0; d < rc.D; ++d) {
      const int64_t in = l == 0 ? rc.I : rc.D * rc.H;
      w.push_back(rnd({G * rc.H, in}, dt, 0.4));
      w.push_back(rnd({G * rc.H, rc.H}, dt, 0.4));
      if (rc.bias) {
        w.push_back(rnd({G * rc.H}, dt, 0.4));
        w.push_back(rnd({G * rc.H}, dt, 0.4));
      }
    }
  TensorList inputs{x, h0};
  if (cell) inputs.push_back(c0);
  for (auto& t : w) inputs.push_back(t);
  Attrs at{{"hidden_size", rc.H}, {"num_layers", rc.L}, {"bidirectional", rc.D == 2}, {"bias", rc.bias}};
  if (rc.relu) at.set("nonlinearity", std::string("relu"));
  TensorList fused = call_op(rc.kind, inputs, at);
  TensorList ref = naive(rc.kind, x, h0, c0, w, rc.L, rc.D, rc.H, rc.bias, rc.relu);
  CHECK(fused.size() == ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    CHECK(fused[i].sizes() == ref[i].sizes());
    CHECK_NEAR(max_abs_diff(fused[i], ref[i]), 0, tol);
  }
  // Same random upstream for both; compare d/d(every input).
  TensorList ups;
  for (auto& r : ref) ups.push_back(randn(r.sizes(), dt));
  auto objective = [&](const TensorList& outs) {
    Tensor acc;
    for (size_t i = 0; i < outs.size(); ++i) {
      Tensor term = ops::sum(ops::mul(outs[i], ups[i]));
      acc = acc.defined() ? ops::add(acc, term) : term;
    }
    return acc;
  };
  TensorList gf = grad({objective(fused)}, inputs, {});
  TensorList gr = grad({objective(ref)}, inputs, {});
  for (size_t i = 0; i < inputs.size(); ++i) {
    CHECK(gf[i].defined() && gr[i].defined());
    if (gf[i].defined() && gr[i].defined()) {
      // Relative to the largest entry: weight gradients sum over every step and row.
      double e = max_abs_diff(gf[i], gr[i]) / std::max(1.0, max_abs(gr[i]));
      if (!(e <= tol)) std::fprintf(stderr, "  %s input %zu: gradient differs by %g\n", rc.kind.c_str(), i, e);
      CHECK_NEAR(e, 0, tol);
    }
  }
}

}  // namespace

TEST_CASE("lstm/gru/rnn: fused kernels and backward through time match the step-by-step graph (float64)") {
  manual_seed(1);
  check_against_naive({"lstm", 5, 3, 4, 3, 2, 2, true}, DType::Float64, 1e-10);
  check_against_naive({"lstm", 4, 2, 3, 5, 1, 1, false}, DType::Float64, 1e-10);
  check_against_naive({"gru", 5, 3, 4, 3, 2, 2, true}, DType::Float64, 1e-10);
  check_against_naive({"gru", 3, 2, 2, 4, 1, 1, false}, DType::Float64, 1e-10);
  check_against_naive({"rnn", 4, 3, 2, 3, 2, 2, true}, DType::Float64, 1e-10);
  check_against_naive({"rnn", 4, 3, 2, 3, 2, 1, true, true}, DType::Float64, 1e-10);
}

TEST_CASE("lstm/gru/rnn float32: vectorised gate math and threaded rows agree with the graph") {
  manual_seed(2);
  // Wide enough for the SIMD loops and the row split over the pool.
  check_against_naive({"lstm", 6, 16, 24, 96, 2, 1, true}, DType::Float32, 2e-5);
  check_against_naive({"gru", 6, 16, 24, 96, 1, 2, true}, DType::Float32, 2e-5);
  check_against_naive({"rnn", 6, 16, 24, 96, 1, 1, true}, DType::Float32, 2e-5);
}

TEST_CASE("lstm: inter-layer dropout only while training, repeatable under a seed, gradient masked") {
  const int64_t T = 4, N = 3, I = 5, H = 6;
  manual_seed(3);
  Tensor x = rnd({N, T, I}, DType::Float64);
  TensorList w;
  for (int64_t l = 0; l < 2; ++l) {
    w.push_back(rnd({4 * H, l == 0 ? I : H}, DType::Float64, 0.4));
    w.push_back(rnd({4 * H, H}, DType::Float64, 0.4));
    w.push_back(rnd({4 * H}, DType::Float64, 0.4));
    w.push_back(rnd({4 * H}, DType::Float64, 0.4));
  }
  TensorList in{x, Tensor(), Tensor()};
  for (auto& t : w) in.push_back(t);
  Attrs base{{"hidden_size", H}, {"num_layers", int64_t(2)}, {"batch_first", true}, {"dropout", 0.5}};
  Attrs train = base, eval = base, nodrop = base;
  train.set("training", true);
  eval.set("training", false);
  nodrop.set("dropout", 0.0);
  Tensor y_eval = call_op("lstm", in, eval)[0];
  Tensor y_plain = call_op("lstm", in, nodrop)[0];
  CHECK_NEAR(max_abs_diff(y_eval, y_plain), 0, 0);
  manual_seed(7);
  Tensor y1 = call_op("lstm", in, train)[0];
  manual_seed(7);
  Tensor y2 = call_op("lstm", in, train)[0];
  CHECK_NEAR(max_abs_diff(y1, y2), 0, 0);
  CHECK(max_abs_diff(y1, y_eval) > 1e-3);
  // Central differences through a training step with a fixed mask (same seed every call).
  Tensor up = randn(y1.sizes(), DType::Float64);
  auto f = [&](const Tensor& xv) {
    NoGradGuard ng;
    manual_seed(7);
    TensorList a = in;
    a[0] = xv;
    return ops::sum(ops::mul(call_op("lstm", a, train)[0], up)).item();
  };
  manual_seed(7);
  Tensor loss = ops::sum(ops::mul(call_op("lstm", in, train)[0], up));
  Tensor gx = grad({loss}, {x}, {})[0];
  double worst = 0;
  for (int64_t i = 0; i < x.numel(); i += 7) {
    Tensor xp = x.detach().clone(), xm = x.detach().clone();
    xp.data<double>()[i] += 1e-6;
    xm.data<double>()[i] -= 1e-6;
    worst = std::max(worst, std::fabs((f(xp) - f(xm)) / 2e-6 - read_scalar(gx, i)));
  }
  CHECK_NEAR(worst, 0, 1e-6);
}

TEST_CASE("lstm: shape and arity errors name the problem") {
  Tensor x = randn({2, 3, 4}, DType::Float32);
  Tensor wih = randn({8, 4}, DType::Float32), whh = randn({8, 2}, DType::Float32), b = randn({8}, DType::Float32);
  CHECK_THROWS(call_op("lstm", {x, Tensor(), Tensor(), wih, whh}, {{"hidden_size", int64_t(2)}}));  // bias missing
  CHECK_THROWS(call_op("lstm", {x, Tensor(), Tensor(), wih, whh, b, b}, {{"hidden_size", int64_t(2)}, {"input_size", int64_t(5)}}));
  Tensor bad_h0 = randn({1, 2, 2}, DType::Float32);  // batch is 3 (seq-major)
  CHECK_THROWS(call_op("lstm", {x, bad_h0, Tensor(), wih, whh, b, b}, {{"hidden_size", int64_t(2)}}));
  TensorList ok = call_op("lstm", {x, Tensor(), Tensor(), wih, whh, b, b}, {{"hidden_size", int64_t(2)}});
  CHECK(ok[0].sizes() == (Shape{2, 3, 2}));
  CHECK(ok[1].sizes() == (Shape{1, 3, 2}));
}

TEST_CASE("embedding: padding row gets no gradient, max_norm renormalises rows in place") {
  Tensor w = randn({5, 3}, DType::Float64);
  fill_(make_view(w, {1, 3}, w.strides(), 3 * w.strides()[0]), 5.0);  // row 3: norm 5*sqrt(3)
  w.set_requires_grad(true);
  Tensor idx = empty({4}, DType::Int64);
  int64_t ids[] = {3, 1, 3, 0};
  for (int i = 0; i < 4; ++i) idx.data<int64_t>()[i] = ids[i];
  Tensor y = call_op("embedding", {idx, w}, {{"padding_idx", int64_t(1)}})[0];
  CHECK(y.sizes() == (Shape{4, 3}));
  backward({ops::sum(y)}, {});
  CHECK_NEAR(read_scalar(w.grad(), 3 * 3), 2.0, 0);  // row 3 looked up twice
  CHECK_NEAR(read_scalar(w.grad(), 1 * 3), 0.0, 0);  // padding row
  CHECK_NEAR(read_scalar(w.grad(), 2 * 3), 0.0, 0);  // not looked up
  const uint32_t before = w.impl()->version;
  Tensor z = call_op("embedding", {idx, w}, {{"max_norm", 1.0}})[0];
  CHECK(w.impl()->version != before);
  double norm = 0;
  for (int j = 0; j < 3; ++j) norm += read_scalar(w, 3 * 3 + j) * read_scalar(w, 3 * 3 + j);
  CHECK_NEAR(std::sqrt(norm), 1.0, 1e-6);
  CHECK_NEAR(read_scalar(z, 0), read_scalar(w, 9), 0);
  Tensor out_of_range = full({1}, 5.0, DType::Int64);
  CHECK_THROWS(call_op("embedding", {out_of_range, w}, {}));
}

TEST_CASE("multi_head_attention: need_weights=false gives no weights; gradients reach every projection") {
  manual_seed(4);
  const int64_t E = 6;
  Tensor x = rnd({2, 3, E}, DType::Float64);
  Tensor win = rnd({3 * E, E}, DType::Float64, 0.3), bin = rnd({3 * E}, DType::Float64, 0.3);
  Tensor wout = rnd({E, E}, DType::Float64, 0.3), bout = rnd({E}, DType::Float64, 0.3);
  Attrs at{{"embed_dim", E}, {"num_heads", int64_t(3)}, {"batch_first", true}, {"need_weights", false}};
  TensorList r = call_op("multi_head_attention", {x, x, x, win, bin, wout, bout}, at);
  CHECK(r.size() == 2);
  CHECK(r[0].sizes() == (Shape{2, 3, E}));
  CHECK(!r[1].defined());
  TensorList g = grad({ops::sum(ops::mul(r[0], r[0]))}, {x, win, bin, wout, bout}, {});
  for (auto& t : g) CHECK(t.defined());
  at.set("num_heads", int64_t(4));  // 6 is not divisible by 4
  CHECK_THROWS(call_op("multi_head_attention", {x, x, x, win, bin, wout, bout}, at));
}
