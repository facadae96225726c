// GEMM driver (GotoBLAS/BLIS loop structure): blocks of op(B) (kc×nc) and op(A) (mc×kc)
// are packed into contiguous micro-panels, then a register-blocked micro-kernel from the
// widest kernel set the CPU runs (AVX-512, AVX2, portable) computes each mr×nr tile.
// Tall problems run on a team that shares each packed B block and claims row blocks of
// C (gemm_team); short ones (few rows, e.g. a small batch) split C into column stripes,
// each thread packing its own panels with no barriers.
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

#include "gemm_kernels.h"
#include "parallel.h"

namespace nw::cpu {

namespace detail {
namespace {

// Portable kernels: plain loops the compiler vectorises for the baseline ISA.
template <typename T, int MR, int NR>
void portable_kernel(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int nr) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int i = 0; i < MR; ++i) {
      const T ai = a[i];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; ++i) {
    T* cr = c + i * ldc;
    if (beta == T(0)) {
      for (int j = 0; j < nr; ++j) cr[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < nr; ++j) cr[j] = alpha * acc[i][j] + beta * cr[j];
    }
  }
}

template <typename T>
KernelSet<T> make_portable() {
  constexpr int NR = 16 / sizeof(T) * 2;  // two SSE vectors per row
  KernelSet<T> s{"scalar", 4, NR, 4 * 32, 256, 1024, {}};
  s.kernel[1] = portable_kernel<T, 1, NR>;
  s.kernel[2] = portable_kernel<T, 2, NR>;
  s.kernel[3] = portable_kernel<T, 3, NR>;
  s.kernel[4] = portable_kernel<T, 4, NR>;
  return s;
}

const KernelSet<float>* portable_f32() {
  static const KernelSet<float> s = make_portable<float>();
  return &s;
}
const KernelSet<double>* portable_f64() {
  static const KernelSet<double> s = make_portable<double>();
  return &s;
}

}  // namespace

#ifdef NW_GEMM_NO_X86_KERNELS
// No ISA kernel files on this target; detected_level() never selects these.
const KernelSet<float>* gemm_avx512_f32() { return portable_f32(); }
const KernelSet<double>* gemm_avx512_f64() { return portable_f64(); }
const KernelSet<float>* gemm_avx2_f32() { return portable_f32(); }
const KernelSet<double>* gemm_avx2_f64() { return portable_f64(); }
#endif

