// Native benchmark driver for bench/: `nw_bench <workload> <args> [--threads t] [--repeats r]`
// prints one JSON line. Workloads: sgemm <n>, dgemm <n>, sgemm-shape <m> <n> <k> [ta tb].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/parallel.h"

namespace {

using Clock = std::chrono::steady_clock;
const char* g_policy = "default";

int usage() {
  std::fprintf(stderr,
               "usage: nw_bench sgemm <n> | dgemm <n> | sgemm-shape <m> <n> <k> [ta tb]\n"
               "       [--threads t] [--repeats r] [--level avx512|avx2|scalar]\n"
               "without --threads, gemm uses its default thread policy\n");
  return 2;
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
  // Warm up (buffers, pool) and size the inner loop to ~50 ms per sample.
  call();
  auto t0 = Clock::now();
  call();
  double one = std::chrono::duration<double>(Clock::now() - t0).count();
  int inner = std::max(1, static_cast<int>(0.05 / std::max(one, 1e-7)));
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    t0 = Clock::now();
    for (int i = 0; i < inner; ++i) call();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count() / inner);
  }
  std::printf(
      "{\"workload\":\"%s\",\"m\":%lld,\"n\":%lld,\"k\":%lld,\"trans_a\":%s,\"trans_b\":%s,\"threads\":%d,"
      "\"gemm_threads\":%d,\"policy\":\"%s\",\"level\":\"%s\",\"seconds\":%.9g,\"gflops\":%.4f}\n",
      name, (long long)m, (long long)n, (long long)k, ta ? "true" : "false", tb ? "true" : "false",
      nw::cpu::num_threads(), nw::cpu::gemm_threads(m, n, k), g_policy, nw::cpu::gemm_level(), best, flops / best * 1e-9);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> pos;
  int threads = 0, repeats = 7;
  const char* level = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--level") && i + 1 < argc) level = argv[++i];
    else pos.push_back(argv[i]);
  }
  if (pos.empty()) return usage();
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
