// CUDA vs CPU for the math families (elementwise, reductions, softmax, losses): outputs
// and gradients on shapes that reach every kernel layout (warp/block/thread rows, split
// rows, strided and broadcast operands, empty tensors), NaN and tie rules, and errors
// raised on the device. Skips, saying so, without a CUDA build or device.
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/ops.h"
#include "test.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

using namespace nw;

namespace {

bool have_cuda(const char* name) {
#ifdef NW_WITH_CUDA
  if (cuda::device_count() > 0) return true;
  std::fprintf(stderr, "  SKIP %s: no CUDA device on this machine\n", name);
#else
  std::fprintf(stderr, "  SKIP %s: engine built without CUDA\n", name);
#endif
  return false;
}
#define REQUIRE_CUDA(name) \
  if (!have_cuda(name)) return

const Device kCuda{DeviceType::CUDA, 0};

Tensor host64(const Tensor& t) { return to_dtype(to_device(t, Device{}), DType::Float64).contiguous(); }

// gpu must be on cuda, with cpu's shape and dtype and values within tol (relative, with
// the same absolute floor); NaN matches NaN, integers and bools exactly.
void expect_close(const std::string& what, const Tensor& cpu, const Tensor& gpu, double tol) {
  if (!cpu.defined() || !gpu.defined()) {
    if (cpu.defined() != gpu.defined()) nwtest::fail(__FILE__, __LINE__, what + ": defined on one device only");
    return;
  }
  if (gpu.device().type != DeviceType::CUDA) nwtest::fail(__FILE__, __LINE__, what + ": result left the device");
  if (cpu.sizes() != gpu.sizes() || cpu.dtype() != gpu.dtype()) {
    nwtest::fail(__FILE__, __LINE__,
                 what + ": cpu " + shape_str(cpu.sizes()) + " " + dtype_name(cpu.dtype()) + " vs cuda " +
                     shape_str(gpu.sizes()) + " " + dtype_name(gpu.dtype()));
    return;
  }
  Tensor a = host64(cpu), b = host64(gpu);
  const double* pa = a.data<double>();
  const double* pb = b.data<double>();
  const double t = is_floating(cpu.dtype()) ? tol : 0.0;
  int reported = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = pa[i], y = pb[i];
    bool ok = (std::isnan(x) && std::isnan(y)) || x == y || std::fabs(x - y) <= t * std::max(1.0, std::fabs(x));
    if (!ok && reported++ < 3)
      nwtest::fail(__FILE__, __LINE__,
                   what + ": element " + std::to_string(i) + " cpu " + std::to_string(x) + " cuda " + std::to_string(y));
  }
}

using Fn = std::function<TensorList(const TensorList&)>;

// Runs f on the CPU inputs and on cuda copies; compares the outputs and, for float
// inputs, the gradients of every float output against a random upstream gradient.
void parity(const std::string& what, const TensorList& inputs, const Fn& f, double tol = 1e-4, bool grads = true) {
  TensorList cin, gin;
  for (const auto& t : inputs) {
    Tensor c = t.defined() ? t.clone() : Tensor();
    Tensor g = t.defined() ? to_device(t, kCuda) : Tensor();
    if (grads && t.defined() && is_floating(t.dtype())) {
      c.set_requires_grad(true);
      g.set_requires_grad(true);
    }
    cin.push_back(c);
    gin.push_back(g);
  }
  TensorList cout, gout;
  try {
    cout = f(cin);
    gout = f(gin);
  } catch (const std::exception& e) {
    nwtest::fail(__FILE__, __LINE__, what + ": threw " + e.what());
    return;
  }
  if (cout.size() != gout.size()) {
    nwtest::fail(__FILE__, __LINE__, what + ": different number of outputs");
    return;
  }
  for (size_t i = 0; i < cout.size(); ++i) expect_close(what + " out" + std::to_string(i), cout[i], gout[i], tol);
  if (!grads) return;
  TensorList couts, gouts, cups, gups, cx, gx;
  for (size_t i = 0; i < cout.size(); ++i) {
    if (!cout[i].defined() || !cout[i].requires_grad()) continue;
    Tensor up = randn(cout[i].sizes(), cout[i].dtype());
    couts.push_back(cout[i]);
    gouts.push_back(gout[i]);
    cups.push_back(up);
    gups.push_back(to_device(up, kCuda));
  }
  for (size_t i = 0; i < cin.size(); ++i) {
    if (cin[i].defined() && cin[i].requires_grad()) {
      cx.push_back(cin[i]);
      gx.push_back(gin[i]);
    }
  }
  if (couts.empty() || cx.empty()) return;
  try {
    TensorList cg = grad(couts, cx, cups, false, true);
    TensorList gg = grad(gouts, gx, gups, false, true);
    for (size_t i = 0; i < cg.size(); ++i) expect_close(what + " grad" + std::to_string(i), cg[i], gg[i], tol);
  } catch (const std::exception& e) {
    nwtest::fail(__FILE__, __LINE__, what + ": backward threw " + e.what());
  }
}

