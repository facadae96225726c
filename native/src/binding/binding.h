// Shared declarations of the binding's translation units.
#pragma once

#include <napi.h>

#include "core/op.h"
#include "core/tensor.h"

namespace nwjs {

// Throw a JS Error carrying the engine error's code.
[[noreturn]] void throw_js(Napi::Env env, const std::string& code, const std::string& message);

// Run fn, converting engine exceptions into JS exceptions with codes.
template <typename F>
auto guarded(Napi::Env env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const nw::Error& e) {
    throw_js(env, e.code, e.what());
  } catch (const std::bad_alloc&) {
    throw_js(env, "E_OOM", "out of memory");
  } catch (const std::exception& e) {
    throw_js(env, "E_INTERNAL", e.what());
  }
}

void register_info(Napi::Env env, Napi::Object exports);
void register_tensor(Napi::Env env, Napi::Object exports);
void register_model(Napi::Env env, Napi::Object exports);

nw::Shape to_shape(Napi::Env env, const Napi::Value& v);

}  // namespace nwjs
