// GEMM on the device, row-major like the CPU gemm: C = alpha * op(A) op(B) + beta * C,
// batched by strides. cuBLAS when its library is found at run time (dlopen/LoadLibrary:
// no link dependency, so the engine runs where it is not installed; NW_DISABLE_CUBLAS=1
// forces the fallback); else the engine's own register-blocked tiled kernel.
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#define NOMINMAX
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <mutex>

#include "cuda/common.cuh"

namespace nw::cuda {
namespace {

// ---------------------------------------------------------------------------------
// Built-in kernel: a BM x BN tile of C per block of (BM/TM)*(BN/TN) threads, each
// thread holding a TM x TN micro-tile in registers. op(A) and op(B) tiles of depth BK
// go through shared memory; the next tile is fetched into registers while the current
// one is multiplied. A thread owns rows ty + i*(BM/TM) and columns tx + j*(BN/TN), so
// shared-memory reads and C writes of a warp touch consecutive addresses.
// ---------------------------------------------------------------------------------
template <typename T, int BM, int BN, int BK, int TM, int TN>
struct TileConfig {
  static constexpr int kThreadsX = BN / TN;
  static constexpr int kThreadsY = BM / TM;
  static constexpr int kThreads = kThreadsX * kThreadsY;
  static constexpr int kPerA = BM * BK / kThreads;  // op(A) elements each thread loads per tile
  static constexpr int kPerB = BK * BN / kThreads;
  static constexpr int kPad = 4;  // shared rows padded so column-wise stores spread over banks
  static_assert(BM % TM == 0 && BN % TN == 0, "tile sizes must divide");
  static_assert((BM * BK) % kThreads == 0 && (BK * BN) % kThreads == 0, "tile loads must divide evenly");
};

// Coordinates (i, j) of element `idx` of an e1 x e2 tile of op(X), numbered in X's memory
// order: j fastest for a row-major X, i fastest when X is stored transposed. So a warp's
// global loads are coalesced whether or not the operand is transposed.
__device__ inline void tile_coord(int idx, bool trans, int e1, int e2, int& i, int& j) {
  if (trans) {
    i = idx % e1;
    j = idx / e1;
  } else {
    j = idx % e2;
    i = idx / e2;
  }
}
// Element (i, j) of op(X), an rows x cols matrix with X row-major (leading dimension ld),
// or 0 outside it.
template <typename T>
__device__ inline T op_at(const T* __restrict__ x, int64_t ld, bool trans, int64_t i, int64_t j, int64_t rows,
                          int64_t cols) {
  return (i < rows && j < cols) ? (trans ? x[j * ld + i] : x[i * ld + j]) : T(0);
}

template <typename T, int BM, int BN, int BK, int TM, int TN>
__global__ void __launch_bounds__(TileConfig<T, BM, BN, BK, TM, TN>::kThreads)
    gemm_tiled(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* __restrict__ a, int64_t lda,
               int64_t sa, const T* __restrict__ b, int64_t ldb, int64_t sb, T beta, T* __restrict__ c, int64_t ldc,
               int64_t sc) {
  using Cfg = TileConfig<T, BM, BN, BK, TM, TN>;
  constexpr int NT = Cfg::kThreads, TX = Cfg::kThreadsX, TY = Cfg::kThreadsY;
  __shared__ T as[BK][BM + Cfg::kPad];
  __shared__ T bs[BK][BN + Cfg::kPad];

  const int tid = threadIdx.x;
  const int tx = tid % TX, ty = tid / TX;
  const int64_t batch = blockIdx.z;
  a += batch * sa;
  b += batch * sb;
  c += batch * sc;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * BM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.y) * BN;

  // Element e of this thread's share of a tile: (row r, depth kk) of op(A) and (depth kk,
  // column q) of op(B).
  T ra[Cfg::kPerA], rb[Cfg::kPerB];
  auto fetch = [&](int64_t k0) {
#pragma unroll
    for (int e = 0; e < Cfg::kPerA; ++e) {
      int r, kk;
      tile_coord(tid + e * NT, ta, BM, BK, r, kk);
      ra[e] = op_at(a, lda, ta, m0 + r, k0 + kk, m, k);
    }
#pragma unroll
    for (int e = 0; e < Cfg::kPerB; ++e) {
      int kk, q;
      tile_coord(tid + e * NT, tb, BK, BN, kk, q);
      rb[e] = op_at(b, ldb, tb, k0 + kk, n0 + q, k, n);
    }
  };
  auto stash = [&]() {
#pragma unroll
    for (int e = 0; e < Cfg::kPerA; ++e) {
      int r, kk;
      tile_coord(tid + e * NT, ta, BM, BK, r, kk);
      as[kk][r] = ra[e];
    }
#pragma unroll
    for (int e = 0; e < Cfg::kPerB; ++e) {
      int kk, q;
      tile_coord(tid + e * NT, tb, BK, BN, kk, q);
      bs[kk][q] = rb[e];
    }
  };

  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

