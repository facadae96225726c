// engine_info(): the CPU device plus whatever the CUDA backend finds.
#include "device.h"

#include <fstream>
#include <sys/sysinfo.h>

#include "cpu/parallel.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

namespace nw {

static std::string cpu_model_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      if (p != std::string::npos) return line.substr(p + 2);
    }
  }
  return "CPU";
}

#ifndef NW_WITH_CUDA
std::vector<DeviceInfo> cuda_devices(std::string& status) {
  status = "not compiled (nvcc was not found when the engine was built)";
  return {};
}
#endif

EngineInfo engine_info() {
  EngineInfo e;
  e.version = NW_VERSION;
  e.simd = cpu::simd_level();
  e.threads = cpu::num_threads();
  e.physical_cores = cpu::physical_cores();
#ifdef NW_WITH_CUDA
  e.cuda_compiled = true;
#endif
  DeviceInfo cpu;
  cpu.id = "cpu";
  cpu.kind = "cpu";
  cpu.name = cpu_model_name();
  struct sysinfo si {};
  if (sysinfo(&si) == 0) cpu.memory_bytes = static_cast<uint64_t>(si.totalram) * si.mem_unit;
  e.devices.push_back(cpu);
  for (auto& d : cuda_devices(e.cuda_status)) e.devices.push_back(d);
#ifdef NW_WITH_CUDA
  try {
    e.cuda_gemm = cuda::gemm_backend();
  } catch (const std::exception& ex) {
    e.cuda_gemm = std::string("unknown (") + ex.what() + ")";
  }
#endif
  return e;
}

}  // namespace nw
