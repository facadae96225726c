// CUDA versions of the shape, linalg, embedding and recurrent ops (and the attention
// composites built on them) against the CPU ops: forward values and input gradients for
// the same inputs and output gradients. Without a CUDA device the parity cases skip and
// say so; the registry checks run wherever the CUDA backend is compiled in.
#include <cmath>
#include <cstdio>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/ops.h"
#include "test.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

using namespace nw;

#ifdef NW_WITH_CUDA
namespace {

const char* const kOps[] = {"reshape", "permute", "transpose", "expand",   "slice",        "squeeze", "unsqueeze",
                            "flatten", "contiguous", "cat",     "split",    "gather",       "index_select",
                            "one_hot", "to_dtype", "matmul",    "bmm",      "addmm",        "linear",
                            "embedding", "rnn",    "lstm",      "gru"};

bool have_device() {
  if (cuda::device_count() > 0) return true;
  static bool said = false;
  if (!said) std::fprintf(stderr, "  SKIP cuda parity (shape/linalg/embedding/recurrent): no CUDA device\n");
  said = true;
  return false;
}

const Device kCuda{DeviceType::CUDA, 0};

Tensor to_cpu(const Tensor& t) { return t.defined() ? to_device(t, Device{}) : Tensor(); }

// A leaf copy of `t` on `device`, requiring grad when it is floating and `grad`.
Tensor leaf(const Tensor& t, Device device, bool grad) {
  if (!t.defined()) return t;
  Tensor c = to_device(t.detach(), device).detach();
  if (grad && is_floating(c.dtype())) c.set_requires_grad(true);
  return c;
}

double worst_rel(const Tensor& a, const Tensor& b) {
  Tensor x = to_dtype(to_cpu(a).contiguous(), DType::Float64), y = to_dtype(to_cpu(b).contiguous(), DType::Float64);
  if (x.sizes() != y.sizes()) return INFINITY;
  double w = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double p = x.data<double>()[i], q = y.data<double>()[i];
    if (std::isnan(p) && std::isnan(q)) continue;
    if (std::isinf(p) && p == q) continue;
    w = std::max(w, std::fabs(p - q) / (1.0 + std::fabs(q)));
  }
  return w;
}

// Runs `op` on the CPU and on cuda:0 with the same inputs, compares every output, then
// backpropagates the same random output gradients and compares every input gradient.
void parity(const std::string& op, const TensorList& in, const Attrs& at, double tol, bool grads = true) {
  TensorList cpu_in, gpu_in;
  for (const Tensor& t : in) {
    cpu_in.push_back(leaf(t, Device{}, grads));
    gpu_in.push_back(leaf(t, kCuda, grads));
  }
  TensorList co = call_op(op, cpu_in, at), go = call_op(op, gpu_in, at);
  CHECK(co.size() == go.size());
  for (size_t i = 0; i < co.size() && i < go.size(); ++i) {
    CHECK(co[i].defined() == go[i].defined());
    if (!co[i].defined() || !go[i].defined()) continue;
    CHECK(go[i].device() == kCuda);
    CHECK(co[i].dtype() == go[i].dtype());
    const double w = worst_rel(go[i], co[i]);
    if (!(w <= tol)) std::fprintf(stderr, "    %s output %zu differs by %g\n", op.c_str(), i, w);
    CHECK(w <= tol);
  }
  if (!grads) return;
  TensorList cout, gout, cg, gg;
  for (size_t i = 0; i < co.size(); ++i) {
    if (!co[i].defined() || !co[i].requires_grad()) continue;
    Tensor g = randn(co[i].sizes(), co[i].dtype());
    cout.push_back(co[i]);
    gout.push_back(go[i]);
    cg.push_back(g);
    gg.push_back(to_device(g, kCuda));
  }
  if (cout.empty()) return;
  backward(cout, cg);
  backward(gout, gg);
  for (size_t i = 0; i < in.size(); ++i) {
    if (!cpu_in[i].defined() || !cpu_in[i].requires_grad()) continue;
    CHECK(cpu_in[i].grad().defined() == gpu_in[i].grad().defined());
    if (!cpu_in[i].grad().defined() || !gpu_in[i].grad().defined()) continue;
    CHECK(gpu_in[i].grad().device() == kCuda);
    const double w = worst_rel(gpu_in[i].grad(), cpu_in[i].grad());
    if (!(w <= tol)) std::fprintf(stderr, "    %s gradient of input %zu differs by %g\n", op.c_str(), i, w);
    CHECK(w <= tol);
  }
}