  if (k > 0) fetch(0);
  for (int64_t k0 = 0; k0 < k; k0 += BK) {
    stash();
    __syncthreads();
    if (k0 + BK < k) fetch(k0 + BK);  // global loads of the next tile overlap this tile's math
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      T af[TM], bf[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) af[i] = as[kk][ty + i * TY];
#pragma unroll
      for (int j = 0; j < TN; ++j) bf[j] = bs[kk][tx + j * TX];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += af[i] * bf[j];
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int64_t row = m0 + ty + i * TY;
    if (row >= m) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int64_t col = n0 + tx + j * TX;
      if (col >= n) continue;
      T* p = c + row * ldc + col;
      *p = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *p;  // beta 0 ignores NaN in C, as BLAS does
    }
  }
}

// Launches one tile configuration over the whole problem, in chunks that keep grid.y
// (column tiles) and grid.z (batch) within CUDA's 65535 limit.
template <typename T, int BM, int BN, int BK, int TM, int TN>
void launch_tiled(int device, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                  int64_t sa, const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc,
                  int64_t batch) {
  using Cfg = TileConfig<T, BM, BN, BK, TM, TN>;
  constexpr int64_t kMaxGrid = 65535;
  const int64_t col_chunk = kMaxGrid * BN;
  const int64_t m_tiles = (m + BM - 1) / BM;
  NW_CHECK(m_tiles <= INT_MAX, "E_SHAPE", "CUDA gemm: " + std::to_string(m) + " rows is too many for one launch");
  for (int64_t b0 = 0; b0 < batch; b0 += kMaxGrid) {
    const int64_t nb = std::min(kMaxGrid, batch - b0);
    for (int64_t c0 = 0; c0 < n; c0 += col_chunk) {
      const int64_t nc = std::min(col_chunk, n - c0);
      // Column c0 of op(B) and of C.
      const T* bp = b + b0 * sb + (tb ? c0 * ldb : c0);
      T* cp = c + b0 * sc + c0;
      dim3 grid(static_cast<unsigned>(m_tiles), static_cast<unsigned>((nc + BN - 1) / BN), static_cast<unsigned>(nb));
      gemm_tiled<T, BM, BN, BK, TM, TN><<<grid, Cfg::kThreads, 0, stream(device)>>>(
          ta, tb, m, nc, k, alpha, a + b0 * sa, lda, sa, bp, ldb, sb, beta, cp, ldc, sc);
      NW_CUDA_LAUNCHED();
    }
  }
}