Tensor transposed(const Tensor& t) {  // a non-contiguous view of a 2-D tensor
  return make_view(t, {t.sizes()[1], t.sizes()[0]}, {t.strides()[1], t.strides()[0]}, t.offset());
}
Tensor with_nans(Tensor t, int every) {
  Tensor c = t.contiguous().clone();
  for (int64_t i = 0; i < c.numel(); i += every) c.data<float>()[i] = std::numeric_limits<float>::quiet_NaN();
  return c;
}
Tensor small_ints(const Shape& s, int64_t lo, int64_t hi, DType dt) { return to_dtype(randint(lo, hi, s), dt); }

// The error an op raises on the CPU must be the one it raises on cuda (code and message).
void same_error(const std::string& what, const std::function<void(Device)>& run) {
  std::string cpu_msg = "(no error)", gpu_msg = "(no error)";
  try {
    run(Device{});
  } catch (const Error& e) {
    cpu_msg = e.code + ": " + e.what();
  }
  try {
    run(kCuda);
  } catch (const Error& e) {
    gpu_msg = e.code + ": " + e.what();
  }
  if (cpu_msg == "(no error)" || cpu_msg != gpu_msg)
    nwtest::fail(__FILE__, __LINE__, what + ": cpu '" + cpu_msg + "' vs cuda '" + gpu_msg + "'");
}

}  // namespace

TEST_CASE("cuda elementwise: arithmetic, promotion, broadcasting, NaN, gradients match the CPU") {
  REQUIRE_CUDA("cuda elementwise");
  manual_seed(1);
  Tensor a = randn({4, 1, 5}), b = randn({3, 1});
  parity("add alpha", {a, b}, [](const TensorList& x) { return TensorList{ops::add(x[0], x[1], 2.5)}; });
  parity("sub", {a, b}, [](const TensorList& x) { return TensorList{ops::sub(x[0], x[1])}; });
  parity("mul", {a, b}, [](const TensorList& x) { return TensorList{ops::mul(x[0], x[1])}; });
  parity("div", {a, b}, [](const TensorList& x) { return TensorList{ops::div(x[0], x[1])}; });
  parity("pow", {ops::add_scalar(ops::abs(a), 0.1), b},
         [](const TensorList& x) { return TensorList{ops::pow(x[0], x[1])}; });
  Tensor ties = small_ints({6, 5}, -2, 3, DType::Float32), ties2 = small_ints({6, 5}, -2, 3, DType::Float32);
  parity("maximum ties", {ties, ties2}, [](const TensorList& x) { return TensorList{ops::maximum(x[0], x[1])}; });
  parity("minimum ties", {ties, ties2}, [](const TensorList& x) { return TensorList{ops::minimum(x[0], x[1])}; });
  parity("maximum nan", {with_nans(randn({20}), 3), randn({20})},
         [](const TensorList& x) { return TensorList{ops::maximum(x[0], x[1])}; }, 1e-4, false);
  // Strided operand (a view made inside f: clones and device copies are contiguous).
  parity("transposed operand", {randn({5, 7}), randn({7, 5}, DType::Float64)},
         [](const TensorList& x) { return TensorList{ops::mul(transposed(x[0]), x[1])}; });
  // Integers, uint8 wrap-around, bool, 0-d scalars (result_type), integer division -> float.
  Tensor i32 = small_ints({6, 7}, -50, 50, DType::Int32), u8 = small_ints({7}, 0, 255, DType::UInt8);
  parity("int add", {i32, u8}, [](const TensorList& x) { return TensorList{ops::add(x[0], x[1], 3.0)}; });
  parity("uint8 mul wraps", {u8, u8}, [](const TensorList& x) { return TensorList{ops::mul(x[0], x[1])}; });
  parity("int div is true division", {i32, small_ints({7}, 1, 9, DType::Int64)},
         [](const TensorList& x) { return TensorList{ops::div(x[0], x[1])}; });
  parity("int pow", {small_ints({9}, -3, 4, DType::Int64), small_ints({9}, -1, 5, DType::Int64)},
         [](const TensorList& x) { return TensorList{ops::pow(x[0], x[1])}; });
  Tensor bools = ops::compare("gt", randn({12}), scalar_tensor(0.0));
  parity("bool add", {bools, ops::compare("lt", randn({12}), scalar_tensor(0.0))},
         [](const TensorList& x) { return TensorList{ops::add(x[0], x[1]), ops::mul(x[0], x[1])}; });
  parity("0-d float with int tensor", {i32, scalar_tensor(0.5, DType::Float64)},
         [](const TensorList& x) { return TensorList{ops::mul(x[0], x[1])}; });
  for (const char* cmp : {"eq", "ne", "lt", "le", "gt", "ge"})
    parity(cmp, {ties, small_ints({5}, -2, 3, DType::Int64)},
           [cmp](const TensorList& x) { return TensorList{ops::compare(cmp, x[0], x[1])}; });
  parity("where", {bools, randn({3, 12}), randn({12}, DType::Float64)},
         [](const TensorList& x) { return TensorList{ops::where(x[0], x[1], x[2])}; });
  same_error("where needs a bool condition", [](Device d) {
    ops::where(to_device(randn({3}), d), to_device(randn({3}), d), to_device(randn({3}), d));
  });
  same_error("sub of bools", [&](Device d) { ops::sub(to_device(bools, d), to_device(bools, d)); });
}

