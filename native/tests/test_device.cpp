// Devices and training state: clear errors for a cuda device that is not there, models
// and optimizer state that move between devices through CPU copies, the device-generic
// training helpers on the CPU and, where a CUDA device exists, the CUDA optimizers,
// norms and checks against the CPU.
#include <cmath>
#include <limits>
#include <string>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/ops.h"
#include "optim/optim.h"
#include "plan/model.h"
#include "test.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

using namespace nw;

namespace {

int cuda_count() {
#ifdef NW_WITH_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

Tensor filled(const Shape& shape, DType dt, double start, double step) {
  Tensor t = empty(shape, dt);
  NW_DISPATCH_ALL(dt, [&] {
    scalar_t* p = t.data<scalar_t>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<scalar_t>(start + step * static_cast<double>(i % 17) - 0.3 * (i % 5));
  });
  return t;
}

double max_rel_diff(const Tensor& a, const Tensor& b) {
  Tensor x = to_dtype(to_device(a, Device{}), DType::Float64).contiguous();
  Tensor y = to_dtype(to_device(b, Device{}), DType::Float64).contiguous();
  double worst = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    double u = x.data<double>()[i], v = y.data<double>()[i];
    double d = std::fabs(u - v) / std::max(1.0, std::fabs(v));
    if (!(d <= worst)) worst = d;  // NaN counts as worst
  }
  return worst;
}

PlanSpec linear_plan() {
  PlanSpec p;
  p.inputs = {{"x", DType::Float32}};
  p.targets = {{"y", DType::Float32}};
  PlanTensorSpec w;
  w.key = "fc.weight";
  w.shape = {3, 4};
  w.init.kind = "kaiming_uniform";
  w.init.a = std::sqrt(5.0);
  w.init.fan_in = 4;
  PlanTensorSpec b;
  b.key = "fc.bias";
  b.shape = {3};
  b.init.kind = "uniform";
  b.init.a = -0.5;
  b.init.b = 0.5;
  p.tensors = {w, b};
  PlanStepSpec fc;
  fc.op = "linear";
  fc.module = "fc";
  fc.inputs = {"x"};
  fc.tensors = {"fc.weight", "fc.bias"};
  fc.outputs = {"out"};
  PlanStepSpec loss;
  loss.op = "mse_loss";
  loss.module = "loss";
  loss.inputs = {"out", "y"};
  loss.outputs = {"loss"};
  loss.attrs.set("reduction", std::string("mean"));
  p.steps = {fc, loss};
  p.outputs = {"out"};
  p.loss = "loss";
  return p;
}

std::string error_of(const std::function<void()>& fn, std::string* code = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (code) *code = e.code;
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a cuda tensor without a CUDA device throws E_DEVICE saying what exists") {
  if (cuda_count() > 0) {
    // With devices, an index past the last one is the missing device.
    std::string code;
    std::string msg = error_of([] { empty({2, 3}, DType::Float32, Device{DeviceType::CUDA, 63}); }, &code);
    CHECK(code == "E_DEVICE");
    CHECK(msg.find("cuda:63") != std::string::npos);
    CHECK(msg.find("does not exist") != std::string::npos);
    return;
  }
  for (auto make : {+[] { return empty({2, 3}, DType::Float32, Device{DeviceType::CUDA, 0}); },
                    +[] { return zeros({4}, DType::Float64, Device{DeviceType::CUDA, 0}); },
                    +[] { return to_device(ones({2}), Device{DeviceType::CUDA, 1}); }}) {
    std::string code;
    std::string msg = error_of([&] { make(); }, &code);
    CHECK(code == "E_DEVICE");
    CHECK(msg.find("cuda:") != std::string::npos);
    CHECK(msg.find("not available") != std::string::npos);
    CHECK(msg.find("use cpu") != std::string::npos);
  }
  std::string code;
  std::string msg = error_of([] { Model m(linear_plan(), Device{DeviceType::CUDA, 0}); }, &code);
  CHECK(code == "E_DEVICE");
  CHECK(msg.find("cuda:0 is not available") != std::string::npos);
}

TEST_CASE("device names: cpu, cuda, cuda:N; anything else is E_DEVICE") {
  CHECK(device_from_name("cpu") == Device{});
  CHECK((device_from_name("cuda:2") == Device{DeviceType::CUDA, 2}));
  CHECK((device_from_name("cuda") == Device{DeviceType::CUDA, 0}));
  std::string code;
  error_of([] { device_from_name("gpu"); }, &code);
  CHECK(code == "E_DEVICE");
}

TEST_CASE("model state: same seed same weights; CPU copies load back and optimizer state is copied, not aliased") {
  manual_seed(7);
  Model a(linear_plan());
  manual_seed(7);
  Model b(linear_plan(), Device{});
  CHECK(a.device() == Device{});
  auto sa = a.state_dict(), sb = b.state_dict();
  CHECK(sa.size() == 2 && sb.size() == 2);
  for (size_t i = 0; i < sa.size(); ++i) CHECK(max_rel_diff(sa[i].second, sb[i].second) == 0);

  // Train a, export its state as CPU copies, load into a fresh model: same numbers.
  OptimizerConfig cfg;
  cfg.kind = "adam";
  cfg.lr = 0.05;
  a.configure_optimizer(cfg);
  Tensor x = filled({5, 4}, DType::Float32, -1, 0.25), y = filled({5, 3}, DType::Float32, 0.5, -0.1);
  for (int s = 0; s < 3; ++s) a.train_step({x}, {y}, {});
  manual_seed(99);
  Model c(linear_plan());
  c.configure_optimizer(cfg);
  for (const auto& kv : a.state_dict()) c.load_tensor(kv.first, to_device(kv.second, Device{}).clone());
  for (size_t i = 0; i < a.optimizer()->state().size(); ++i) c.optimizer()->set_state(i, a.optimizer()->state()[i]);
  for (size_t i = 0; i < 2; ++i) CHECK(max_rel_diff(a.state_dict()[i].second, c.state_dict()[i].second) == 0);
  // The loaded optimizer state is a copy: stepping c leaves a's state alone.
  Tensor before = a.optimizer()->state()[0].buffers.at("exp_avg").clone();
  StepResult rc = c.train_step({x}, {y}, {});
  StepResult ra = a.train_step({x}, {y}, {});
  CHECK(ra.loss == rc.loss);
  CHECK(max_rel_diff(a.state_dict()[0].second, c.state_dict()[0].second) == 0);
  CHECK(max_rel_diff(c.optimizer()->state()[0].buffers.at("exp_avg"), a.optimizer()->state()[0].buffers.at("exp_avg")) == 0);
  CHECK(max_rel_diff(before, a.optimizer()->state()[0].buffers.at("exp_avg")) > 0);
  // prefetch is a no-op on the CPU and the step still takes the same tensors.
  a.prefetch({x}, {y});
  StepResult r2 = a.train_step({x}, {y}, {});
  CHECK(std::isfinite(r2.loss));
}

TEST_CASE("training helpers on the CPU: non-finite index, norms, distances, clip norm types") {
  Tensor a = filled({10}, DType::Float32, 1, 0.5), b = filled({3, 4}, DType::Float64, -2, 0.25);
  CHECK(first_nonfinite({a, b}) == -1);
  Tensor bad = b.clone();
  bad.data<double>()[5] = std::numeric_limits<double>::infinity();
  CHECK(first_nonfinite({a, bad}) == 1);
  auto n = l2_norms({a, b});
  CHECK_NEAR(n[0], l2_norm(a), 0);
  CHECK_NEAR(n[1], l2_norm(b), 0);
  auto d = l2_distances({a}, {a});
  CHECK(d[0] == 0);
  // clip_grad_norm_ with norm types 1, 2 and inf (the total is returned before clipping).
  for (double type : {1.0, 2.0, std::numeric_limits<double>::infinity()}) {
    Tensor p = zeros({4});
    p.set_requires_grad(true);
    Tensor g = empty({4});
    float vals[4] = {3, -4, 0, 1};
    for (int i = 0; i < 4; ++i) g.data<float>()[i] = vals[i];
    p.set_grad(g);
    double total = clip_grad_norm({p}, 1.0, type);
    double want = std::isinf(type) ? 4.0 : type == 1.0 ? 8.0 : std::sqrt(26.0);
    CHECK_NEAR(total, want, 1e-9);
    CHECK_NEAR(l2_norm(p.grad()), std::sqrt(26.0) / (want + 1e-6), 1e-6);
  }
}

#ifdef NW_WITH_CUDA
TEST_CASE("CUDA optimizers, clipping and checks match the CPU (needs a CUDA device)") {
  if (cuda_count() == 0) {
    std::fprintf(stderr, "  (skipped: no CUDA device)\n");
    return;
  }
  const Device gpu{DeviceType::CUDA, 0};
  struct Case {
    std::string kind;
    double momentum, dampening, wd;
    bool nesterov, amsgrad, centered, maximize;
  };
  const Case cases[] = {
      {"sgd", 0, 0, 0, false, false, false, false},     {"sgd", 0.9, 0, 0.01, true, false, false, false},
      {"sgd", 0.9, 0.1, 0, false, false, false, true},  {"adam", 0, 0, 0.01, false, false, false, false},
      {"adam", 0, 0, 0, false, true, false, false},     {"adamw", 0, 0, 0.05, false, true, false, false},
      {"rmsprop", 0, 0, 0, false, false, false, false}, {"rmsprop", 0.8, 0, 0.01, false, false, true, false},
  };
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (const Case& c : cases) {
      OptimizerConfig cfg;
      cfg.kind = c.kind;
      cfg.lr = 0.01;
      cfg.momentum = c.momentum;
      cfg.dampening = c.dampening;
      cfg.weight_decay = c.wd;
      cfg.nesterov = c.nesterov;
      cfg.amsgrad = c.amsgrad;
      cfg.centered = c.centered;
      cfg.maximize = c.maximize;
      Tensor pc = filled({1000, 3}, dt, 0.1, 0.01);
      Tensor pg = to_device(pc, gpu);
      pc.set_requires_grad(true);
      pg.set_requires_grad(true);
      Optimizer oc({pc}, cfg), og({pg}, cfg);
      for (int s = 0; s < 5; ++s) {
        Tensor g = filled({1000, 3}, dt, 0.3 * s - 0.5, 0.02 * (s + 1));
        pc.set_grad(g);
        pg.set_grad(to_device(g, gpu));
        oc.step();
        og.step();
      }
      CHECK(max_rel_diff(pg, pc) < 1e-5);
      CHECK(og.state()[0].step == oc.state()[0].step);
      for (const auto& kv : oc.state()[0].buffers) {
        CHECK(og.state()[0].buffers.count(kv.first) == 1);
        CHECK(og.state()[0].buffers.at(kv.first).device() == gpu);
        CHECK(max_rel_diff(og.state()[0].buffers.at(kv.first), kv.second) < 1e-5);
      }
      // State written from the CPU lands on the parameter's device.
      og.set_state(0, oc.state()[0]);
      for (const auto& kv : og.state()[0].buffers) CHECK(kv.second.device() == gpu);
    }
  }
  // Norms, distances, non-finite detection, clipping, argmax counting.
  Tensor a = filled({3000, 7}, DType::Float32, -1, 0.13), b = filled({5, 9}, DType::Float64, 2, -0.4);
  Tensor ag = to_device(a, gpu), bg = to_device(b, gpu);
  auto nc = l2_norms({a, b}), ng = l2_norms({ag, bg});
  CHECK_NEAR(ng[0], nc[0], 1e-9 * nc[0]);
  CHECK_NEAR(ng[1], nc[1], 1e-9 * nc[1]);
  CHECK(first_nonfinite({ag, bg}) == -1);
  Tensor bad = b.clone();
  bad.data<double>()[7] = std::numeric_limits<double>::quiet_NaN();
  CHECK(first_nonfinite({ag, to_device(bad, gpu)}) == 1);
  CHECK(!all_finite(to_device(bad, gpu)));
  Tensor a2 = filled({3000, 7}, DType::Float32, -0.9, 0.12);
  CHECK_NEAR(l2_distances({ag}, {to_device(a2, gpu)})[0], l2_distances({a}, {a2})[0], 1e-9);
  for (double type : {1.0, 2.0, 3.0, std::numeric_limits<double>::infinity()}) {
    Tensor pc = zeros({3000, 7}), pg = zeros({3000, 7}, DType::Float32, gpu);
    pc.set_requires_grad(true);
    pg.set_requires_grad(true);
    pc.set_grad(a.clone());
    pg.set_grad(to_device(a, gpu));
    double tc = clip_grad_norm({pc}, 0.5, type), tg = clip_grad_norm({pg}, 0.5, type);
    CHECK_NEAR(tg, tc, 1e-9 * tc);
    CHECK(max_rel_diff(pg.grad(), pc.grad()) < 1e-6);
    pc.set_grad(a.clone());
    pg.set_grad(to_device(a, gpu));
    clip_grad_value({pc}, 0.2);
    clip_grad_value({pg}, 0.2);
    CHECK(max_rel_diff(pg.grad(), pc.grad()) == 0);
  }
  // Correct-prediction count: ties take the first maximum, a NaN is the maximum.
  Tensor logits = empty({4, 3});
  float lv[12] = {1, 5, 5, /**/ 2, 1, 0, /**/ 0, std::nanf(""), 9, /**/ 3, 3, 3};
  for (int i = 0; i < 12; ++i) logits.data<float>()[i] = lv[i];
  Tensor target = empty({4}, DType::Int64);
  int64_t tv[4] = {1, 0, 1, 0};
  for (int i = 0; i < 4; ++i) target.data<int64_t>()[i] = tv[i];
  CHECK(cuda::count_argmax_equal(to_device(logits, gpu), to_device(target, gpu)) == 4);
  target.data<int64_t>()[0] = 2;
  CHECK(cuda::count_argmax_equal(to_device(logits, gpu), to_device(target, gpu)) == 3);
  // Transposed (strided) logits.
  Tensor columns = to_device(ops::contiguous(ops::transpose(logits, 0, 1)), gpu);  // [3, 4]
  Tensor lt = make_view(columns, {4, 3}, {1, 4}, 0);
  CHECK(cuda::count_argmax_equal(lt, to_device(target, gpu)) == 3);
}

