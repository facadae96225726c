// Thread pool: workers sleep on a condition variable; parallel_for hands each a
// contiguous chunk and the caller takes one too, then waits for the rest.
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
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

class Pool {
 public:
  explicit Pool(int threads) { resize(threads); }
  ~Pool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    stop();
    done_ = false;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { loop(i); });
  }

  void run(int64_t begin, int64_t end, int64_t chunks, const std::function<void(int64_t, int64_t)>& fn) {
    std::unique_lock<std::mutex> lock(run_mutex_);  // one parallel region at a time
    const int64_t n = end - begin;
    const int64_t per = (n + chunks - 1) / chunks;
    {
      std::lock_guard<std::mutex> g(m_);
      fn_ = &fn;
      begin_ = begin;
      end_ = end;
      per_ = per;
      next_chunk_ = 1;
      num_chunks_ = chunks;
      pending_ = chunks - 1;
      ++generation_;
    }
    cv_.notify_all();
    tls_in_worker = true;
    fn(begin, std::min(end, begin + per));
    // The caller also steals remaining chunks.
    while (true) {
      int64_t c = next_chunk_.fetch_add(1);
      if (c >= num_chunks_) break;
      fn(begin + c * per, std::min(end, begin + (c + 1) * per));
      finish_one();
    }
    tls_in_worker = false;
    std::unique_lock<std::mutex> g(m_);
    done_cv_.wait(g, [&] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void finish_one() {
    std::lock_guard<std::mutex> g(m_);
    if (--pending_ == 0) done_cv_.notify_all();
  }

  void loop(int) {
    tls_in_worker = true;
    uint64_t seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> g(m_);
        cv_.wait(g, [&] { return done_ || generation_ != seen; });
        if (done_) return;
        seen = generation_;
      }
      while (true) {
        int64_t c = next_chunk_.fetch_add(1);
        if (c >= num_chunks_) break;
        (*fn_)(begin_ + c * per_, std::min(end_, begin_ + (c + 1) * per_));
        finish_one();
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> g(m_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex m_, run_mutex_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, per_ = 0, num_chunks_ = 0;
  std::atomic<int64_t> next_chunk_{0};
  int64_t pending_ = 0;
  uint64_t generation_ = 0;
  bool done_ = false;
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
