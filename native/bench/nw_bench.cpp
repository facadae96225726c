// Native benchmark driver for bench/: `nw_bench <workload> <args> [--threads t] [--repeats r]`
// prints one JSON line. CPU workloads: sgemm <n>, dgemm <n>, sgemm-shape <m> <n> <k> [ta tb].
// GPU workloads (--device cuda:N, default cuda:0): sgemm-cuda <n>, and lenet-cuda, convbn-cuda,
// charlstm-cuda [--steps s]: the layer benchmarks' models and batch shapes (bench/workloads/*)
// trained through the Plan executor on synthetic data (--device cpu: the same on the CPU);
// bench/gpu/torch_reference.py runs them in PyTorch. Without a device they print
// {"skipped": why} and exit 0.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <random>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/random.h"
#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "plan/model.h"
#include "plans.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

namespace {

using Clock = std::chrono::steady_clock;
const char* g_policy = "default";

int usage() {
  std::fprintf(stderr,
               "usage: nw_bench sgemm <n> | dgemm <n> | sgemm-shape <m> <n> <k> [ta tb]\n"
               "       [--threads t] [--repeats r] [--level avx512|avx2|scalar]\n"
               "       nw_bench sgemm-cuda <n> | lenet-cuda | convbn-cuda | charlstm-cuda\n"
               "       [--device cuda:N] [--steps s] [--repeats r]\n"
               "without --threads, gemm uses its default thread policy\n");
  return 2;
}

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return o + "\"";
}

// The GPU workloads' device, or false with the reason there is none.
bool cuda_device(const nw::Device& d, std::string& name, std::string& why) {
#ifdef NW_WITH_CUDA
  std::string status;
  std::vector<nw::DeviceInfo> devices = nw::cuda_devices(status);
  if (d.type == nw::DeviceType::CUDA && d.index >= 0 && d.index < static_cast<int>(devices.size())) {
    name = devices[static_cast<size_t>(d.index)].name;
    return true;
  }
  why = devices.empty() ? status : d.str() + " does not exist (" + status + ")";
  return false;
#else
  why = "this build has no CUDA backend (nvcc was not found when it was configured)";
  return false;
#endif
}

void sync(const nw::Device& d) {
#ifdef NW_WITH_CUDA
  if (d.type == nw::DeviceType::CUDA) nw::cuda::synchronize(d.index);
#endif
}

// Seconds per call of `call` (warmed up here): the best of `repeats` samples, each of as many
// calls as take about 50 ms; `wait` waits for queued work (a device) before a clock is read.
template <typename Call, typename Wait>
double best_seconds(Call call, Wait wait, int repeats) {
  call();
  wait();
  auto t0 = Clock::now();
  call();
  wait();
  const double one = std::chrono::duration<double>(Clock::now() - t0).count();
  const int inner = std::max(1, static_cast<int>(0.05 / std::max(one, 1e-7)));
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    t0 = Clock::now();
    for (int i = 0; i < inner; ++i) call();
    wait();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count() / inner);
  }
  return best;
}

#ifdef NW_WITH_CUDA
// Square float32 GEMM on the device through nw::cuda::gemm (cuBLAS when found, else the
// engine's kernel); best of `repeats` samples of ~50 ms.
void run_sgemm_cuda(int64_t n, const nw::Device& d, const std::string& device_name, int repeats) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> host(static_cast<size_t>(n * n));
  for (auto& x : host) x = u(rng);
  nw::Tensor a = nw::from_blob_copy(host.data(), {n, n}, nw::DType::Float32, d);
  for (auto& x : host) x = u(rng);
  nw::Tensor b = nw::from_blob_copy(host.data(), {n, n}, nw::DType::Float32, d);
  nw::Tensor c = nw::empty({n, n}, nw::DType::Float32, d);
  auto call = [&] {
    nw::cuda::gemm<float>(d.index, false, false, n, n, n, 1.f, a.data<float>(), n, n * n, b.data<float>(), n, n * n, 0.f,
                          c.data<float>(), n, n * n, 1);
  };
  const double best = best_seconds(call, [&] { sync(d); }, repeats);
  const double flops = 2.0 * double(n) * double(n) * double(n);
  std::printf("{\"workload\":\"sgemm-cuda\",\"n\":%lld,\"device\":%s,\"backend\":%s,\"seconds\":%.9g,\"gflops\":%.4f}\n",
              (long long)n, json_str(device_name).c_str(), json_str(nw::cuda::gemm_backend()).c_str(), best, flops / best * 1e-9);
}
#endif

// One layer benchmark: its Plan, optimizer, batch shapes and how many items a step counts.
struct TrainWorkload {
  const char* name;
  std::function<nw::PlanSpec()> plan;
  nw::OptimizerConfig optimizer;
  nw::StepOptions options;
  nw::Shape x_shape;      // float images, or int64 tokens when x_classes > 0
  int64_t x_classes = 0;
  nw::Shape y_shape;
  int64_t classes = 10;
  const char* unit;       // "samples/s" or "tokens/s"
  int64_t items_per_step;
  int default_steps;
};

