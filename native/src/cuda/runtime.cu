// CUDA runtime pieces: error checks, device guard, per-device compute streams, the
// caching allocator, host<->device copies, fill and strided/broadcast copy kernels.
#include <cuda_runtime.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <vector>

#include "cuda/common.cuh"

namespace nw::cuda {

void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear the sticky-free error state so the process can go on
  throw Error("E_CUDA", std::string("CUDA error in ") + what + ": " + cudaGetErrorString(err));
}

DeviceGuard::DeviceGuard(int device) {
  NW_CUDA_CHECK(cudaGetDevice(&prev_));
  if (prev_ != device) {
    NW_CUDA_CHECK(cudaSetDevice(device));
    changed_ = true;
  }
}
DeviceGuard::~DeviceGuard() {
  if (changed_) cudaSetDevice(prev_);
}

int device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return n;
  }();
  return count;
}

void check_device(const Device& d) {
  if (d.type != DeviceType::CUDA) return;
  const int n = device_count();
  NW_CHECK(n > 0, "E_DEVICE", "device " + d.str() + " is not available: this machine has no usable CUDA device; use cpu");
  NW_CHECK(d.index >= 0 && d.index < n, "E_DEVICE",
           "device " + d.str() + " does not exist: this machine has " + std::to_string(n) + " CUDA device" +
               (n == 1 ? " (cuda:0)" : "s (cuda:0 to cuda:" + std::to_string(n - 1) + ")"));
}

namespace {
constexpr int kMaxDevices = 64;
std::mutex g_stream_mutex;
cudaStream_t g_streams[kMaxDevices] = {};
}  // namespace

cudaStream_t stream(int device) {
  NW_CHECK(device >= 0 && device < kMaxDevices, "E_DEVICE", "bad CUDA device index " + std::to_string(device));
  std::lock_guard<std::mutex> lock(g_stream_mutex);
  if (!g_streams[device]) {
    DeviceGuard guard(device);
    NW_CUDA_CHECK(cudaStreamCreateWithFlags(&g_streams[device], cudaStreamNonBlocking));
  }
  return g_streams[device];
}

namespace {
cudaStream_t g_copy_streams[kMaxDevices] = {};
}  // namespace

cudaStream_t copy_stream(int device) {
  NW_CHECK(device >= 0 && device < kMaxDevices, "E_DEVICE", "bad CUDA device index " + std::to_string(device));
  std::lock_guard<std::mutex> lock(g_stream_mutex);
  if (!g_copy_streams[device]) {
    DeviceGuard guard(device);
    NW_CUDA_CHECK(cudaStreamCreateWithFlags(&g_copy_streams[device], cudaStreamNonBlocking));
  }
  return g_copy_streams[device];
}

void synchronize(int device) {
  DeviceGuard guard(device);
  NW_CUDA_CHECK(cudaStreamSynchronize(stream(device)));
}

// ---- caching allocator ----
namespace {

std::string human_bytes(size_t n) {
  char buf[64];
  if (n >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(n) / (1ull << 30));
  else if (n >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1ull << 20));
  else std::snprintf(buf, sizeof buf, "%zu bytes", n);
  return buf;
}

// Small blocks are rounded to 512 bytes, large ones to 1 MiB, and freed blocks are
// kept per rounded size. All work runs on one stream per device, so a block released
// by a tensor can be handed out again at once.
size_t round_size(size_t n) {
  if (n == 0) n = 1;
  const size_t q = n <= (1u << 20) ? 512 : (1u << 20);
  return (n + q - 1) / q * q;
}

struct DeviceCache {
  std::mutex m;
  std::map<size_t, std::vector<void*>> free_blocks;
  size_t in_use = 0, cached = 0, peak = 0;
  // Blocks the copy stream writes: the event recorded after the last copy queued into each.
  std::map<void*, cudaEvent_t> copy_uses;
  // Released blocks whose last copy may still be running: reusable once their event has completed.
  struct Deferred {
    void* p;
    size_t size;
    cudaEvent_t done;
  };
  std::vector<Deferred> deferred;

  // Moves released blocks whose copies have finished to the free lists.
  void collect_deferred_locked(bool wait) {
    for (size_t i = 0; i < deferred.size();) {
      Deferred& d = deferred[i];
      cudaError_t st = wait ? cudaEventSynchronize(d.done) : cudaEventQuery(d.done);
      if (st == cudaErrorNotReady) {
        cudaGetLastError();  // "not ready" is an answer, not an error to report later
        ++i;
        continue;
      }
      if (st != cudaSuccess) cudaGetLastError();  // a failed copy: the block is still reusable
      cudaEventDestroy(d.done);
      free_blocks[d.size].push_back(d.p);
      deferred[i] = deferred.back();
      deferred.pop_back();
    }
  }

