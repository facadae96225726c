// Node binding: thin wrappers over the engine. Inputs were validated in TypeScript
// (native/ts); every engine error becomes a JS Error with a `code` property.
#include "binding.h"

namespace nwjs {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  register_info(env, exports);
  register_tensor(env, exports);
  return exports;
}

}  // namespace nwjs

NODE_API_MODULE(netwright_native, nwjs::Init)