std::vector<TrainWorkload> train_workloads() {
  nw::OptimizerConfig sgd, adam_convbn, adam_lstm;
  sgd.kind = "sgd", sgd.lr = 0.05, sgd.momentum = 0.9;
  adam_convbn.kind = "adam", adam_convbn.lr = 1e-3;
  adam_lstm.kind = "adam", adam_lstm.lr = 2e-3;
  nw::StepOptions none, clip;
  clip.clip_norm = 1.0;
  return {
      // bench/workloads/lenet-fashion-mnist.mjs: batch 64 of [1, 28, 28], SGD momentum 0.9 lr 0.05
      {"lenet-cuda", nwplans::lenet, sgd, none, {64, 1, 28, 28}, 0, {64}, 10, "samples/s", 64, 300},
      // bench/workloads/convbn-fashion-mnist.mjs: batch 64, Adam 1e-3, Dropout 0.25
      {"convbn-cuda", [] { return nwplans::convbn(0.25); }, adam_convbn, none, {64, 1, 28, 28}, 0, {64}, 10, "samples/s", 64, 200},
      // bench/workloads/charlstm.mjs: vocab 96, batch 32, seq 64, Adam 2e-3, clip_grad_norm 1.0
      {"charlstm-cuda", [] { return nwplans::charlstm(96, 64, 256, 2); }, adam_lstm, clip, {32, 64}, 96, {32, 64}, 96, "tokens/s",
       32 * 64, 60},
  };
}

// Trains `steps` steps (after 5 warm-up steps) on a pool of 8 synthetic host batches and reads
// the loss every step, as the app's trainer does (main/trainer/run.ts): the model is built for
// the device, each step runs on a worker thread while the next batch's upload is queued
// (Model::prefetch: pinned buffers and the copy stream on cuda, nothing on the CPU).
void run_train(const TrainWorkload& w, const nw::Device& d, const std::string& device_name, int steps) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pixel(0.f, 1.f);
  std::vector<std::pair<nw::Tensor, nw::Tensor>> pool;
  for (int k = 0; k < 8; ++k) {
    nw::Tensor x;
    if (w.x_classes > 0) {
      std::uniform_int_distribution<int64_t> tok(0, w.x_classes - 1);
      std::vector<int64_t> v(static_cast<size_t>(nw::shape_numel(w.x_shape)));
      for (auto& t : v) t = tok(rng);
      x = nw::from_blob_copy(v.data(), w.x_shape, nw::DType::Int64);
    } else {
      std::vector<float> v(static_cast<size_t>(nw::shape_numel(w.x_shape)));
      for (auto& p : v) p = pixel(rng);
      x = nw::from_blob_copy(v.data(), w.x_shape, nw::DType::Float32);
    }
    std::uniform_int_distribution<int64_t> cls(0, w.classes - 1);
    std::vector<int64_t> y(static_cast<size_t>(nw::shape_numel(w.y_shape)));
    for (auto& t : y) t = cls(rng);
    pool.emplace_back(x, nw::from_blob_copy(y.data(), w.y_shape, nw::DType::Int64));
  }
  nw::manual_seed(0);
  nw::Model model(w.plan(), d);
  model.configure_optimizer(w.optimizer);
  const int warmup = 5;
  double first_loss = 0, last_loss = 0;
  auto batch = [&](int s) -> const std::pair<nw::Tensor, nw::Tensor>& { return pool[static_cast<size_t>(s) % pool.size()]; };
  model.prefetch({batch(0).first}, {batch(0).second});
  auto t0 = Clock::now();
  for (int s = 0; s < warmup + steps; ++s) {
    if (s == warmup) {
      sync(d);
      t0 = Clock::now();
    }
    const nw::Tensor &x = batch(s).first, &y = batch(s).second;
    std::future<nw::StepResult> step = std::async(std::launch::async, [&] { return model.train_step({x}, {y}, w.options); });
    if (s + 1 < warmup + steps) model.prefetch({batch(s + 1).first}, {batch(s + 1).second});
    nw::StepResult r = step.get();
    if (!r.finite) throw nw::Error("E_NONFINITE", "step " + std::to_string(s) + ": " + r.nonfinite_where + " is not finite");
    if (s == 0) first_loss = r.loss;
    last_loss = r.loss;
  }
  sync(d);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  double peak_mib = 0;
#ifdef NW_WITH_CUDA
  if (d.type == nw::DeviceType::CUDA) peak_mib = static_cast<double>(nw::cuda::memory_stats(d.index).peak) / (1 << 20);
#endif
  std::printf("{\"workload\":\"%s\",\"device\":%s,\"steps\":%d,\"unit\":\"%s\",\"per_s\":%.4f,\"seconds\":%.6f,"
              "\"first_loss\":%.6f,\"last_loss\":%.6f,\"peak_mib\":%.1f}\n",
              w.name, json_str(device_name).c_str(), steps, w.unit, static_cast<double>(w.items_per_step) * steps / seconds, seconds,
              first_loss, last_loss, peak_mib);
}

