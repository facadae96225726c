// Overlapping uploads: a host batch is copied into a pinned staging buffer and queued on
// the device's copy stream while the compute stream runs the current step; the step that
// takes it makes the compute stream wait for the copy. Two slots alternate, so the batch
// being read by one step is never overwritten by the next upload.
//
// Ordering rules (all with events, no host waits in the steady state):
// - a slot's device buffers are refilled only after the compute stream has passed the
//   end of the step that read them (`consumed`, recorded by done());
// - a device buffer freshly taken from the caching allocator may have been released by
//   compute work that is still queued, so the first copy into it waits for the compute
//   stream as it is at that moment;
// - every block the copy stream writes is marked with record_copy_use, so if it is
//   released while the copy runs, the allocator keeps it until the copy has finished;
// - a pinned buffer is rewritten only after the copy that reads it has finished.
#include <cstring>
#include <mutex>

#include "cuda/common.cuh"

namespace nw::cuda {

namespace {

constexpr size_t kAlign = 256;
size_t aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

struct Entry {
  std::shared_ptr<TensorImpl> host;  // the staged host tensor (held, so its identity cannot be reused)
  uint32_t host_version = 0;
  Tensor device;                     // the device copy
  size_t pinned_offset = 0;
};

enum class SlotState { Free, Staged, Taken };

struct Slot {
  SlotState state = SlotState::Free;
  uint64_t stamp = 0;  // when it was staged (the oldest staged batch is replaced first)
  std::vector<Entry> entries;
  void* pinned = nullptr;
  size_t pinned_bytes = 0;
  cudaEvent_t copied = nullptr;    // recorded on the copy stream after the slot's copies
  cudaEvent_t consumed = nullptr;  // recorded on the compute stream after the step that read the slot
  bool copy_pending = false;       // `copied` was recorded and may not have completed
  bool consume_pending = false;    // `consumed` was recorded
};

}  // namespace

struct Uploader::Impl {
  int device = 0;
  std::mutex m;
  Slot slots[2];
  uint64_t stamps = 0;

  void wait_copied(Slot& s) {
    if (s.copy_pending) {
      NW_CUDA_CHECK(cudaEventSynchronize(s.copied));
      s.copy_pending = false;
    }
  }

