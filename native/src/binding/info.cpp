// engineInfo(): version, SIMD level, threads, devices and (CUDA builds) the GEMM backend, for the status line.
#include "binding.h"
#include "core/device.h"

namespace nwjs {

[[noreturn]] void throw_js(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  throw err;
}

static Napi::Value EngineInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    nw::EngineInfo e = nw::engine_info();
    Napi::Object o = Napi::Object::New(env);
    o.Set("version", e.version);
    o.Set("simd", e.simd);
    o.Set("threads", Napi::Number::New(env, e.threads));
    o.Set("physicalCores", Napi::Number::New(env, e.physical_cores));
    o.Set("cudaCompiled", Napi::Boolean::New(env, e.cuda_compiled));
    o.Set("cudaStatus", e.cuda_status);
    if (e.cuda_compiled) o.Set("cudaGemm", e.cuda_gemm);
    Napi::Array devs = Napi::Array::New(env, e.devices.size());
    for (size_t i = 0; i < e.devices.size(); ++i) {
      const auto& d = e.devices[i];
      Napi::Object dj = Napi::Object::New(env);
      dj.Set("id", d.id);
      dj.Set("kind", d.kind);
      dj.Set("name", d.name);
      dj.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(d.memory_bytes)));
      if (!d.compute_capability.empty()) dj.Set("computeCapability", d.compute_capability);
      devs.Set(static_cast<uint32_t>(i), dj);
    }
    o.Set("devices", devs);
    return o;
  });
}

void register_info(Napi::Env env, Napi::Object exports) {
  exports.Set("engineInfo", Napi::Function::New(env, EngineInfo, "engineInfo"));
}

}  // namespace nwjs