namespace {

enum class Level { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

Level detected_level() {
#ifdef NW_GEMM_NO_X86_KERNELS
  return Level::kScalar;
#else
  const char* s = simd_level();
  if (std::strcmp(s, "avx512") == 0) return Level::kAvx512;
  if (std::strcmp(s, "avx2") == 0) return Level::kAvx2;
  return Level::kScalar;
#endif
}

std::atomic<int> g_forced{-1};

Level current_level() {
  int f = g_forced.load(std::memory_order_relaxed);
  return f >= 0 ? static_cast<Level>(f) : detected_level();
}

template <typename T>
const KernelSet<T>* kernels();
template <>
const KernelSet<float>* kernels<float>() {
  switch (current_level()) {
    case Level::kAvx512: return gemm_avx512_f32();
    case Level::kAvx2: return gemm_avx2_f32();
    default: return portable_f32();
  }
}
template <>
const KernelSet<double>* kernels<double>() {
  switch (current_level()) {
    case Level::kAvx512: return gemm_avx512_f64();
    case Level::kAvx2: return gemm_avx2_f64();
    default: return portable_f64();
  }
}

// Per-thread packing buffers, grown on demand and kept (gemm is called every batch).
struct PackBuffer {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> mem;
  size_t bytes = 0;
  void* get(size_t need) {
    if (need > bytes) {
      need = (need + 4095) & ~size_t(4095);
      mem.reset(std::aligned_alloc(64, need));
      if (!mem) throw std::bad_alloc();
      bytes = need;
    }
    return mem.get();
  }
};
thread_local PackBuffer tls_pack_a, tls_pack_b;

// Element (i, p) of op(A) and (p, j) of op(B).
template <typename T>
struct Operand {
  const T* ptr;
  int64_t ld;
  bool trans;
};

// Packs op(A)[i0:i0+mc, p0:p0+kc] into panels of mr rows: panel r holds, for each p,
// min(mr, rows left) values. Panel starting at row ir begins at out + ir·kc.
template <typename T>
void pack_a(const KernelSet<T>& ks, const Operand<T>& A, int64_t i0, int64_t p0, int64_t mc, int64_t kc, T* out) {
  const int mr = ks.mr;
  for (int64_t ir = 0; ir < mc; ir += mr) {
    const int rows = static_cast<int>(std::min<int64_t>(mr, mc - ir));
    T* dst = out + ir * kc;
    if (!A.trans && rows == mr && ks.pack_a_rows) {
      ks.pack_a_rows(A.ptr + (i0 + ir) * A.ld + p0, A.ld, kc, rows, dst);
    } else if (A.trans) {  // A stored k×m: a row of the panel per p is contiguous
      const T* src = A.ptr + p0 * A.ld + (i0 + ir);
      for (int64_t p = 0; p < kc; ++p, src += A.ld, dst += rows)
        for (int i = 0; i < rows; ++i) dst[i] = src[i];
    } else {
      const T* src = A.ptr + (i0 + ir) * A.ld + p0;
      if (rows == mr) {
        // Read rows in short strips of p so the mr source streams stay in L1.
        for (int64_t pb = 0; pb < kc; pb += 8) {
          const int64_t pe = std::min<int64_t>(kc, pb + 8);
          for (int i = 0; i < rows; ++i) {
            const T* s = src + i * A.ld;
            for (int64_t p = pb; p < pe; ++p) dst[p * rows + i] = s[p];
          }
        }
      } else {
        for (int i = 0; i < rows; ++i) {
          const T* s = src + i * A.ld;
          for (int64_t p = 0; p < kc; ++p) dst[p * rows + i] = s[p];
        }
      }
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into panels of nr columns, zero-padded to nr.
template <typename T>
void pack_b(const KernelSet<T>& ks, const Operand<T>& B, int64_t p0, int64_t j0, int64_t kc, int64_t nc, T* out) {
  const int nr = ks.nr;
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr));
    T* dst = out + jr * kc;
    if (B.trans && ks.pack_b_cols) {
      ks.pack_b_cols(B.ptr + (j0 + jr) * B.ld + p0, B.ld, kc, cols, dst);
    } else if (!B.trans) {  // B stored k×n: each panel row is contiguous
      const T* src = B.ptr + p0 * B.ld + (j0 + jr);
      for (int64_t p = 0; p < kc; ++p, src += B.ld, dst += nr) {
        int j = 0;
        for (; j < cols; ++j) dst[j] = src[j];
        for (; j < nr; ++j) dst[j] = T(0);
      }
    } else {  // B stored n×k: gather nr rows, in strips of p to stay in L1
      const T* src = B.ptr + (j0 + jr) * B.ld + p0;
      for (int64_t pb = 0; pb < kc; pb += 16) {
        const int64_t pe = std::min<int64_t>(kc, pb + 16);
        for (int j = 0; j < cols; ++j) {
          const T* s = src + j * B.ld;
          for (int64_t p = pb; p < pe; ++p) dst[p * nr + j] = s[p];
        }
        for (int j = cols; j < nr; ++j)
          for (int64_t p = pb; p < pe; ++p) dst[p * nr + j] = T(0);
      }
    }
  }
}

// C[mc×nc] (+)= alpha·(packed A block)·(packed B block), tile by tile: each B micro-panel
// stays in L1 while the A micro-panels stream through it from L2.
template <typename T>
void macro_kernel(const KernelSet<T>& ks, const T* pa, const T* pb, int64_t mc, int64_t nc, int64_t kc, T alpha,
                  T beta, T* c, int64_t ldc) {
  const int mr = ks.mr, nr = ks.nr;
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr));
    const T* bp = pb + jr * kc;
    for (int64_t ir = 0; ir < mc; ir += mr) {
      const int rows = static_cast<int>(std::min<int64_t>(mr, mc - ir));
      ks.kernel[rows](kc, pa + ir * kc, bp, c + ir * ldc + jr, ldc, alpha, beta, cols);
    }
  }
}

