// Index range errors raised on the device: kernels record the first (lowest) position
// of a bad index in a flag, and the host reads it back after the launch and throws the
// same error the CPU op gives.
#pragma once

#include "cuda/common.cuh"

namespace nw::cuda {

class IndexErrorFlag {
 public:
  static constexpr unsigned long long kNone = ~0ULL;
  explicit IndexErrorFlag(int device) : device_(device), buf_(empty({1}, DType::Int64, Device{DeviceType::CUDA, device})) {
    DeviceGuard guard(device);
    NW_CUDA_CHECK(cudaMemsetAsync(buf_.raw_data(), 0xFF, sizeof(unsigned long long), stream(device)));
  }
  // For kernels: atomicMin(flag, position) where an index is out of range.
  unsigned long long* ptr() const { return static_cast<unsigned long long*>(buf_.raw_data()); }
  // Waits for the kernels and returns the first bad position, or -1 when all were in range.
  int64_t first_bad() const {
    unsigned long long v = kNone;
    download(&v, buf_.raw_data(), sizeof v, device_);
    return v == kNone ? -1 : static_cast<int64_t>(v);
  }

 private:
  int device_;
  Tensor buf_;
};

// The int64 (or int32) value at logical index `linear` of an index tensor (for the message).
inline int64_t read_index_value(const Tensor& t, int64_t linear) {
  const Indexer ix = indexer(t);
  if (t.dtype() == DType::Int32) {
    int32_t v = 0;
    download(&v, base_ptr<const int32_t>(t) + ix.at(linear), sizeof v, dev(t));
    return v;
  }
  int64_t v = 0;
  download(&v, base_ptr<const int64_t>(t) + ix.at(linear), sizeof v, dev(t));
  return v;
}

__device__ inline void record_bad_index(unsigned long long* flag, int64_t position) {
  atomicMin(flag, static_cast<unsigned long long>(position));
}

}  // namespace nw::cuda