  void release_cache_locked(int device) {
    DeviceGuard guard(device);
    collect_deferred_locked(true);
    if (cached == 0) return;
    cudaStreamSynchronize(stream(device));
    for (auto& kv : free_blocks)
      for (void* p : kv.second) cudaFree(p);
    free_blocks.clear();
    cached = 0;
  }
};

DeviceCache& cache(int device) {
  static DeviceCache* caches = new DeviceCache[kMaxDevices];  // never destroyed: tensors may outlive statics
  NW_CHECK(device >= 0 && device < kMaxDevices, "E_DEVICE", "bad CUDA device index " + std::to_string(device));
  return caches[device];
}

}  // namespace

void* alloc(size_t nbytes, int device) {
  check_device(Device{DeviceType::CUDA, device});
  const size_t size = round_size(nbytes);
  DeviceCache& c = cache(device);
  std::lock_guard<std::mutex> lock(c.m);
  if (!c.deferred.empty()) {
    DeviceGuard guard(device);
    c.collect_deferred_locked(false);
  }
  auto it = c.free_blocks.find(size);
  if (it != c.free_blocks.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    c.cached -= size;
    c.in_use += size;
    if (c.in_use > c.peak) c.peak = c.in_use;
    return p;
  }
  DeviceGuard guard(device);
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, size);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    c.release_cache_locked(device);
    err = cudaMalloc(&p, size);
  }
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    cudaGetLastError();
    throw Error("E_OOM", "CUDA out of memory on cuda:" + std::to_string(device) + ": could not allocate " +
                             human_bytes(size) + " (free " + human_bytes(free_b) + " of " + human_bytes(total_b) +
                             "; this run's tensors hold " + human_bytes(c.in_use) +
                             "). Lower the batch size or the model's size, or train on another device.");
  }
  check(err, "cudaMalloc");
  c.in_use += size;
  if (c.in_use > c.peak) c.peak = c.in_use;
  return p;
}

void release(void* p, size_t nbytes, int device) {
  if (!p) return;
  const size_t size = round_size(nbytes);
  DeviceCache& c = cache(device);
  std::lock_guard<std::mutex> lock(c.m);
  c.in_use -= size;
  c.cached += size;
  auto use = c.copy_uses.find(p);
  if (use != c.copy_uses.end()) {
    // Written by the copy stream: reusable once that copy is done, not at once.
    c.deferred.push_back({p, size, use->second});
    c.copy_uses.erase(use);
    return;
  }
  c.free_blocks[size].push_back(p);
}

void record_copy_use(void* block, int device) {
  if (!block) return;
  DeviceGuard guard(device);
  cudaEvent_t ev = nullptr;
  NW_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
  cudaError_t err = cudaEventRecord(ev, copy_stream(device));
  if (err != cudaSuccess) {
    cudaEventDestroy(ev);
    check(err, "cudaEventRecord (copy stream)");
  }
  DeviceCache& c = cache(device);
  std::lock_guard<std::mutex> lock(c.m);
  auto it = c.copy_uses.find(block);
  if (it != c.copy_uses.end()) {
    cudaEventDestroy(it->second);  // the copy stream is in order: the new event covers the old copies
    it->second = ev;
  } else {
    c.copy_uses.emplace(block, ev);
  }
}

MemoryStats memory_stats(int device) {
  check_device(Device{DeviceType::CUDA, device});
  DeviceCache& c = cache(device);
  MemoryStats s;
  {
    std::lock_guard<std::mutex> lock(c.m);
    s.in_use = c.in_use;
    s.cached = c.cached;
    s.peak = c.peak;
  }
  DeviceGuard guard(device);
  NW_CUDA_CHECK(cudaMemGetInfo(&s.device_free, &s.device_total));
  return s;
}

void empty_cache(int device) {
  DeviceCache& c = cache(device);
  std::lock_guard<std::mutex> lock(c.m);
  c.release_cache_locked(device);
}

// ---- copies ----
void memset_zero(void* p, size_t nbytes, int device) {
  if (nbytes == 0) return;
  DeviceGuard guard(device);
  NW_CUDA_CHECK(cudaMemsetAsync(p, 0, nbytes, stream(device)));
}

void upload(void* dst, const void* host_src, size_t nbytes, int device) {
  if (nbytes == 0) return;
  DeviceGuard guard(device);
  cudaStream_t s = stream(device);
  NW_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, nbytes, cudaMemcpyHostToDevice, s));
  NW_CUDA_CHECK(cudaStreamSynchronize(s));  // the host buffer may be freed when we return
}