// C[m×n] (already offset) = alpha·op(A)·op(B) + beta·C on the calling thread.
// A and B carry offsets of the sub-problem (row0 of op(A), col0 of op(B)).
template <typename T>
void gemm_serial(const KernelSet<T>& ks, const Operand<T>& A, int64_t arow0, const Operand<T>& B, int64_t bcol0,
                 int64_t m, int64_t n, int64_t k, T alpha, T beta, T* c, int64_t ldc) {
  const int mr = ks.mr, nr = ks.nr;
  const int64_t kc_max = std::min<int64_t>(ks.kc, k);
  const int64_t nc_max = std::min<int64_t>(ks.nc, (n + nr - 1) / nr * nr);
  const int64_t mc_max = std::min<int64_t>(ks.mc, (m + mr - 1) / mr * mr);
  T* pa = static_cast<T*>(tls_pack_a.get(sizeof(T) * size_t(mc_max * kc_max)));
  T* pb = static_cast<T*>(tls_pack_b.get(sizeof(T) * size_t(nc_max * kc_max)));

  for (int64_t jc = 0; jc < n; jc += ks.nc) {
    const int64_t nc = std::min<int64_t>(ks.nc, n - jc);
    for (int64_t pc = 0; pc < k; pc += ks.kc) {
      const int64_t kc = std::min<int64_t>(ks.kc, k - pc);
      const T beta_eff = pc == 0 ? beta : T(1);
      pack_b(ks, B, pc, bcol0 + jc, kc, nc, pb);
      for (int64_t ic = 0; ic < m; ic += ks.mc) {
        const int64_t mc = std::min<int64_t>(ks.mc, m - ic);
        pack_a(ks, A, arow0 + ic, pc, mc, kc, pa);
        macro_kernel(ks, pa, pb, mc, nc, kc, alpha, beta_eff, c + ic * ldc + jc, ldc);
      }
    }
  }
}

// The same product on a team of threads sharing each packed B block (kc×nc): the team
// packs it together (a share of its micro-panels each), meets at a barrier, then each
// member claims row blocks of C one at a time, packs that block of A itself and
// multiplies. B blocks alternate between two buffers, so one barrier per block is
// enough: a member can only start packing block i+1 (into the buffer of block i-1)
// after everyone passed block i's barrier, i.e. finished multiplying with block i-1.
// Row blocks are claimed dynamically, so a member slowed by another process does less.
template <typename T>
void gemm_team(const KernelSet<T>& ks, int threads, const Operand<T>& A, const Operand<T>& B, int64_t m, int64_t n,
               int64_t k, T alpha, T beta, T* c, int64_t ldc) {
  const int mr = ks.mr, nr = ks.nr;
  const int64_t kc_max = std::min<int64_t>(ks.kc, k);
  const int64_t nc_max = std::min<int64_t>(ks.nc, (n + nr - 1) / nr * nr);
  // Row blocks: at most ks.mc rows, a multiple of `threads` in number, and the mr-row
  // tiles dealt out evenly (block b gets tiles [tiles·b/blocks, tiles·(b+1)/blocks)) so
  // that equal members finish together.
  const int64_t tiles = (m + mr - 1) / mr;
  int64_t blocks = (m + ks.mc - 1) / ks.mc;
  blocks = std::min(tiles, (blocks + threads - 1) / threads * threads);
  const int64_t mc_team = (tiles + blocks - 1) / blocks * mr;  // the largest block
  const int64_t n_blocks = (n + ks.nc - 1) / ks.nc, k_blocks = (k + ks.kc - 1) / ks.kc;
  const size_t b_elems = size_t(nc_max * kc_max + 64 / sizeof(T));  // second buffer 64-byte aligned
  T* pb = static_cast<T*>(tls_pack_b.get(sizeof(T) * 2 * b_elems));
  T* pbuf[2] = {pb, pb + b_elems};
  std::unique_ptr<std::atomic<int64_t>[]> claimed(new std::atomic<int64_t>[size_t(n_blocks * k_blocks)]);
  for (int64_t i = 0; i < n_blocks * k_blocks; ++i) claimed[size_t(i)].store(0, std::memory_order_relaxed);
  std::atomic<bool> failed{false};
  Barrier barrier(threads);

  parallel_team(threads, [&](int tid, int team) {
    if (team != threads) {  // nested call: no teammates after all
      gemm_serial(ks, A, 0, B, 0, m, n, k, alpha, beta, c, ldc);
      return;
    }
    T* pa = nullptr;
    std::exception_ptr error;
    try {
      pa = static_cast<T*>(tls_pack_a.get(sizeof(T) * size_t(mc_team * kc_max)));
    } catch (...) {
      error = std::current_exception();
      failed.store(true);
    }
    barrier.wait();
    if (failed.load()) {
      if (error) std::rethrow_exception(error);
      return;
    }
    int64_t it = 0;
    for (int64_t jc = 0; jc < n; jc += ks.nc) {
      const int64_t nc = std::min<int64_t>(ks.nc, n - jc);
      const int64_t panels = (nc + nr - 1) / nr;
      for (int64_t pc = 0; pc < k; pc += ks.kc, ++it) {
        const int64_t kc = std::min<int64_t>(ks.kc, k - pc);
        const T beta_eff = pc == 0 ? beta : T(1);
        T* bb = pbuf[it & 1];
        const int64_t p0 = panels * tid / team, p1 = panels * (tid + 1) / team;
        if (p1 > p0) pack_b(ks, B, pc, jc + p0 * nr, kc, std::min(nc, p1 * nr) - p0 * nr, bb + p0 * nr * kc);
        barrier.wait();
        std::atomic<int64_t>& next = claimed[size_t(it)];
        for (int64_t blk = next.fetch_add(1, std::memory_order_relaxed); blk < blocks;
             blk = next.fetch_add(1, std::memory_order_relaxed)) {
          const int64_t ic = tiles * blk / blocks * mr, mc = std::min(m, tiles * (blk + 1) / blocks * mr) - ic;
          pack_a(ks, A, ic, pc, mc, kc, pa);
          macro_kernel(ks, pa, bb, mc, nc, kc, alpha, beta_eff, c + ic * ldc + jc, ldc);
        }
      }
    }
  });
}