// Both devices throw, with the same code and message.
void same_error(const std::string& op, const TensorList& in, const Attrs& at) {
  std::string cpu_msg, gpu_msg, cpu_code, gpu_code;
  try {
    call_op(op, in, at);
  } catch (const Error& e) {
    cpu_code = e.code;
    cpu_msg = e.what();
  }
  TensorList gin;
  for (const Tensor& t : in) gin.push_back(leaf(t, kCuda, false));
  try {
    call_op(op, gin, at);
  } catch (const Error& e) {
    gpu_code = e.code;
    gpu_msg = e.what();
  }
  CHECK(!cpu_code.empty());
  CHECK(cpu_code == gpu_code);
  if (cpu_msg != gpu_msg) std::fprintf(stderr, "    cpu: %s\n    cuda: %s\n", cpu_msg.c_str(), gpu_msg.c_str());
  CHECK(cpu_msg == gpu_msg);
}

Tensor ids(std::initializer_list<int64_t> v, Shape shape) {
  Tensor t = empty(shape, DType::Int64);
  int64_t i = 0;
  for (int64_t x : v) t.data<int64_t>()[i++] = x;
  return t;
}

}  // namespace

TEST_CASE("cuda: shape, linalg, embedding and recurrent ops are registered with the CPU op's arity and gradient kind") {
  for (const char* name : kOps) {
    const OpDef* cpu = find_op(name);
    const OpDef* gpu = cuda::find_op(name);
    CHECK(cpu != nullptr);
    CHECK(gpu != nullptr);
    if (!cpu || !gpu) continue;
    CHECK(gpu->num_inputs == cpu->num_inputs);
    CHECK(gpu->grad == cpu->grad);
    CHECK((gpu->backward != nullptr) == (cpu->grad == GradKind::Differentiable));
  }
  const std::string backend = cuda::gemm_backend();
  CHECK(backend.rfind("cublas", 0) == 0 || backend.rfind("built-in kernel (", 0) == 0);
}