void download(void* host_dst, const void* src, size_t nbytes, int device) {
  if (nbytes == 0) return;
  DeviceGuard guard(device);
  cudaStream_t s = stream(device);
  NW_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, nbytes, cudaMemcpyDeviceToHost, s));
  NW_CUDA_CHECK(cudaStreamSynchronize(s));
}

int sm_count(int device) {
  constexpr int kDevices = 64;
  static std::atomic<int> counts[kDevices];
  int n = device >= 0 && device < kDevices ? counts[device].load(std::memory_order_relaxed) : 0;
  if (n > 0) return n;
  NW_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device));
  if (n < 1) n = 1;
  if (device >= 0 && device < kDevices) counts[device].store(n, std::memory_order_relaxed);
  return n;
}

void fill(const Tensor& t, double value) {
  DeviceGuard guard(dev(t));
  NW_DISPATCH_ALL(t.dtype(), [&] {
    scalar_t v = static_cast<scalar_t>(value);
    scalar_t* p = base_ptr<scalar_t>(t);
    Indexer ix = indexer(t);
    launch(dev(t), t.numel(), [=] __device__(int64_t i) { p[ix.at(i)] = v; });
  });
}

namespace {

// dst (on cuda) = src (on the same device), any dtypes, src broadcast, any strides.
void copy_on_device(const Tensor& dst, const Tensor& src) {
  DeviceGuard guard(dev(dst));
  NW_DISPATCH_ALL(dst.dtype(), [&] {
    using D = scalar_t;
    NW_DISPATCH_ALL(src.dtype(), [&] {
      using S = scalar_t;
      D* d = base_ptr<D>(dst);
      const S* s = base_ptr<const S>(src);
      Indexer id = indexer(dst), is = indexer(src, dst.sizes());
      launch(dev(dst), dst.numel(), [=] __device__(int64_t i) { d[id.at(i)] = static_cast<D>(s[is.at(i)]); });
    });
  });
}

size_t nbytes_of(const Tensor& t) { return static_cast<size_t>(t.numel()) * dtype_size(t.dtype()); }

}  // namespace

void copy(const Tensor& dst, const Tensor& src) {
  const Device dd = dst.device(), sd = src.device();
  if (dd.type == DeviceType::CUDA && sd == dd) {
    copy_on_device(dst, src);
    return;
  }
  if (dd.type == DeviceType::CUDA && sd.type == DeviceType::CPU) {
    // Upload src as it is (contiguous, its own dtype), then convert/broadcast/stride on the device.
    Tensor host = src.contiguous();
    if (dst.is_contiguous() && host.dtype() == dst.dtype() && host.sizes() == dst.sizes()) {
      upload(dst.raw_data(), host.raw_data(), nbytes_of(host), dd.index);
      return;
    }
    Tensor staged = empty(host.sizes(), host.dtype(), dd);
    upload(staged.raw_data(), host.raw_data(), nbytes_of(host), dd.index);
    copy_on_device(dst, staged);
    return;
  }
  if (dd.type == DeviceType::CPU && sd.type == DeviceType::CUDA) {
    // Convert/broadcast on the device into dst's dtype and shape, download, then place.
    Tensor staged = src;
    if (!(src.is_contiguous() && src.dtype() == dst.dtype() && src.sizes() == dst.sizes())) {
      staged = empty(dst.sizes(), dst.dtype(), sd);
      copy_on_device(staged, src);
    }
    if (dst.is_contiguous()) {
      download(dst.raw_data(), staged.raw_data(), nbytes_of(staged), sd.index);
      return;
    }
    Tensor host = empty(dst.sizes(), dst.dtype());
    download(host.raw_data(), staged.raw_data(), nbytes_of(staged), sd.index);
    ::nw::copy_(dst, host);
    return;
  }
  // cuda:i -> cuda:j
  Tensor staged = src.contiguous();
  Tensor moved = empty(staged.sizes(), staged.dtype(), dd);
  synchronize(sd.index);
  {
    DeviceGuard guard(dd.index);
    NW_CUDA_CHECK(cudaMemcpyPeerAsync(moved.raw_data(), dd.index, staged.raw_data(), sd.index, nbytes_of(staged),
                                      stream(dd.index)));
  }
  copy_on_device(dst, moved);
}

double read_scalar(const Tensor& t, int64_t linear) {
  const int64_t off = element_offset(t, linear);
  return NW_DISPATCH_ALL(t.dtype(), [&] {
    scalar_t v{};
    download(&v, static_cast<const scalar_t*>(t.impl()->storage->data) + off, sizeof(scalar_t), dev(t));
    return static_cast<double>(v);
  });
}

}  // namespace nw::cuda