template <typename T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* cr = c + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < n; ++j) cr[j] = T(0);
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < n; ++j) cr[j] *= beta;
    }
  }
}

// Work (multiply-adds) per thread below which a second thread costs more than it
// saves (waking a pool worker is ~5-20 µs; 2e6 MACs is ~15 µs at AVX-512 speed).
constexpr double kMinWorkPerThread = 2.0e6;

std::atomic<int> g_forced_threads{0};

// Whether more threads help depends on the machine *and* on what else runs on it: on
// a shared 2-vCPU VM a second thread is 2× faster when the other vCPU is idle and
// slower when it is busy. So for each size class (log2 of the work) gemm keeps a
// running cost per multiply-add for one thread and for all threads, uses the cheaper,
// and re-measures the other every 16th call.
struct ThreadStats {
  std::atomic<float> cost[2];  // seconds per MAC (EMA); 0 = not measured yet
  std::atomic<uint32_t> calls{0};
};
ThreadStats g_thread_stats[64];

int size_class(double work) {
  int e = 0;
  std::frexp(work, &e);
  return std::clamp(e, 0, 63);
}

// Threads the size heuristic allows (1 when the work is too small to share).
int threads_allowed(int64_t m, int64_t n, int64_t k) {
  const int t = num_threads();
  const int forced = g_forced_threads.load(std::memory_order_relaxed);
  if (forced > 0) return std::min(t, forced);
  const double work = double(m) * double(n) * double(k);
  const int by_work = static_cast<int>(std::max(1.0, work / kMinWorkPerThread));
  return std::max(1, std::min(t, by_work));
}

// The thread count for this call; `option` (0: one thread, 1: many) is what to record.
int threads_for(int64_t m, int64_t n, int64_t k, int* option = nullptr) {
  const int allowed = threads_allowed(m, n, k);
  if (option) *option = -1;
  if (allowed <= 1 || g_forced_threads.load(std::memory_order_relaxed) > 0) return allowed;
  ThreadStats& st = g_thread_stats[size_class(double(m) * double(n) * double(k))];
  const float c1 = st.cost[0].load(std::memory_order_relaxed), cn = st.cost[1].load(std::memory_order_relaxed);
  const uint32_t call = st.calls.fetch_add(1, std::memory_order_relaxed);
  int pick;
  if (cn == 0.f) pick = 1;
  else if (c1 == 0.f) pick = 0;
  else {
    pick = cn <= c1 ? 1 : 0;
    if (call % 16 == 15) pick = 1 - pick;  // keep measuring the other choice
  }
  if (option) *option = pick;
  return pick ? allowed : 1;
}