TEST_CASE("cuda: matmul in every CPU case (1-D operands, broadcast batches, transposed views, integers), bmm, addmm, linear") {
  if (!have_device()) return;
  manual_seed(1);
  const double tol = 1e-4;
  parity("matmul", {randn({7}), randn({7})}, {}, tol);
  parity("matmul", {randn({7}), randn({7, 5})}, {}, tol);
  parity("matmul", {randn({4, 7}), randn({7})}, {}, tol);
  parity("matmul", {randn({3, 4, 7}), randn({7})}, {}, tol);
  parity("matmul", {randn({7}), randn({2, 7, 5})}, {}, tol);
  parity("matmul", {randn({2, 1, 4, 7}), randn({3, 7, 5})}, {}, tol);
  parity("matmul", {randn({3, 4, 7}), randn({7, 5})}, {}, tol);
  parity("matmul", {ops::transpose(randn({7, 4}), 0, 1), ops::transpose(randn({5, 7}), 0, 1)}, {}, tol);
  parity("matmul", {ops::permute(randn({4, 3, 7}), {1, 0, 2}), randn({3, 7, 5})}, {}, tol);
  parity("matmul", {randn({1, 4, 7}), randn({5, 7, 3})}, {}, tol);
  parity("matmul", {randn({2, 3}, DType::Float64), randn({3, 2}, DType::Float32)}, {}, 1e-6);
  parity("matmul", {randn({0, 3}), randn({3, 4})}, {}, tol);
  parity("matmul", {randn({4, 0}), randn({0, 3})}, {}, tol);
  Tensor ia = randint(-5, 5, {3, 4}), ib = randint(-5, 5, {4, 2});
  parity("matmul", {ia, ib}, {}, 0, false);
  parity("matmul", {to_dtype(ia, DType::Int32), to_dtype(ib, DType::Int32)}, {}, 0, false);
  // Odd sizes around the tile edges, both tile configurations, both float dtypes.
  for (auto dt : {DType::Float32, DType::Float64}) {
    parity("matmul", {randn({130, 33}, dt), randn({33, 70}, dt)}, {}, tol);
    parity("matmul", {ops::transpose(randn({33, 130}, dt), 0, 1), ops::transpose(randn({70, 33}, dt), 0, 1)}, {}, tol);
    parity("matmul", {randn({1030, 257}, dt), randn({257, 1100}, dt)}, {}, tol);
    parity("matmul", {randn({5, 1}, dt), randn({1, 9}, dt)}, {}, tol);
  }
  parity("bmm", {randn({3, 4, 6}), randn({3, 6, 5})}, {}, tol);
  parity("addmm", {randn({5}), randn({4, 6}), randn({6, 5})}, {}, tol);
  parity("addmm", {randn({4, 5}), randn({4, 6}), randn({6, 5})}, {{"beta", 0.5}, {"alpha", -2.0}}, tol);
  parity("addmm", {randn({1, 5}), ops::transpose(randn({6, 4}), 0, 1), randn({6, 5})}, {{"beta", 0.0}}, tol);
  parity("addmm", {randn({4, 5}, DType::Float64), randn({4, 6}), randn({6, 5})}, {{"alpha", 3.0}}, 1e-6);
  parity("linear", {randn({2, 3, 6}), randn({4, 6}), randn({4})}, {}, tol);
  parity("linear", {randn({9, 6}), randn({4, 6}), Tensor()}, {}, tol);
  parity("linear", {randn({6}), randn({4, 6}), randn({4})}, {}, tol);
  parity("linear", {ops::transpose(randn({6, 9}), 0, 1), randn({4, 6}), randn({4})}, {}, tol);
  parity("linear", {randn({300, 70}, DType::Float64), randn({40, 70}, DType::Float64), randn({40}, DType::Float64)}, {}, tol);
}

TEST_CASE("cuda: views, cat, split, slice gradients, gather, index_select and one_hot match the CPU") {
  if (!have_device()) return;
  manual_seed(2);
  const double tol = 1e-6;
  Tensor x = randn({3, 4, 5});
  parity("reshape", {x}, {{"shape", Shape{4, -1}}}, tol);
  parity("permute", {x}, {{"dims", Shape{2, 0, 1}}}, tol);
  parity("transpose", {x}, {{"dim0", int64_t(0)}, {"dim1", int64_t(2)}}, tol);
  parity("slice", {x}, {{"dim", int64_t(1)}, {"start", int64_t(1)}, {"end", int64_t(4)}, {"step", int64_t(2)}}, tol);
  parity("squeeze", {randn({3, 1, 5})}, {}, tol);
  parity("unsqueeze", {x}, {{"dim", int64_t(-1)}}, tol);
  parity("flatten", {x}, {{"start_dim", int64_t(1)}}, tol);
  parity("contiguous", {ops::transpose(x, 0, 1)}, {}, tol);
  parity("cat", {randn({2, 3}), randn({4, 3}), randn({1, 3}, DType::Float64)}, {{"dim", int64_t(0)}}, tol);
  parity("split", {x}, {{"dim", int64_t(1)}, {"split_size", int64_t(3)}}, tol);
  parity("split", {x}, {{"dim", int64_t(-1)}, {"sizes", Shape{1, 4}}}, tol);
  parity("cat", {randn({2, 3}), randn({2, 1})}, {{"dim", int64_t(-1)}}, tol);
  parity("expand", {randn({3, 1})}, {{"shape", Shape{2, 3, 4}}}, tol);
  parity("slice", {x}, {{"dim", int64_t(2)}, {"start", int64_t(-3)}, {"end", int64_t(-1)}}, tol);
  parity("to_dtype", {x}, {{"dtype", std::string("float64")}}, tol);
  Tensor gi = ids({0, 2, -1, 1, 0, 1, 2, 2}, {2, 4});
  parity("gather", {randn({3, 4}), gi}, {{"dim", int64_t(0)}}, tol);
  parity("gather", {randn({2, 5}), ids({4, 0, 4, 1, 2, 3}, {2, 3})}, {{"dim", int64_t(1)}}, tol);
  parity("gather", {ids({5, 6, 7, 8}, {2, 2}), ids({1, 0, 0, 0}, {2, 2})}, {{"dim", int64_t(1)}}, 0, false);
  parity("index_select", {x, ids({2, 0, 2, -1}, {4})}, {{"dim", int64_t(1)}}, tol);
  parity("index_select", {ops::transpose(x, 0, 2), ids({1}, {1})}, {{"dim", int64_t(0)}}, tol);
  parity("one_hot", {ids({0, 3, 1, 1}, {2, 2})}, {}, 0, false);
  parity("one_hot", {ids({0, 3, 1, 1}, {4})}, {{"num_classes", int64_t(6)}}, 0, false);
  same_error("gather", {randn({3, 4}), ids({0, 3, 1, 0}, {2, 2})}, {{"dim", int64_t(0)}});
  same_error("index_select", {x, ids({0, 7}, {2})}, {{"dim", int64_t(2)}});
  same_error("one_hot", {ids({0, 3, 1}, {3})}, {{"num_classes", int64_t(3)}});
  same_error("one_hot", {ids({0, -1, 1}, {3})}, {});
}