// GPU workloads: 0 after a result line or a {"skipped": ...} line (no device), 1 on an error.
int run_cuda_workload(const std::vector<std::string>& pos, const std::string& device_arg, int steps, int repeats) {
  const std::string& w = pos[0];
  nw::Device d;
  std::string name, why;
  try {
    d = nw::device_from_name(device_arg);
  } catch (const nw::Error& e) {
    std::fprintf(stderr, "nw_bench: %s\n", e.what());
    return 2;
  }
  // --device cpu runs a training workload on the CPU engine, for comparison.
  const bool on_cpu = d.type == nw::DeviceType::CPU && w != "sgemm-cuda";
  if (on_cpu) name = "cpu";
  if (!on_cpu && !cuda_device(d, name, why)) {
    std::printf("{\"workload\":\"%s\",\"skipped\":%s}\n", w.c_str(), json_str(why).c_str());
    std::fprintf(stderr, "nw_bench: %s skipped: %s\n", w.c_str(), why.c_str());
    return 0;
  }
  try {
#ifdef NW_WITH_CUDA
    if (w == "sgemm-cuda") {
      run_sgemm_cuda(pos.size() > 1 ? std::atoll(pos[1].c_str()) : 4096, d, name, repeats);
      return 0;
    }
#endif
    for (const auto& t : train_workloads())
      if (w == t.name) {
        run_train(t, d, name, steps > 0 ? steps : t.default_steps);
        return 0;
      }
  } catch (const nw::Error& e) {
    std::printf("{\"workload\":\"%s\",\"error\":%s}\n", w.c_str(), json_str(e.code + ": " + e.what()).c_str());
    std::fprintf(stderr, "nw_bench: %s failed: %s: %s\n", w.c_str(), e.code.c_str(), e.what());
    return 1;
  }
  return usage();
}

template <typename T>
void run_gemm(const char* name, int64_t m, int64_t n, int64_t k, bool ta, bool tb, int repeats) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<T> a(size_t(m * k)), b(size_t(k * n)), c(size_t(m * n));
  for (auto& x : a) x = u(rng);
  for (auto& x : b) x = u(rng);
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  auto call = [&] {
    if constexpr (sizeof(T) == 4)
      nw::cpu::sgemm(ta, tb, m, n, k, 1.f, a.data(), lda, b.data(), ldb, 0.f, c.data(), n);
    else
      nw::cpu::dgemm(ta, tb, m, n, k, 1.0, a.data(), lda, b.data(), ldb, 0.0, c.data(), n);
  };
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const double best = best_seconds(call, [] {}, repeats);  // the warm-up call also sets up buffers and the pool
  std::printf(
      "{\"workload\":\"%s\",\"m\":%lld,\"n\":%lld,\"k\":%lld,\"trans_a\":%s,\"trans_b\":%s,\"threads\":%d,"
      "\"gemm_threads\":%d,\"policy\":\"%s\",\"level\":\"%s\",\"seconds\":%.9g,\"gflops\":%.4f}\n",
      name, (long long)m, (long long)n, (long long)k, ta ? "true" : "false", tb ? "true" : "false",
      nw::cpu::num_threads(), nw::cpu::gemm_threads(m, n, k), g_policy, nw::cpu::gemm_level(), best, flops / best * 1e-9);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> pos;
  int threads = 0, repeats = 7, steps = 0;
  const char* level = nullptr;
  std::string device = "cuda:0";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
    else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) steps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--level") && i + 1 < argc) level = argv[++i];
    else pos.push_back(argv[i]);
  }
  if (pos.empty()) return usage();
  if (pos[0] == "sgemm-cuda" || pos[0] == "lenet-cuda" || pos[0] == "convbn-cuda" || pos[0] == "charlstm-cuda")
    return run_cuda_workload(pos, device, steps, repeats);
  // --threads t: exactly t threads (pool and gemm); without it: the default policy.
  if (threads > 0) {
    nw::cpu::set_num_threads(threads);
    nw::cpu::gemm_set_threads(threads);
    g_policy = "fixed";
  }
  if (level && !nw::cpu::gemm_force_level(level)) {
    std::fprintf(stderr, "nw_bench: this CPU cannot run kernel level %s\n", level);
    return 2;
  }
  const std::string& w = pos[0];
  auto num = [&](size_t i) { return i < pos.size() ? std::atoll(pos[i].c_str()) : -1LL; };
  if ((w == "sgemm" || w == "dgemm") && pos.size() == 2 && num(1) >= 0) {
    const int64_t n = num(1);
    if (w == "sgemm") run_gemm<float>("sgemm", n, n, n, false, false, repeats);
    else run_gemm<double>("dgemm", n, n, n, false, false, repeats);
    return 0;
  }
  if (w == "sgemm-shape" && (pos.size() == 4 || pos.size() == 6)) {
    const bool ta = pos.size() == 6 && num(4) != 0, tb = pos.size() == 6 && num(5) != 0;
    run_gemm<float>("sgemm-shape", num(1), num(2), num(3), ta, tb, repeats);
    return 0;
  }
  return usage();
}