void record_cost(int64_t m, int64_t n, int64_t k, int option, double seconds) {
  if (option < 0) return;
  const double work = double(m) * double(n) * double(k);
  ThreadStats& st = g_thread_stats[size_class(work)];
  const float cost = static_cast<float>(seconds / work);
  const float old = st.cost[option].load(std::memory_order_relaxed);
  st.cost[option].store(old == 0.f ? cost : 0.75f * old + 0.25f * cost, std::memory_order_relaxed);
}

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T(0)) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const KernelSet<T>& ks = *kernels<T>();
  const Operand<T> A{a, lda, trans_a};
  const Operand<T> B{b, ldb, trans_b};
  int option = -1;
  const int threads = threads_for(m, n, k, &option);
  const auto start = std::chrono::steady_clock::now();
  // Tasks are stripes of whole tiles of C along the dimension with more tiles; a task
  // packs its own share of that operand and all of the other (a few percent extra
  // packing, no barriers). More tasks than threads, claimed dynamically, so a thread
  // slowed by another process (a shared VM) does less of the work.
  const int64_t tiles_m = (m + ks.mr - 1) / ks.mr;
  const int64_t tiles_n = (n + ks.nr - 1) / ks.nr;
  // Enough rows for every thread to get a few row blocks of its own: share packed B.
  if (threads > 1 && tiles_m >= int64_t(4) * threads) {
    gemm_team(ks, threads, A, B, m, n, k, alpha, beta, c, ldc);
    record_cost(m, n, k, option, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return;
  }
  const bool split_n = tiles_n * ks.nr >= tiles_m * ks.mr;
  const int64_t tiles = split_n ? tiles_n : tiles_m;
  const int64_t tile_work = (split_n ? int64_t(ks.nr) * m : int64_t(ks.mr) * n) * k;
  int64_t tasks = std::min<int64_t>(tiles, threads);
  if (tasks <= 1) {
    gemm_serial(ks, A, 0, B, 0, m, n, k, alpha, beta, c, ldc);
    record_cost(m, n, k, option, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return;
  }
  // Up to 4 tasks per thread while each keeps >= 4·kMinWorkPerThread of work.
  const int64_t by_work = static_cast<int64_t>(double(tiles) * double(tile_work) / (4.0 * kMinWorkPerThread));
  tasks = std::max(tasks, std::min<int64_t>({tiles, int64_t(4) * threads, by_work}));
  std::atomic<int64_t> next{0};
  parallel_for(0, threads, 1, [&](int64_t, int64_t) {
    for (int64_t t = next.fetch_add(1, std::memory_order_relaxed); t < tasks;
         t = next.fetch_add(1, std::memory_order_relaxed)) {
      const int64_t t0 = tiles * t / tasks, t1 = tiles * (t + 1) / tasks;
      if (split_n) {
        const int64_t j0 = t0 * ks.nr, j1 = std::min(n, t1 * ks.nr);
        gemm_serial(ks, A, 0, B, j0, m, j1 - j0, k, alpha, beta, c + j0, ldc);
      } else {
        const int64_t i0 = t0 * ks.mr, i1 = std::min(m, t1 * ks.mr);
        gemm_serial(ks, A, i0, B, 0, i1 - i0, n, k, alpha, beta, c + i0 * ldc, ldc);
      }
    }
  });
  record_cost(m, n, k, option, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace
}  // namespace detail

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  detail::gemm<float>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
           int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  detail::gemm<double>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

bool gemm_force_level(const char* level) {
  using detail::Level;
  if (level == nullptr || *level == '\0' || std::strcmp(level, "auto") == 0) {
    detail::g_forced.store(-1);
    return true;
  }
  Level want;
  if (std::strcmp(level, "avx512") == 0) want = Level::kAvx512;
  else if (std::strcmp(level, "avx2") == 0) want = Level::kAvx2;
  else if (std::strcmp(level, "scalar") == 0) want = Level::kScalar;
  else return false;
  if (static_cast<int>(want) > static_cast<int>(detail::detected_level())) return false;
  detail::g_forced.store(static_cast<int>(want));
  return true;
}

const char* gemm_level() { return detail::kernels<float>()->name; }

int gemm_threads(int64_t m, int64_t n, int64_t k) { return detail::threads_allowed(m, n, k); }

void gemm_set_threads(int n) { detail::g_forced_threads.store(n > 0 ? n : 0); }

}  // namespace nw::cpu
