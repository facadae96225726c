// Thread pool: workers spin briefly, then sleep on a condition variable; parallel_for
// splits the range into chunks that the caller and the workers claim, then waits.
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace nw::cpu {

namespace {

thread_local bool tls_in_worker = false;

int detect_physical_cores() {
  // Distinct (physical id, core id) pairs; falls back to hardware_concurrency.
  std::ifstream f("/proc/cpuinfo");
  std::set<std::pair<int, int>> cores;
  std::string line;
  int phys = 0;
  while (std::getline(f, line)) {
    auto val = [&]() { return std::atoi(line.substr(line.find(':') + 1).c_str()); };
    if (line.rfind("physical id", 0) == 0) phys = val();
    if (line.rfind("core id", 0) == 0) cores.insert({phys, val()});
  }
  int n = static_cast<int>(cores.size());
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, n);
}

// NOTE: a worker only touches the job (fn_, next_, ...) between joining it and leaving it,
// both under m_, and the caller closes the job only when no worker is inside, so a
// worker that wakes late can never run a chunk of a finished or newer job.
class Pool {
 public:
  explicit Pool(int threads) { resize(threads); }
  ~Pool() { stop(); }

  int size() const { return size_.load(std::memory_order_relaxed); }

  void resize(int threads) {
    std::lock_guard<std::mutex> run(run_mutex_);  // never while a region runs
    stop();
    stop_ = false;
    // NOTE: a new worker's first job is any after this generation, even one that starts
    // before the thread first runs (a parallel_team needs every member to join).
    const uint64_t seen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, seen] { loop(seen); });
    size_.store(std::max(1, threads), std::memory_order_relaxed);
  }

  void run(int64_t begin, int64_t end, int64_t chunks, const std::function<void(int64_t, int64_t)>& fn) {
    std::lock_guard<std::mutex> run(run_mutex_);  // one parallel region at a time
    {
      std::lock_guard<std::mutex> g(m_);
      fn_ = &fn;
      begin_ = begin;
      end_ = end;
      per_ = (end - begin + chunks - 1) / chunks;
      chunks_ = chunks;
      next_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      open_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    const bool was_in_worker = tls_in_worker;
    tls_in_worker = true;  // nested parallel_for from fn runs inline
    work();
    tls_in_worker = was_in_worker;
    // Wait for workers still inside the job: spin briefly (chunks are about equal), then sleep.
    spin_until([&] { return joined_.load(std::memory_order_acquire) == 0; });
    std::exception_ptr error;
    {
      std::unique_lock<std::mutex> g(m_);
      done_cv_.wait(g, [&] { return joined_.load(std::memory_order_relaxed) == 0; });
      open_ = false;
      fn_ = nullptr;
      error = error_;
      error_ = nullptr;
    }
    if (error) std::rethrow_exception(error);
  }

 private:
  // Busy-waits until ready() or about 50 µs have passed (the clock is read every 64 pauses).
  template <typename Ready>
  static void spin_until(Ready ready) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    while (!ready()) {
      for (int i = 0; i < 64; ++i) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
      if (std::chrono::steady_clock::now() >= deadline) return;
    }
  }

  // Claims and runs chunks until none is left. Called by the caller and joined workers.
  void work() {
    for (int64_t c = next_.fetch_add(1, std::memory_order_relaxed); c < chunks_;
         c = next_.fetch_add(1, std::memory_order_relaxed)) {
      const int64_t lo = begin_ + c * per_;
      const int64_t hi = std::min(end_, lo + per_);
      if (lo >= hi) continue;
      try {
        (*fn_)(lo, hi);
      } catch (...) {
        std::lock_guard<std::mutex> g(m_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void loop(uint64_t seen) {
    tls_in_worker = true;
    while (true) {
      // Spin a little first: training calls many short parallel regions back to back,
      // and a condition-variable wake-up costs more than most of them.
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> g(m_);
        cv_.wait(g, [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
        if (stop_) return;
        seen = generation_.load(std::memory_order_relaxed);
        if (!open_) continue;  // woke after that job closed
        joined_.fetch_add(1, std::memory_order_relaxed);
      }
      work();
      {
        std::lock_guard<std::mutex> g(m_);
        if (joined_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_cv_.notify_one();
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::atomic<int> size_{1};
  std::mutex m_, run_mutex_;
  std::condition_variable cv_, done_cv_;
  // The current job; written under m_ before generation_ changes, read by joined workers.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, per_ = 0, chunks_ = 0;
  bool open_ = false, stop_ = false;
  std::exception_ptr error_;
  std::atomic<int64_t> next_{0};
  std::atomic<int> joined_{0};
  std::atomic<uint64_t> generation_{0};
};

int default_threads() {
  if (const char* env = std::getenv("NETWRIGHT_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  return physical_cores();
}

Pool& pool() {
  static Pool p(default_threads());
  return p;
}

}  // namespace

int physical_cores() {
  static int n = detect_physical_cores();
  return n;
}

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(n > 0 ? n : default_threads()); }

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int threads = tls_in_worker ? 1 : num_threads();
  int64_t chunks = std::min<int64_t>(threads, (n + std::max<int64_t>(grain, 1) - 1) / std::max<int64_t>(grain, 1));
  if (chunks <= 1) {
    fn(begin, end);
    return;
  }
  pool().run(begin, end, chunks, fn);
}

void parallel_team(int n, const std::function<void(int, int)>& fn) {
  const int team = tls_in_worker ? 1 : std::min(n, num_threads());
  if (team <= 1) {
    fn(0, 1);
    return;
  }
  // One chunk per member. The caller claims the first; a thread never finishes its chunk
  // before all members have arrived at fn's barriers, so each chunk gets its own thread.
  pool().run(0, team, team, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) fn(static_cast<int>(t), team);
  });
}

void Barrier::wait() {
  const uint32_t phase = phase_.load(std::memory_order_acquire);
  if (waiting_.fetch_add(1, std::memory_order_acq_rel) == count_ - 1) {
    waiting_.store(0, std::memory_order_relaxed);
    phase_.store(phase + 1, std::memory_order_seq_cst);
    // NOTE: seq_cst pairs with the sleeper's increment and re-check below: either we see
    // the sleeper, or it sees the new phase before it sleeps.
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> g(mutex_); }
      cv_.notify_all();
    }
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
  while (phase_.load(std::memory_order_acquire) == phase) {
    for (int i = 0; i < 32; ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() < deadline) continue;
    std::unique_lock<std::mutex> g(mutex_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    cv_.wait(g, [&] { return phase_.load(std::memory_order_seq_cst) != phase; });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
}

const char* simd_level() {
  static const char* level = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
      return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
    return "scalar";
  }();
  return level;
}

}  // namespace nw::cpu