TEST_CASE("cuda: embedding with padding_idx, max_norm (in place), scale_grad_by_freq and int32 ids matches the CPU") {
  if (!have_device()) return;
  manual_seed(3);
  Tensor tok = ids({1, 4, 4, 0, 2, 4, 1, 3}, {2, 4});
  parity("embedding", {tok, randn({6, 5})}, {}, 1e-6);
  parity("embedding", {tok, randn({6, 5})}, {{"padding_idx", int64_t(4)}, {"scale_grad_by_freq", true}}, 1e-6);
  parity("embedding", {to_dtype(tok, DType::Int32), randn({6, 5}, DType::Float64)}, {{"padding_idx", int64_t(-2)}}, 1e-9);
  // max_norm renormalises the looked-up rows of the weight itself.
  Tensor w = ops::mul_scalar(randn({6, 40}), 3.0);
  Tensor wc = w.clone(), wg = to_device(w, kCuda);
  Attrs renorm{{"max_norm", 2.0}, {"norm_type", 1.5}};
  Tensor yc = call_op("embedding", {tok, wc}, renorm)[0];
  Tensor yg = call_op("embedding", {to_device(tok, kCuda), wg}, renorm)[0];
  CHECK(worst_rel(yg, yc) < 1e-5);
  CHECK(worst_rel(wg, wc) < 1e-5);
  same_error("embedding", {ids({0, 6}, {2}), randn({6, 5})}, {});
}