TEST_CASE("CUDA model: same initial weights as on the CPU, state round trip, prefetched steps (needs a CUDA device)") {
  if (cuda_count() == 0) {
    std::fprintf(stderr, "  (skipped: no CUDA device)\n");
    return;
  }
  const Device gpu{DeviceType::CUDA, 0};
  manual_seed(3);
  Model c(linear_plan());
  manual_seed(3);
  Model g(linear_plan(), gpu);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(g.state_dict()[i].second.device() == gpu);
    CHECK(max_rel_diff(g.state_dict()[i].second, c.state_dict()[i].second) == 0);
  }
  if (!supports("linear", gpu) || !supports("mse_loss", gpu)) {
    std::fprintf(stderr, "  (train steps skipped: linear/mse_loss have no CUDA kernels in this build)\n");
    return;
  }
  OptimizerConfig cfg;
  cfg.kind = "sgd";
  cfg.lr = 0.05;
  cfg.momentum = 0.9;
  c.configure_optimizer(cfg);
  g.configure_optimizer(cfg);
  StepOptions opts;
  opts.clip_norm = 0.5;
  opts.param_stats = true;
  for (int s = 0; s < 6; ++s) {
    Tensor x = filled({8, 4}, DType::Float32, -1 + 0.1 * s, 0.25), y = filled({8, 3}, DType::Float32, 0.5, -0.1 * s);
    if (s % 2) g.prefetch({x}, {y});  // every other step through the copy stream
    StepResult rc = c.train_step({x}, {y}, opts);
    StepResult rg = g.train_step({x}, {y}, opts);
    CHECK_NEAR(rg.loss, rc.loss, 1e-4 * std::max(1.0, std::fabs(rc.loss)));
    CHECK_NEAR(rg.total_grad_norm, rc.total_grad_norm, 1e-4 * std::max(1.0, rc.total_grad_norm));
    CHECK(rg.params.size() == rc.params.size());
    for (size_t i = 0; i < rc.params.size(); ++i) CHECK_NEAR(rg.params[i].weight_norm, rc.params[i].weight_norm, 1e-4);
  }
  for (size_t i = 0; i < 2; ++i) CHECK(max_rel_diff(g.state_dict()[i].second, c.state_dict()[i].second) < 1e-4);
  // A CPU checkpoint of the GPU model loads into a CPU model and back.
  Model back(linear_plan());
  for (const auto& kv : g.state_dict()) back.load_tensor(kv.first, to_device(kv.second, Device{}));
  for (size_t i = 0; i < 2; ++i) CHECK(max_rel_diff(back.state_dict()[i].second, g.state_dict()[i].second) == 0);
  cuda::MemoryStats st = cuda::memory_stats(0);
  CHECK(st.in_use > 0 && st.device_total > 0);
}
#endif