TEST_CASE("cuda unary math and add_ match the CPU") {
  REQUIRE_CUDA("cuda unary");
  manual_seed(2);
  Tensor x = randn({33, 7});
  Tensor pos = ops::add_scalar(ops::abs(x), 0.05);
  parity("neg", {x}, [](const TensorList& t) { return TensorList{ops::neg(t[0])}; });
  parity("exp", {x}, [](const TensorList& t) { return TensorList{ops::exp(t[0])}; });
  parity("log", {pos}, [](const TensorList& t) { return TensorList{ops::log(t[0])}; });
  parity("sqrt", {pos}, [](const TensorList& t) { return TensorList{ops::sqrt(t[0])}; });
  parity("abs", {x}, [](const TensorList& t) { return TensorList{ops::abs(t[0])}; });
  parity("clamp", {x}, [](const TensorList& t) { return TensorList{ops::clamp(t[0], -0.5, 0.7)}; });
  parity("clamp nan", {with_nans(x, 5)}, [](const TensorList& t) { return TensorList{ops::clamp(t[0], -0.5, 0.7), ops::abs(t[0])}; },
         1e-4, false);
  parity("pow_scalar 2", {x}, [](const TensorList& t) { return TensorList{ops::pow_scalar(t[0], 2.0)}; });
  parity("pow_scalar 3.5", {pos}, [](const TensorList& t) { return TensorList{ops::pow_scalar(t[0], 3.5)}; });
  parity("int unary", {small_ints({40}, -9, 9, DType::Int32)}, [](const TensorList& t) {
    return TensorList{ops::neg(t[0]), ops::abs(t[0]), ops::pow_scalar(t[0], 3.0), ops::pow_scalar(t[0], 0.5),
                      ops::exp(t[0]), ops::clamp(t[0], -2.5, 4.0)};
  });
  // add_: in place into a strided view, b broadcast and converted.
  Tensor base_c = randn({6, 4});
  Tensor base_g = to_device(base_c, kCuda);
  Tensor b = randn({6}, DType::Float64);
  ops::add_(transposed(base_c), b, -0.5);
  ops::add_(transposed(base_g), to_device(b, kCuda), -0.5);
  expect_close("add_", base_c, base_g, 1e-6);
  CHECK_THROWS(ops::add_(base_c, to_device(randn({4}), kCuda)));  // devices differ
}

