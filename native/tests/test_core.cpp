// Core engine tests: op table integrity, views, broadcasting, autograd rules.
#include <algorithm>
#include <set>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/ops.h"
#include "test.h"

using namespace nw;

static Tensor vec(std::initializer_list<double> v, Shape shape = {}, DType dt = DType::Float64) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  Tensor t = empty(shape, dt);
  int64_t i = 0;
  for (double x : v) {
    NW_DISPATCH_ALL(dt, [&] { t.data<scalar_t>()[i] = static_cast<scalar_t>(x); });
    ++i;
  }
  return t;
}

TEST_CASE("op table: every differentiable op has a backward, others have none") {
  CHECK(op_table().size() > 50);
  for (const OpDef* op : op_table()) {
    if (op->grad == GradKind::Differentiable) CHECK(op->backward != nullptr);
    else CHECK(op->backward == nullptr);
    CHECK(find_op(op->name) == op);
  }
}

TEST_CASE("broadcast add and its gradient sums back to each input's shape") {
  Tensor a = vec({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = vec({10, 20, 30}, {3});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  Tensor c = ops::add(a, b);
  CHECK(c.sizes() == (Shape{2, 3}));
  CHECK_NEAR(read_scalar(c, 4), 25, 0);
  backward({ops::sum(c)}, {});
  CHECK(a.grad().sizes() == (Shape{2, 3}));
  CHECK(b.grad().sizes() == (Shape{3}));
  CHECK_NEAR(read_scalar(b.grad(), 1), 2, 0);
}

TEST_CASE("gradient accumulates across backward calls until cleared") {
  Tensor x = vec({2.0});
  x.set_requires_grad(true);
  for (int i = 0; i < 3; ++i) backward({ops::sum(ops::mul(x, x))}, {});
  CHECK_NEAR(read_scalar(x.grad(), 0), 12.0, 1e-12);
}

TEST_CASE("autograd.grad returns gradients without touching .grad") {
  Tensor x = vec({1.0, 2.0, 3.0});
  x.set_requires_grad(true);
  Tensor y = ops::sum(ops::pow_scalar(x, 3.0));
  TensorList g = grad({y}, {x}, {});
  CHECK(!x.grad().defined());
  CHECK_NEAR(read_scalar(g[0], 2), 27.0, 1e-12);
}

TEST_CASE("second backward without retain_graph is an error; with it, it works") {
  Tensor x = vec({1.0, 2.0});
  x.set_requires_grad(true);
  Tensor y = ops::sum(ops::exp(x));
  backward({y}, {}, true);
  backward({y}, {}, false);
  CHECK_THROWS(backward({y}, {}, false));
}

TEST_CASE("in-place change of a saved tensor is detected") {
  Tensor x = vec({1.0, 2.0});
  x.set_requires_grad(true);
  Tensor w = vec({3.0, 4.0});
  Tensor y = ops::sum(ops::mul(x, w));
  fill_(w, 0.0);
  CHECK_THROWS(backward({y}, {}));
}

TEST_CASE("no_grad records nothing") {
  Tensor x = vec({1.0});
  x.set_requires_grad(true);
  Tensor y;
  {
    NoGradGuard g;
    y = ops::mul(x, x);
  }
  CHECK(!y.requires_grad());
  CHECK(y.grad_fn() == nullptr);
}

TEST_CASE("views: transpose then matmul uses strides, matches manual product") {
  Tensor a = vec({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor at = ops::transpose(a, 0, 1);  // [3, 2]
  CHECK(!at.is_contiguous());
  Tensor p = ops::matmul(at, a);        // [3, 3]
  CHECK(p.sizes() == (Shape{3, 3}));
  CHECK_NEAR(read_scalar(p, 0), 1 * 1 + 4 * 4, 1e-12);
  CHECK_NEAR(read_scalar(p, 5), 2 * 3 + 5 * 6, 1e-12);
}

TEST_CASE("float32 linear matches a double reference") {
  manual_seed(0);
  Tensor x = randn({5, 7}), w = randn({3, 7}), b = randn({3});
  Tensor y = ops::linear(x, w, b);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j) {
      double acc = read_scalar(b, j);
      for (int k = 0; k < 7; ++k) acc += read_scalar(x, i * 7 + k) * read_scalar(w, j * 7 + k);
      CHECK_NEAR(read_scalar(y, i * 3 + j), acc, 1e-4);
    }
}

TEST_CASE("manual_seed makes random tensors repeatable") {
  manual_seed(42);
  Tensor a = randn({16});
  manual_seed(42);
  Tensor b = randn({16});
  for (int i = 0; i < 16; ++i) CHECK(read_scalar(a, i) == read_scalar(b, i));
}

TEST_CASE("bad input throws coded errors, not crashes") {
  Tensor a = vec({1, 2, 3});
  Tensor b = vec({1, 2});
  CHECK_THROWS(ops::add(a, b));
  CHECK_THROWS(ops::reshape(a, {2, 2}));
  CHECK_THROWS(call_op("no_such_op", {a}));
  try {
    ops::matmul(vec({1, 2, 3, 4}, {2, 2}), vec({1, 2, 3}, {3, 1}));
    CHECK(false);
  } catch (const Error& e) {
    CHECK(e.code == "E_SHAPE");
  }
}

TEST_CASE("outputs of one op as separate roots all contribute (split, repeated output)") {
  Tensor x = vec({1, 2, 3, 4});
  x.set_requires_grad(true);
  TensorList parts = call_op("split", {x}, {{"split_size", int64_t(2)}});
  TensorList g = grad({ops::sum(parts[0]), ops::sum(ops::mul_scalar(parts[1], 3.0))}, {x}, {});
  CHECK(g[0].defined());
  CHECK_NEAR(read_scalar(g[0], 0), 1.0, 1e-12);
  CHECK_NEAR(read_scalar(g[0], 3), 3.0, 1e-12);
  Tensor y = ops::sum(ops::mul(x, x));
  TensorList g2 = grad({y, y}, {x}, {});
  CHECK_NEAR(read_scalar(g2[0], 1), 8.0, 1e-12);
}

TEST_CASE("matmul with several batch dims including a size-1 one computes every batch") {
  manual_seed(5);
  Tensor a = randn({2, 1, 3, 4}, DType::Float64), b = randn({2, 1, 4, 3}, DType::Float64);
  Tensor c = ops::matmul(a, b);
  CHECK(c.sizes() == (Shape{2, 1, 3, 3}));
  for (int bi = 0; bi < 2; ++bi)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        double acc = 0;
        for (int k = 0; k < 4; ++k) acc += read_scalar(a, bi * 12 + i * 4 + k) * read_scalar(b, bi * 12 + k * 3 + j);
        CHECK_NEAR(read_scalar(c, bi * 9 + i * 3 + j), acc, 1e-12);
      }
  Tensor d = ops::matmul(randn({3, 1, 2, 4}, DType::Float64), randn({1, 5, 4, 2}, DType::Float64));
  CHECK(d.sizes() == (Shape{3, 5, 2, 2}));
}

// Composite ops run on a device only where all their parts do (op_for_device), so the
// declared parts must cover every op their forwards call. Each forward runs here on the
// CPU over its branches (masks of each kind, causal, dropout, layouts), with call_op's trace.
TEST_CASE("composite ops: declared parts cover every op their forwards call; supports() follows the parts") {
  for (const OpDef* op : op_table()) {
    if (op->grad != GradKind::Composite) {
      CHECK(composite_parts(*op) == nullptr);
      continue;
    }
    const std::vector<std::string>* parts = composite_parts(*op);
    if (!parts) ::nwtest::fail(__FILE__, __LINE__, std::string("composite op '") + op->name + "' declares no parts in core/op.cpp");
    else
      for (const auto& p : *parts)
        if (!find_op(p)) ::nwtest::fail(__FILE__, __LINE__, std::string(op->name) + " declares unknown part '" + p + "'");
  }
  manual_seed(3);
  auto f32 = [](Shape s) { return randn(s, DType::Float32); };
  const int64_t E = 8, H = 2, L = 3, S = 4, N = 2;
  Tensor bool_mask = ops::compare("gt", f32({L, S}), zeros({}, DType::Float32));
  Tensor pad = ops::compare("gt", f32({N, S}), zeros({}, DType::Float32));
  Tensor w_in = f32({3 * E, E}), b_in = f32({3 * E}), w_out = f32({E, E}), b_out = f32({E});
  struct Run {
    const char* op;
    TensorList in;
    Attrs attrs;
  };
  const std::vector<Run> runs = {
      {"stack", {f32({2, 3}), f32({2, 3})}, {{"dim", int64_t(1)}}},
      {"scaled_dot_product_attention", {f32({N, H, L, E}), f32({N, H, S, E}), f32({N, H, S, E})}, {}},
      {"scaled_dot_product_attention", {f32({N, L, E}), f32({N, S, E}), f32({N, S, E}), bool_mask}, {}},
      {"scaled_dot_product_attention", {f32({N, L, E}), f32({N, S, E}), f32({N, S, E}), f32({L, S})}, {}},
      {"scaled_dot_product_attention", {f32({N, L, E}), f32({N, L, E}), f32({N, L, E})},
       {{"is_causal", true}, {"dropout_p", 0.5}, {"training", true}}},
      {"multi_head_attention", {f32({L, N, E}), f32({S, N, E}), f32({S, N, E}), w_in, b_in, w_out, b_out},
       {{"num_heads", H}, {"embed_dim", E}}},
      {"multi_head_attention", {f32({N, L, E}), f32({N, S, E}), f32({N, S, E}), w_in, b_in, w_out, b_out, pad, bool_mask},
       {{"num_heads", H}, {"batch_first", true}, {"dropout", 0.5}, {"training", true}, {"average_attn_weights", false}}},
      {"multi_head_attention", {f32({L, E}), f32({S, E}), f32({S, E}), w_in, b_in, w_out, b_out, Tensor(), f32({H, L, S})},
       {{"num_heads", H}, {"need_weights", false}}},
  };
  std::set<std::string> covered;
  for (const auto& r : runs) {
    const OpDef* op = find_op(r.op);
    const std::vector<std::string>* parts = op ? composite_parts(*op) : nullptr;
    if (!parts) continue;  // reported above
    covered.insert(r.op);
    std::vector<OpCall> calls;
    trace_op_calls(&calls);
    try {
      call_op(*op, r.in, r.attrs);
    } catch (const std::exception& e) {
      trace_op_calls(nullptr);
      ::nwtest::fail(__FILE__, __LINE__, std::string(r.op) + " failed: " + e.what());
      continue;
    }
    trace_op_calls(nullptr);
    CHECK(!calls.empty() && calls[0].name == r.op && calls[0].depth == 0);
    for (const auto& c : calls)
      if (c.depth == 1 && std::find(parts->begin(), parts->end(), c.name) == parts->end())
        ::nwtest::fail(__FILE__, __LINE__, std::string(r.op) + " calls '" + c.name + "', which its parts (core/op.cpp) leave out");
  }
  for (const OpDef* op : op_table())
    if (op->grad == GradKind::Composite && !covered.count(op->name))
      ::nwtest::fail(__FILE__, __LINE__, std::string("composite op '") + op->name + "' has no traced run in this test; add one");
  // supports(): a composite op is claimed for a device exactly when all its parts are.
  for (const Device d : {Device{}, Device{DeviceType::CUDA, 0}})
    for (const OpDef* op : op_table()) {
      const std::vector<std::string>* parts = composite_parts(*op);
      if (!parts) continue;
      bool all = true;
      for (const auto& p : *parts) all = all && supports(p, d);
      CHECK(supports(op->name, d) == all);
    }
}
