// CPU parallelism: a persistent thread pool with parallel_for, and SIMD level detection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace nw::cpu {

// Threads used by parallel_for (the calling thread included).
int num_threads();
void set_num_threads(int n);  // n <= 0 restores the default
int physical_cores();

// Splits [begin, end) into chunks of at least `grain` and runs fn(chunk_begin, chunk_end)
// on the pool; runs inline when the range is small or when called from a pool worker.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Runs fn(tid, team) on `team` threads at once (tid 0 on the caller), so fn may wait for
// its teammates (Barrier); team is min(n, num_threads()), or 1 when called from a pool
// worker (nested), in which case fn(0, 1) runs inline and must not wait for anyone.
void parallel_team(int n, const std::function<void(int tid, int team)>& fn);

// A reusable barrier for a parallel_team: spins ~20 µs (teammates usually arrive
// together), then sleeps, since on a busy machine a teammate may be descheduled for a
// whole time slice and spinning would only steal its CPU.
class Barrier {
 public:
  explicit Barrier(int count) : count_(count) {}
  void wait();

 private:
  const int count_;
  alignas(64) std::atomic<int> waiting_{0};
  alignas(64) std::atomic<uint32_t> phase_{0};
  std::atomic<int> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};

// "avx512", "avx2" or "scalar": the widest kernel set this CPU runs.
const char* simd_level();

}  // namespace nw::cpu