TEST_CASE("cuda: rnn, lstm and gru (layers, bidirectional, batch_first, states, unbatched, no bias) match the CPU") {
  if (!have_device()) return;
  manual_seed(4);
  struct Case {
    const char* op;
    int64_t T, N, I, H, L;
    bool bidir, batch_first, bias, states, relu, unbatched;
  };
  const Case cases[] = {
      {"lstm", 5, 3, 4, 6, 2, true, false, true, true, false, false},
      {"lstm", 4, 2, 3, 5, 1, false, true, false, false, false, false},
      {"lstm", 3, 1, 4, 4, 1, true, false, true, true, false, true},
      {"gru", 5, 3, 4, 6, 2, true, true, true, true, false, false},
      {"gru", 4, 2, 3, 5, 1, false, false, false, false, false, false},
      {"rnn", 6, 3, 4, 5, 2, true, false, true, true, false, false},
      {"rnn", 6, 3, 4, 5, 1, false, true, true, false, true, false},
      {"rnn", 5, 2, 3, 4, 2, true, true, false, true, true, false},
      {"gru", 4, 1, 3, 5, 2, true, false, true, true, false, true},
      {"lstm", 3, 70, 8, 40, 1, false, true, true, true, false, false},
  };
  for (const Case& c : cases) {
    const std::string op = c.op;
    const int64_t G = op == "lstm" ? 4 : op == "gru" ? 3 : 1, D = c.bidir ? 2 : 1;
    Shape xs = c.unbatched ? Shape{c.T, c.I} : (c.batch_first ? Shape{c.N, c.T, c.I} : Shape{c.T, c.N, c.I});
    Shape ss = c.unbatched ? Shape{c.L * D, c.H} : Shape{c.L * D, c.N, c.H};
    TensorList in{randn(xs), c.states ? randn(ss) : Tensor()};
    if (op == "lstm") in.push_back(c.states ? randn(ss) : Tensor());
    for (int64_t l = 0; l < c.L; ++l)
      for (int64_t d = 0; d < D; ++d) {
        const int64_t isz = l == 0 ? c.I : D * c.H;
        in.push_back(ops::mul_scalar(randn({G * c.H, isz}), 0.4));
        in.push_back(ops::mul_scalar(randn({G * c.H, c.H}), 0.4));
        if (c.bias) {
          in.push_back(ops::mul_scalar(randn({G * c.H}), 0.4));
          in.push_back(ops::mul_scalar(randn({G * c.H}), 0.4));
        }
      }
    Attrs at{{"num_layers", c.L}, {"bidirectional", c.bidir}, {"batch_first", c.batch_first}, {"bias", c.bias}};
    if (c.relu) at.set("nonlinearity", std::string("relu"));
    parity(op, in, at, 1e-4);
  }
  // Inter-layer dropout: eval mode is deterministic and equal; training keeps the output's shape.
  TensorList in{randn({4, 2, 3}), Tensor(), Tensor()};
  for (int64_t l = 0; l < 2; ++l) {
    in.push_back(randn({16, l == 0 ? 3 : 4}));
    in.push_back(randn({16, 4}));
    in.push_back(randn({16}));
    in.push_back(randn({16}));
  }
  parity("lstm", in, {{"num_layers", int64_t(2)}, {"dropout", 0.5}, {"training", false}}, 1e-4);
  TensorList gin;
  for (const Tensor& t : in) gin.push_back(leaf(t, kCuda, true));
  TensorList out = call_op("lstm", gin, {{"num_layers", int64_t(2)}, {"dropout", 0.5}, {"training", true}});
  CHECK(out[0].sizes() == (Shape{4, 2, 4}));
  backward({out[0]}, {to_device(randn({4, 2, 4}), kCuda)});
  CHECK(gin[0].grad().defined());
}

TEST_CASE("cuda: attention composites (bool and float masks, is_causal, key padding) run on the device like the CPU") {
  if (!have_device()) return;
  manual_seed(5);
  try {
    parity("scaled_dot_product_attention", {randn({2, 3, 4, 8}), randn({2, 3, 5, 8}), randn({2, 3, 5, 6})}, {}, 1e-4);
    Tensor bmask = to_dtype(randint(0, 2, {4, 5}), DType::Bool);
    parity("scaled_dot_product_attention",
           {randn({2, 4, 8}), randn({2, 5, 8}), randn({2, 5, 6}), bmask}, {}, 1e-4);
    parity("scaled_dot_product_attention", {randn({2, 4, 8}), randn({2, 6, 8}), randn({2, 6, 6})}, {{"is_causal", true}},
           1e-4);
    const int64_t E = 8;
    Tensor kpm = to_dtype(ids({0, 0, 1, 0, 0, 0, 0, 1}, {2, 4}), DType::Bool);
    parity("multi_head_attention",
           {randn({3, 2, E}), randn({4, 2, E}), randn({4, 2, E}), randn({3 * E, E}), randn({3 * E}), randn({E, E}),
            randn({E}), kpm},
           {{"num_heads", int64_t(2)}}, 1e-4);
  } catch (const Error& e) {
    if (e.code != "E_UNSUPPORTED") throw;
    std::fprintf(stderr, "  SKIP cuda attention parity: %s\n", e.what());
  }
}
#endif