template <typename T>
void builtin_gemm(int device, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                  int64_t sa, const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc,
                  int64_t batch) {
  if constexpr (sizeof(T) == 4) {
    // Big tiles when they alone fill the device; smaller ones keep every SM busy on
    // small problems (a recurrent step's [N, 4H] GEMM).
    const int64_t big_tiles = ((m + 127) / 128) * ((n + 127) / 128) * batch;
    if (big_tiles >= sm_count(device))
      launch_tiled<T, 128, 128, 8, 8, 8>(device, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
    else
      launch_tiled<T, 64, 64, 16, 4, 4>(device, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
  } else {
    launch_tiled<T, 64, 64, 16, 4, 4>(device, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
  }
}

// ---------------------------------------------------------------------------------
// cuBLAS, loaded at run time. Only the handful of entry points used here are declared;
// the enum values are cuBLAS's documented ABI (CUBLAS_STATUS_SUCCESS = 0,
// CUBLAS_OP_N = 0, CUBLAS_OP_T = 1).
// ---------------------------------------------------------------------------------
using CublasHandle = void*;  // cublasHandle_t: an opaque struct pointer
using CublasStatus = int;
constexpr CublasStatus kCublasSuccess = 0;
constexpr int kCublasOpN = 0, kCublasOpT = 1;

using CreateFn = CublasStatus (*)(CublasHandle*);
using DestroyFn = CublasStatus (*)(CublasHandle);
using SetStreamFn = CublasStatus (*)(CublasHandle, cudaStream_t);
using GetVersionFn = CublasStatus (*)(CublasHandle, int*);
using GetPropertyFn = CublasStatus (*)(int, int*);  // cublasGetProperty(libraryPropertyType, value): no handle
using SgemmFn = CublasStatus (*)(CublasHandle, int, int, int, int, int, const float*, const float*, int, long long,
                                 const float*, int, long long, const float*, float*, int, long long, int);
using DgemmFn = CublasStatus (*)(CublasHandle, int, int, int, int, int, const double*, const double*, int, long long,
                                 const double*, int, long long, const double*, double*, int, long long, int);

struct Cublas {
  bool ok = false;
  std::string library;  // the file that was loaded
  std::string why_not;  // when !ok: what went wrong
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  SetStreamFn set_stream = nullptr;
  GetVersionFn get_version = nullptr;
  GetPropertyFn get_property = nullptr;  // optional
  SgemmFn sgemm = nullptr;
  DgemmFn dgemm = nullptr;
};

Cublas load_cublas() {
  Cublas cb;
  const char* off = std::getenv("NW_DISABLE_CUBLAS");
  if (off && *off && std::string(off) != "0") {
    cb.why_not = "disabled by NW_DISABLE_CUBLAS";
    return cb;
  }
  std::string errors;
#ifdef _WIN32
  HMODULE lib = nullptr;
  for (const char* name : {"cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"}) {
    lib = LoadLibraryA(name);
    if (lib) {
      cb.library = name;
      break;
    }
    errors += std::string(errors.empty() ? "" : "; ") + name + ": not found";
  }
  auto lookup = [&](const char* name) { return reinterpret_cast<void*>(GetProcAddress(lib, name)); };
#else
  void* lib = nullptr;
  for (const char* name : {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}) {
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib) {
      cb.library = name;
      break;
    }
    const char* e = dlerror();
    if (!errors.empty()) errors += "; ";
    errors += e ? e : name;
  }
  auto lookup = [&](const char* name) { return dlsym(lib, name); };
#endif
  if (!lib) {
    cb.why_not = "cuBLAS not found (" + errors + ")";
    return cb;
  }
  std::string missing;
  auto sym = [&](const char* name) {
    void* p = lookup(name);
    if (!p) missing += std::string(missing.empty() ? "" : ", ") + name;
    return p;
  };
  cb.create = reinterpret_cast<CreateFn>(sym("cublasCreate_v2"));
  cb.destroy = reinterpret_cast<DestroyFn>(sym("cublasDestroy_v2"));
  cb.set_stream = reinterpret_cast<SetStreamFn>(sym("cublasSetStream_v2"));
  cb.get_version = reinterpret_cast<GetVersionFn>(sym("cublasGetVersion_v2"));
  cb.get_property = reinterpret_cast<GetPropertyFn>(lookup("cublasGetProperty"));
  cb.sgemm = reinterpret_cast<SgemmFn>(sym("cublasSgemmStridedBatched"));
  cb.dgemm = reinterpret_cast<DgemmFn>(sym("cublasDgemmStridedBatched"));
  if (!missing.empty()) {
    cb.why_not = cb.library + " lacks " + missing;
    return cb;  // the library stays loaded: unloading a CUDA library mid-process is not safe
  }
  cb.ok = true;
  return cb;
}

const Cublas& cublas() {
  static const Cublas cb = load_cublas();
  return cb;
}

// One handle per device, bound to the device's compute stream (created on first use).
struct DeviceHandle {
  std::mutex m;  // a handle is not safe to use from two threads at once
  bool tried = false;
  CublasHandle handle = nullptr;
  std::string why_not;
  int version = 0;
};
DeviceHandle& device_handle(int device) {
  static DeviceHandle* handles = new DeviceHandle[64];  // never destroyed: CUDA may be torn down first
  NW_CHECK(device >= 0 && device < 64, "E_DEVICE", "bad CUDA device index " + std::to_string(device));
  return handles[device];
}

// The device's handle, or nullptr (with dh.why_not) when cuBLAS cannot be used. dh.m held.
CublasHandle handle_locked(DeviceHandle& dh, int device) {
  if (dh.tried) return dh.handle;
  dh.tried = true;
  const Cublas& cb = cublas();
  if (!cb.ok) {
    dh.why_not = cb.why_not;
    return nullptr;
  }
  DeviceGuard guard(device);
  CublasHandle h = nullptr;
  CublasStatus st = cb.create(&h);
  if (st != kCublasSuccess || !h) {
    dh.why_not = cb.library + " found but cublasCreate failed (status " + std::to_string(st) + ")";
    return nullptr;
  }
  st = cb.set_stream(h, stream(device));
  if (st != kCublasSuccess) {
    cb.destroy(h);
    dh.why_not = cb.library + " found but cublasSetStream failed (status " + std::to_string(st) + ")";
    return nullptr;
  }
  int v = 0;
  if (cb.get_version(h, &v) == kCublasSuccess) dh.version = v;
  dh.handle = h;
  return h;
}

std::string version_str(int v) {
  // CUBLAS_VERSION is major*10000 + minor*100 + patch (12.x, late 11.x) or
  // major*1000 + minor*100 + patch (early 11.x).
  int major, minor;
  if (v >= 100000) {
    major = v / 10000;
    minor = (v % 10000) / 100;
  } else {
    major = v / 1000;
    minor = (v % 1000) / 100;
  }
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}

bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: cuBLAS gets B as its
// first operand and A as its second, with m and n swapped. Returns false when cuBLAS
// cannot take the problem (no library, sizes over int, a status error): the caller
// then runs the built-in kernel.
template <typename T>
bool cublas_gemm(int device, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                 int64_t sa, const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc,
                 int64_t batch) {
  if (!fits_int(m) || !fits_int(n) || !fits_int(k) || !fits_int(lda) || !fits_int(ldb) || !fits_int(ldc) ||
      !fits_int(batch))
    return false;
  // cuBLAS's leading-dimension rules (column-major view): ldc >= n; B^T's ld >= n or k; A^T's >= k or m.
  if (ldc < std::max<int64_t>(n, 1) || ldb < std::max<int64_t>(tb ? k : n, 1) || lda < std::max<int64_t>(ta ? m : k, 1))
    return false;
  DeviceHandle& dh = device_handle(device);
  std::lock_guard<std::mutex> lock(dh.m);
  CublasHandle h = handle_locked(dh, device);
  if (!h) return false;
  DeviceGuard guard(device);
  const Cublas& cb = cublas();
  const int op_b = tb ? kCublasOpT : kCublasOpN, op_a = ta ? kCublasOpT : kCublasOpN;
  CublasStatus st;
  if constexpr (sizeof(T) == 4)
    st = cb.sgemm(h, op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b,
                  static_cast<int>(ldb), sb, a, static_cast<int>(lda), sa, &beta, c, static_cast<int>(ldc), sc,
                  static_cast<int>(batch));
  else
    st = cb.dgemm(h, op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b,
                  static_cast<int>(ldb), sb, a, static_cast<int>(lda), sa, &beta, c, static_cast<int>(ldc), sc,
                  static_cast<int>(batch));
  return st == kCublasSuccess;
}

}  // namespace

template <typename T>
void gemm(int device, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c, int64_t ldc, int64_t stride_c,
          int64_t batch) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  if (k > 0 && cublas_gemm<T>(device, trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                     stride_c, batch))
    return;
  // k == 0 (C = beta * C) always runs here: cuBLAS's leading-dimension rules reject some
  // of the degenerate layouts callers pass for empty operands.
  DeviceGuard guard(device);
  builtin_gemm<T>(device, trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c,
                  batch);
}