TEST_CASE("cuda reductions: every layout, NaN and tie rules, empty tensors, gradients match the CPU") {
  REQUIRE_CUDA("cuda reductions");
  manual_seed(3);
  Tensor wide = randn({64, 3000}), tall = randn({100000, 3}), cube = randn({5, 6, 7}, DType::Float64);
  auto sum_dims = [](std::vector<int64_t> dims, bool keep) {
    return [dims, keep](const TensorList& t) { return TensorList{ops::sum(t[0], dims, keep)}; };
  };
  parity("sum rows (warp, split)", {wide}, sum_dims({1}, false));
  parity("sum cols (thread)", {wide}, sum_dims({0}, true));
  parity("sum all (warp, split)", {wide}, sum_dims({}, false));
  parity("sum tall cols (thread, split)", {tall}, sum_dims({0}, false));
  parity("sum middle+last", {cube}, sum_dims({1, -1}, true));
  parity("sum transposed", {randn({300, 50})},
         [](const TensorList& t) { return TensorList{ops::sum(transposed(t[0]), {1})}; });
  parity("sum int32 -> int64", {small_ints({40, 9}, -100, 100, DType::Int32)}, sum_dims({0}, false));
  parity("sum bool", {ops::compare("gt", randn({40, 9}), scalar_tensor(0.0))}, sum_dims({}, false));
  parity("sum empty", {randn({0, 5})}, sum_dims({0}, false));
  parity("mean", {wide}, [](const TensorList& t) { return TensorList{ops::mean(t[0], {1}, true)}; });
  parity("mean empty is nan", {randn({5, 0})}, [](const TensorList& t) { return TensorList{ops::mean(t[0], {1})}; });
  for (double corr : {0.0, 1.0}) {
    Attrs at{{"dim", std::vector<int64_t>{0}}, {"correction", corr}};
    parity("var", {tall}, [at](const TensorList& t) { return call_op("var", {t[0]}, at); });
    parity("std", {cube}, [at](const TensorList& t) { return call_op("std", {t[0]}, at); });
  }
  parity("std all keepdim", {wide}, [](const TensorList& t) { return call_op("std", {t[0]}, {{"keepdim", true}}); });
  Tensor ties = small_ints({50, 40}, 0, 4, DType::Float32);
  for (const char* op : {"max", "min"}) {
    parity(std::string(op) + " dim ties", {ties}, [op](const TensorList& t) { return call_op(op, {t[0]}, {{"dim", int64_t(1)}}); });
    parity(std::string(op) + " dim 0 keepdim", {wide},
           [op](const TensorList& t) { return call_op(op, {t[0]}, {{"dim", int64_t(0)}, {"keepdim", true}}); });
    parity(std::string(op) + " global ties", {ties}, [op](const TensorList& t) { return call_op(op, {t[0]}); });
    parity(std::string(op) + " nan", {with_nans(randn({30, 70}), 23)},
           [op](const TensorList& t) { return call_op(op, {t[0]}, {{"dim", int64_t(1)}}); }, 1e-4, false);
  }
  for (const char* op : {"argmax", "argmin"}) {
    parity(op, {ties}, [op](const TensorList& t) { return call_op(op, {t[0]}); });
    parity(std::string(op) + " keepdim", {wide}, [op](const TensorList& t) { return call_op(op, {t[0]}, {{"keepdim", true}}); });
    parity(std::string(op) + " dim", {small_ints({7, 9}, -3, 3, DType::Int32)},
           [op](const TensorList& t) { return call_op(op, {t[0]}, {{"dim", int64_t(-1)}}); });
  }
  parity("sum_to", {randn({4, 3, 5})}, [](const TensorList& t) { return TensorList{ops::sum_to(t[0], {3, 1})}; });
  same_error("max of empty", [](Device d) { call_op("max", {to_device(randn({3, 0}), d)}, {{"dim", int64_t(1)}}); });
  same_error("argmax of empty", [](Device d) { call_op("argmax", {to_device(randn({0}), d)}); });
  same_error("mean of ints", [](Device d) { ops::mean(to_device(small_ints({3}, 0, 2, DType::Int32), d)); });
  same_error("repeated dim", [](Device d) { ops::sum(to_device(randn({3, 4}), d), {1, -1}); });
  same_error("sum_to bad shape", [](Device d) { ops::sum_to(to_device(randn({3, 4}), d), {2}); });
}

TEST_CASE("cuda softmax and log_softmax: thread, warp, block and strided rows match the CPU") {
  REQUIRE_CUDA("cuda softmax");
  manual_seed(4);
  struct Case {
    Shape shape;
    int64_t dim;
  };
  for (const Case& c : {Case{{8, 10}, 1}, Case{{8, 500}, -1}, Case{{4, 5000}, 1}, Case{{3000, 5}, 0},
                        Case{{2, 300, 7}, 1}, Case{{6000, 3}, 0}, Case{{}, 0}}) {
    for (const char* op : {"softmax", "log_softmax"}) {
      parity(std::string(op) + " " + shape_str(c.shape) + " dim " + std::to_string(c.dim), {randn(c.shape)},
             [op, c](const TensorList& t) { return call_op(op, {t[0]}, {{"dim", c.dim}}); });
    }
  }
  Tensor inf_rows = randn({4, 40});
  for (int64_t j = 0; j < 40; ++j) inf_rows.data<float>()[j] = -std::numeric_limits<float>::infinity();
  inf_rows.data<float>()[45] = std::numeric_limits<float>::quiet_NaN();
  for (const char* op : {"softmax", "log_softmax"})
    parity(std::string(op) + " -inf and nan rows", {inf_rows},
           [op](const TensorList& t) { return call_op(op, {t[0]}, {{"dim", int64_t(1)}}); }, 1e-4, false);
}

