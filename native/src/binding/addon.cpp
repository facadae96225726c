// Node binding: thin wrappers over the engine. Inputs were validated in TypeScript
// (native/ts); every engine error becomes a JS Error with a `code` property.
#include "binding.h"

static Napi::Object InitNetwright(Napi::Env env, Napi::Object exports) {
  nwjs::register_info(env, exports);
  nwjs::register_tensor(env, exports);
  nwjs::register_model(env, exports);
  return exports;
}

NODE_API_MODULE(netwright_native, InitNetwright)