  Slot* pick_slot() {
    // A free slot; else the oldest batch that was staged and never taken is replaced. (A
    // batch staged for the step that is starting keeps its slot until that step takes it.)
    for (Slot& s : slots)
      if (s.state == SlotState::Free) return &s;
    Slot* oldest = nullptr;
    for (Slot& s : slots)
      if (s.state == SlotState::Staged && (!oldest || s.stamp < oldest->stamp)) oldest = &s;
    return oldest;
  }
};

Uploader::Uploader(int device) : impl_(nullptr) {
  check_device(Device{DeviceType::CUDA, device});
  DeviceGuard guard(device);
  impl_ = new Impl;
  impl_->device = device;
  for (Slot& s : impl_->slots) {
    if (cudaEventCreateWithFlags(&s.copied, cudaEventDisableTiming) != cudaSuccess ||
        cudaEventCreateWithFlags(&s.consumed, cudaEventDisableTiming) != cudaSuccess) {
      const cudaError_t err = cudaGetLastError();
      for (Slot& t : impl_->slots) {
        if (t.copied) cudaEventDestroy(t.copied);
        if (t.consumed) cudaEventDestroy(t.consumed);
      }
      delete impl_;
      impl_ = nullptr;
      check(err == cudaSuccess ? cudaErrorUnknown : err, "cudaEventCreate (uploader)");
    }
  }
}

Uploader::~Uploader() {
  int prev = -1;
  if (cudaGetDevice(&prev) == cudaSuccess && prev != impl_->device) cudaSetDevice(impl_->device);
  for (Slot& s : impl_->slots) {
    if (s.copied) cudaEventSynchronize(s.copied);  // the pinned buffer is read until the copy ends
    s.entries.clear();                             // device blocks: record_copy_use keeps them from reuse meanwhile
    if (s.pinned) cudaFreeHost(s.pinned);
    if (s.copied) cudaEventDestroy(s.copied);
    if (s.consumed) cudaEventDestroy(s.consumed);
  }
  if (prev >= 0 && prev != impl_->device) cudaSetDevice(prev);
  cudaGetLastError();  // nothing here may throw; a failure leaves nothing to undo
  delete impl_;
}

void Uploader::stage(const TensorList& host) {
  Impl& u = *impl_;
  const int device = u.device;
  const Device d{DeviceType::CUDA, device};
  for (const auto& t : host)
    NW_CHECK(t.defined() && t.device().type == DeviceType::CPU, "E_DEVICE",
             "prefetch takes host (cpu) tensors; this one is on " + (t.defined() ? t.device().str() : std::string("nothing")));
  std::lock_guard<std::mutex> lock(u.m);
  DeviceGuard guard(device);
  Slot* slot = u.pick_slot();
  if (!slot) return;  // both slots busy (cannot happen with one step at a time): the step uploads itself
  slot->state = SlotState::Free;

  // Host data as contiguous tensors (usually the tensors themselves).
  std::vector<Tensor> src;
  src.reserve(host.size());
  size_t total = 0;
  for (const auto& t : host) {
    src.push_back(t.contiguous());
    total += aligned(static_cast<size_t>(t.numel()) * dtype_size(t.dtype()));
  }

  // The pinned buffer: the previous copy out of it must be done before it is rewritten.
  u.wait_copied(*slot);
  if (slot->pinned_bytes < total) {
    if (slot->pinned) NW_CUDA_CHECK(cudaFreeHost(slot->pinned));
    slot->pinned = nullptr;
    slot->pinned_bytes = 0;
    NW_CUDA_CHECK(cudaMallocHost(&slot->pinned, total));
    slot->pinned_bytes = total;
  }

  cudaStream_t cs = copy_stream(device);
  // The previous batch in this slot may still be read by the step that took it.
  if (slot->consume_pending) {
    NW_CUDA_CHECK(cudaStreamWaitEvent(cs, slot->consumed, 0));
    slot->consume_pending = false;
  }

  std::vector<Entry> next(host.size());
  bool fresh_block = false;
  size_t offset = 0;
  for (size_t i = 0; i < host.size(); ++i) {
    const Tensor& h = src[i];
    Entry& e = next[i];
    e.host = host[i].shared();
    e.host_version = host[i].impl()->version;
    e.pinned_offset = offset;
    offset += aligned(static_cast<size_t>(h.numel()) * dtype_size(h.dtype()));
    // Reuse the slot's device tensor when nobody else holds it and it fits exactly.
    if (i < slot->entries.size()) {
      const Tensor& old = slot->entries[i].device;
      if (old.defined() && old.sizes() == h.sizes() && old.dtype() == h.dtype() && old.shared().use_count() == 1 &&
          old.impl()->storage.use_count() == 1)
        e.device = old;
    }
    if (!e.device.defined()) {
      e.device = empty(h.sizes(), h.dtype(), d);
      fresh_block = true;
    }
  }
  if (fresh_block) {
    // A block from the cache may have been released by compute work still queued.
    cudaEvent_t ev = nullptr;
    NW_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
    cudaError_t err = cudaEventRecord(ev, stream(device));
    if (err == cudaSuccess) err = cudaStreamWaitEvent(cs, ev, 0);
    cudaEventDestroy(ev);  // destruction is deferred by CUDA until the event completes
    check(err, "ordering the copy stream after the compute stream");
  }
  slot->entries = std::move(next);

  for (size_t i = 0; i < host.size(); ++i) {
    const Tensor& h = src[i];
    Entry& e = slot->entries[i];
    const size_t bytes = static_cast<size_t>(h.numel()) * dtype_size(h.dtype());
    if (bytes == 0) continue;
    char* pinned = static_cast<char*>(slot->pinned) + e.pinned_offset;
    std::memcpy(pinned, h.raw_data(), bytes);
    NW_CUDA_CHECK(cudaMemcpyAsync(e.device.raw_data(), pinned, bytes, cudaMemcpyHostToDevice, cs));
    record_copy_use(e.device.impl()->storage->data, device);
  }
  NW_CUDA_CHECK(cudaEventRecord(slot->copied, cs));
  slot->copy_pending = true;
  slot->stamp = ++u.stamps;
  slot->state = SlotState::Staged;
}

TensorList Uploader::take(const TensorList& host) {
  Impl& u = *impl_;
  std::lock_guard<std::mutex> lock(u.m);
  for (Slot& s : u.slots) {
    if (s.state != SlotState::Staged || s.entries.size() != host.size()) continue;
    bool same = true;
    for (size_t i = 0; i < host.size() && same; ++i)
      same = host[i].defined() && s.entries[i].host.get() == host[i].impl() &&
             s.entries[i].host_version == host[i].impl()->version;
    if (!same) continue;
    DeviceGuard guard(u.device);
    NW_CUDA_CHECK(cudaStreamWaitEvent(stream(u.device), s.copied, 0));
    s.state = SlotState::Taken;
    TensorList out;
    out.reserve(s.entries.size());
    for (auto& e : s.entries) {
      out.push_back(e.device);
      e.host.reset();  // the host batch may be freed now
    }
    return out;
  }
  return {};
}

void Uploader::done() {
  Impl& u = *impl_;
  std::lock_guard<std::mutex> lock(u.m);
  DeviceGuard guard(u.device);
  for (Slot& s : u.slots) {
    if (s.state != SlotState::Taken) continue;
    NW_CUDA_CHECK(cudaEventRecord(s.consumed, stream(u.device)));
    s.consume_pending = true;
    s.state = SlotState::Free;
  }
}

}  // namespace nw::cuda