template void gemm<float>(int, bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                          const float*, int64_t, int64_t, float, float*, int64_t, int64_t, int64_t);
template void gemm<double>(int, bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                           const double*, int64_t, int64_t, double, double*, int64_t, int64_t, int64_t);

std::string gemm_backend() {
  const Cublas& cb = cublas();
  if (!cb.ok) return "built-in kernel (" + cb.why_not + ")";
  if (device_count() == 0) return "cublas (" + cb.library + "; no CUDA device to run it on)";
  int device = 0;
  NW_CUDA_CHECK(cudaGetDevice(&device));
  DeviceHandle& dh = device_handle(device);
  std::lock_guard<std::mutex> lock(dh.m);
  if (!dh.tried && cb.get_property) {
    // Before the first GEMM: the library's own version, so that describing the backend (the
    // engine info at start-up) creates no CUDA context and no handle on the device.
    int major = 0, minor = 0, patch = 0;  // libraryPropertyType: MAJOR_VERSION 0, MINOR_VERSION 1, PATCH_LEVEL 2
    if (cb.get_property(0, &major) == kCublasSuccess && cb.get_property(1, &minor) == kCublasSuccess &&
        cb.get_property(2, &patch) == kCublasSuccess)
      return "cublas " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) + " (" + cb.library + ")";
  }
  if (!handle_locked(dh, device)) return "built-in kernel (" + dh.why_not + ")";
  return "cublas " + version_str(dh.version) + " (" + cb.library + ")";
}

}  // namespace nw::cuda