TEST_CASE("cuda losses: every option and reduction, gradients and device-side errors match the CPU") {
  REQUIRE_CUDA("cuda losses");
  manual_seed(5);
  Tensor logits = randn({64, 10});
  Tensor target = randint(0, 10, {64});
  for (int64_t i = 0; i < 64; i += 7) target.data<int64_t>()[i] = -100;
  Tensor weight = ops::add_scalar(rand({10}), 0.5);
  for (const char* red : {"mean", "sum", "none"}) {
    for (double eps : {0.0, 0.1}) {
      Attrs at{{"reduction", std::string(red)}, {"label_smoothing", eps}};
      parity(std::string("cross_entropy ") + red, {logits, target, weight},
             [at](const TensorList& t) { return call_op("cross_entropy", t, at); });
      parity(std::string("cross_entropy no weight ") + red, {logits, target, Tensor()},
             [at](const TensorList& t) { return call_op("cross_entropy", t, at); });
    }
    Attrs at{{"reduction", std::string(red)}};
    parity(std::string("nll_loss ") + red, {call_op("log_softmax", {logits}, {{"dim", int64_t(1)}})[0], target, weight},
           [at](const TensorList& t) { return call_op("nll_loss", t, at); });
    parity(std::string("cross_entropy probabilities ") + red,
           {logits, call_op("softmax", {randn({64, 10})}, {{"dim", int64_t(1)}})[0], weight},
           [at](const TensorList& t) { return call_op("cross_entropy", t, at); });
  }
  parity("cross_entropy spatial", {randn({2, 5, 3, 4}), randint(0, 5, {2, 3, 4}), Tensor()},
         [](const TensorList& t) { return call_op("cross_entropy", t, {{"ignore_index", int64_t(2)}}); });
  parity("cross_entropy 1-D", {randn({7}), randint(0, 7, {}), Tensor()},
         [](const TensorList& t) { return call_op("cross_entropy", t); });
  parity("cross_entropy wide (block rows)", {randn({4, 3000}), randint(0, 3000, {4}), Tensor()},
         [](const TensorList& t) { return call_op("cross_entropy", t); });
  Tensor bad = target.clone();
  bad.data<int64_t>()[20] = 10;
  bad.data<int64_t>()[30] = -3;
  same_error("class index out of range", [&](Device d) {
    call_op("cross_entropy", {to_device(logits, d), to_device(bad, d), Tensor()});
  });
  same_error("weight per class", [&](Device d) {
    call_op("cross_entropy", {to_device(logits, d), to_device(target, d), to_device(randn({3}), d)});
  });
  Tensor p = ops::sigmoid(randn({16, 3})), t01 = rand({16, 3});
  for (const char* red : {"mean", "sum", "none"}) {
    Attrs at{{"reduction", std::string(red)}};
    parity(std::string("bce ") + red, {p, t01, rand({3})},
           [at](const TensorList& t) { return call_op("binary_cross_entropy", t, at); });
    parity(std::string("bce_with_logits ") + red, {randn({16, 3}), t01, rand({3}), ops::add_scalar(rand({3}), 0.5)},
           [at](const TensorList& t) { return call_op("binary_cross_entropy_with_logits", t, at); });
    parity(std::string("bce_with_logits plain ") + red, {randn({16, 3}), t01, Tensor(), Tensor()},
           [at](const TensorList& t) { return call_op("binary_cross_entropy_with_logits", t, at); });
    for (double beta : {0.0, 0.5})
      parity(std::string("smooth_l1 ") + red, {randn({16, 3}), randn({16, 3})}, [red, beta](const TensorList& t) {
        return call_op("smooth_l1_loss", t, {{"reduction", std::string(red)}, {"beta", beta}});
      });
    parity(std::string("mse ") + red, {randn({16, 3}), randn({16, 3})},
           [at](const TensorList& t) { return call_op("mse_loss", t, at); });
    parity(std::string("l1 ") + red, {randn({16, 3}), randn({16, 3})},
           [at](const TensorList& t) { return call_op("l1_loss", t, at); });
  }
  Tensor out_of_range = p.clone();
  out_of_range.data<float>()[5] = 1.5f;
  same_error("bce probabilities", [&](Device d) {
    call_op("binary_cross_entropy", {to_device(out_of_range, d), to_device(t01, d), Tensor()});
  });
}
