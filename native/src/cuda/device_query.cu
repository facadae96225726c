// CUDA device discovery. Linked with the static runtime, so on a machine without a
// driver or GPU this reports why instead of failing to load.
#include <cuda_runtime.h>

#include <string>

#include "core/device.h"

namespace nw {

std::vector<DeviceInfo> cuda_devices(std::string& status) {
  std::vector<DeviceInfo> out;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    // The usual reasons, in the user's words; anything else verbatim.
    if (err == cudaErrorInsufficientDriver) status = "no CUDA device (no NVIDIA driver, or one older than CUDA " + std::to_string(CUDART_VERSION / 1000) + ")";
    else if (err == cudaErrorNoDevice) status = "no CUDA device";
    else status = std::string("no CUDA device (") + cudaGetErrorString(err) + ")";
    cudaGetLastError();
    return out;
  }
  if (count == 0) {
    status = "no CUDA device";
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    DeviceInfo d;
    d.id = "cuda:" + std::to_string(i);
    d.kind = "cuda";
    d.name = p.name;
    d.memory_bytes = p.totalGlobalMem;
    d.compute_capability = std::to_string(p.major) + "." + std::to_string(p.minor);
    out.push_back(d);
  }
  status = std::to_string(out.size()) + (out.size() == 1 ? " device" : " devices");
  return out;
}

}  // namespace nw
