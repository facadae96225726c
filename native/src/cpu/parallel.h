// CPU parallelism: a persistent thread pool with parallel_for, and SIMD level detection.
#pragma once

#include <cstdint>
#include <functional>

namespace nw::cpu {

// Threads used by parallel_for (the calling thread included).
int num_threads();
void set_num_threads(int n);  // n <= 0 restores the default
int physical_cores();

// Splits [begin, end) into chunks of at least `grain` and runs fn(chunk_begin, chunk_end)
// on the pool; runs inline when the range is small or when called from a pool worker.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// "avx512", "avx2" or "scalar": the widest kernel set this CPU runs.
const char* simd_level();

}  // namespace nw::cpu
