// TensorHandle: the JS object that holds one engine tensor reference.
#pragma once

#include "binding.h"

namespace nwjs {

nw::Attrs to_attrs(Napi::Env env, const Napi::Value& v);

class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  static Napi::Object Wrap(Napi::Env env, const nw::Tensor& t);
  static const nw::Tensor& Get(Napi::Env env, const Napi::Value& v);
  static nw::Tensor GetOptional(Napi::Env env, const Napi::Value& v);
  explicit TensorHandle(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  static Napi::FunctionReference constructor;
  const nw::Tensor& self(Napi::Env env);
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value DTypeName(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value RequiresGrad(const Napi::CallbackInfo& info);
  void SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value IsLeaf(const Napi::CallbackInfo& info);
  Napi::Value GradFn(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
  Napi::Value Data(const Napi::CallbackInfo& info);
  Napi::Value Item(const Napi::CallbackInfo& info);
  Napi::Value Grad(const Napi::CallbackInfo& info);
  Napi::Value SetGrad(const Napi::CallbackInfo& info);
  Napi::Value Backward(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  Napi::Value Clone(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value CopyFrom(const Napi::CallbackInfo& info);

  void ReleaseExternal(Napi::Env env);
  nw::Tensor tensor_;
  int64_t external_ = 0;
};

}  // namespace nwjs
