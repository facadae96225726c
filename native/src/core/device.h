// Devices the engine can run on, as reported to the product (status line, run settings).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nw {

struct DeviceInfo {
  std::string id;    // "cpu", "cuda:0"
  std::string kind;  // "cpu" | "cuda"
  std::string name;  // CPU model or GPU name
  uint64_t memory_bytes = 0;
  std::string compute_capability;  // "9.0" for CUDA devices
};

struct EngineInfo {
  std::string version;
  std::string simd;  // "avx512" | "avx2" | "scalar"
  int threads = 1;
  int physical_cores = 1;
  bool cuda_compiled = false;
  std::string cuda_status;  // "3 devices" or why none is usable ("no CUDA device", "not compiled")
  std::string cuda_gemm;    // CUDA builds: what runs GEMMs on cuda (cuda::gemm_backend()); else empty
  std::vector<DeviceInfo> devices;
};

EngineInfo engine_info();

// Implemented by the CUDA backend when compiled (src/cuda), else by a stub.
std::vector<DeviceInfo> cuda_devices(std::string& status);

}  // namespace nw
