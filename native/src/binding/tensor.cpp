// Tensor handles for JavaScript: a TensorHandle owns one nw::Tensor reference;
// dispose() drops it at once, the finalizer is only a safety net. Ops are called
// by name through the op table, so the binding never lists ops by hand.
#include <cmath>
#include <cstring>

#include "binding.h"
#include "core/autograd.h"
#include "core/random.h"
#include "cpu/parallel.h"
#include "tensor_handle.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

namespace nwjs {

Napi::FunctionReference TensorHandle::constructor;

Napi::Object TensorHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "TensorHandle",
                                  {
                                      InstanceAccessor<&TensorHandle::Shape>("shape"),
                                      InstanceAccessor<&TensorHandle::DTypeName>("dtype"),
                                      InstanceAccessor<&TensorHandle::Device>("device"),
                                      InstanceAccessor<&TensorHandle::RequiresGrad, &TensorHandle::SetRequiresGrad>("requiresGrad"),
                                      InstanceAccessor<&TensorHandle::IsLeaf>("isLeaf"),
                                      InstanceAccessor<&TensorHandle::GradFn>("gradFn"),
                                      InstanceAccessor<&TensorHandle::Disposed>("disposed"),
                                      InstanceMethod<&TensorHandle::Data>("data"),
                                      InstanceMethod<&TensorHandle::Item>("item"),
                                      InstanceMethod<&TensorHandle::Grad>("grad"),
                                      InstanceMethod<&TensorHandle::SetGrad>("setGrad"),
                                      InstanceMethod<&TensorHandle::Backward>("backward"),
                                      InstanceMethod<&TensorHandle::Detach>("detach"),
                                      InstanceMethod<&TensorHandle::Clone>("clone"),
                                      InstanceMethod<&TensorHandle::Dispose>("dispose"),
                                      InstanceMethod<&TensorHandle::CopyFrom>("copyFrom"),
                                  });
  constructor = Napi::Persistent(fn);
  constructor.SuppressDestruct();
  exports.Set("TensorHandle", fn);
  return exports;
}

TensorHandle::TensorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorHandle>(info) {}

Napi::Object TensorHandle::Wrap(Napi::Env env, const nw::Tensor& t) {
  Napi::Object obj = constructor.New({});
  TensorHandle* h = Unwrap(obj);
  h->tensor_ = t;
  // Tell V8 about large native buffers so it collects undisposed handles in time;
  // the amount is returned on dispose or finalisation.
  if (t.defined() && t.impl()->storage->nbytes >= (1 << 20)) {
    h->external_ = static_cast<int64_t>(t.impl()->storage->nbytes);
    Napi::MemoryManagement::AdjustExternalMemory(env, h->external_);
  }
  return obj;
}

const nw::Tensor& TensorHandle::Get(Napi::Env env, const Napi::Value& v) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(constructor.Value()))
    throw_js(env, "E_ARG", "expected a tensor");
  TensorHandle* h = Unwrap(v.As<Napi::Object>());
  if (!h->tensor_.defined()) throw_js(env, "E_DISPOSED", "this tensor was disposed; it can no longer be used");
  return h->tensor_;
}

nw::Tensor TensorHandle::GetOptional(Napi::Env env, const Napi::Value& v) {
  if (v.IsNull() || v.IsUndefined()) return nw::Tensor();
  return Get(env, v);
}

const nw::Tensor& TensorHandle::self(Napi::Env env) {
  if (!tensor_.defined()) throw_js(env, "E_DISPOSED", "this tensor was disposed; it can no longer be used");
  return tensor_;
}

Napi::Value TensorHandle::Shape(const Napi::CallbackInfo& info) {
  const auto& s = self(info.Env()).sizes();
  Napi::Array a = Napi::Array::New(info.Env(), s.size());
  for (size_t i = 0; i < s.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(s[i])));
  return a;
}
Napi::Value TensorHandle::DTypeName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), nw::dtype_name(self(info.Env()).dtype()));
}
Napi::Value TensorHandle::Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), self(info.Env()).device().str());
}
Napi::Value TensorHandle::RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), self(info.Env()).requires_grad());
}
void TensorHandle::SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& v) {
  guarded(info.Env(), [&] {
    nw::Tensor t = self(info.Env());
    t.set_requires_grad(v.ToBoolean().Value());
    return 0;
  });
}
Napi::Value TensorHandle::IsLeaf(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), self(info.Env()).is_leaf()); }
Napi::Value TensorHandle::GradFn(const Napi::CallbackInfo& info) {
  const auto& fn = self(info.Env()).grad_fn();
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}
Napi::Value TensorHandle::Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !tensor_.defined()); }

Napi::Value TensorHandle::Data(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    // A device tensor is copied to the host first (the read-back waits for its queued work).
    const nw::Tensor& t = self(env);
    nw::Tensor c = t.device().type == nw::DeviceType::CPU ? t.contiguous() : nw::to_device(t, nw::Device{});
    size_t bytes = static_cast<size_t>(c.numel()) * nw::dtype_size(c.dtype());
    Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
    if (bytes) std::memcpy(buf.Data(), c.raw_data(), bytes);
    return buf;
  });
}
Napi::Value TensorHandle::Item(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), self(info.Env()).item()); });
}
Napi::Value TensorHandle::Grad(const Napi::CallbackInfo& info) {
  nw::Tensor g = self(info.Env()).grad();
  if (!g.defined()) return info.Env().Null();
  return Wrap(info.Env(), g);
}
Napi::Value TensorHandle::SetGrad(const Napi::CallbackInfo& info) {
  nw::Tensor t = self(info.Env());
  t.set_grad(GetOptional(info.Env(), info[0]));
  return info.Env().Undefined();
}
Napi::Value TensorHandle::Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    nw::Tensor g = GetOptional(env, info[0]);
    bool retain = info.Length() > 1 && info[1].ToBoolean().Value();
    nw::backward({self(env)}, {g}, retain);
    return env.Undefined();
  });
}
Napi::Value TensorHandle::Detach(const Napi::CallbackInfo& info) { return Wrap(info.Env(), self(info.Env()).detach()); }
Napi::Value TensorHandle::Clone(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return Wrap(info.Env(), nw::call_op("contiguous", {self(info.Env()).clone()})[0]); });
}
void TensorHandle::ReleaseExternal(Napi::Env env) {
  if (external_) Napi::MemoryManagement::AdjustExternalMemory(env, -external_);
  external_ = 0;
}

void TensorHandle::Finalize(Napi::Env env) { ReleaseExternal(env); }

Napi::Value TensorHandle::Dispose(const Napi::CallbackInfo& info) {
  ReleaseExternal(info.Env());
  tensor_ = nw::Tensor();
  return info.Env().Undefined();
}
Napi::Value TensorHandle::CopyFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const nw::Tensor& src = Get(env, info[0]);
    const nw::Tensor& dst = self(env);
    NW_CHECK(src.sizes() == dst.sizes(), "E_SHAPE",
             "copyFrom: source shape " + nw::shape_str(src.sizes()) + " differs from " + nw::shape_str(dst.sizes()));
    nw::copy_(dst, src);
    return env.Undefined();
  });
}

nw::Shape to_shape(Napi::Env env, const Napi::Value& v) {
  if (!v.IsArray()) throw_js(env, "E_ARG", "expected a shape (array of integers)");
  Napi::Array a = v.As<Napi::Array>();
  nw::Shape s(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) s[i] = static_cast<int64_t>(a.Get(i).As<Napi::Number>().Int64Value());
  return s;
}

nw::Attrs to_attrs(Napi::Env env, const Napi::Value& v) {
  nw::Attrs at;
  if (v.IsUndefined() || v.IsNull()) return at;
  if (!v.IsObject()) throw_js(env, "E_ARG", "op arguments must be an object");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value val = o.Get(k);
    if (val.IsBoolean()) {
      at.set(k, val.As<Napi::Boolean>().Value());
    } else if (val.IsNumber()) {
      double d = val.As<Napi::Number>().DoubleValue();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) at.set(k, static_cast<int64_t>(d));
      else at.set(k, d);
    } else if (val.IsString()) {
      at.set(k, val.As<Napi::String>().Utf8Value());
    } else if (val.IsArray()) {
      Napi::Array arr = val.As<Napi::Array>();
      std::vector<int64_t> ints;
      std::vector<double> dbls;
      bool all_int = true;
      for (uint32_t j = 0; j < arr.Length(); ++j) {
        double d = arr.Get(j).As<Napi::Number>().DoubleValue();
        dbls.push_back(d);
        if (d != std::floor(d)) all_int = false;
        ints.push_back(static_cast<int64_t>(d));
      }
      if (all_int) at.set(k, ints);
      else at.set(k, dbls);
    } else if (!val.IsUndefined() && !val.IsNull()) {
      throw_js(env, "E_ARG", "op argument '" + k + "' has an unsupported type");
    }
  }
  return at;
}

static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    nw::DType dt = nw::dtype_from_name(info[2].As<Napi::String>().Utf8Value());
    nw::Shape shape = to_shape(env, info[1]);
    size_t need = static_cast<size_t>(nw::shape_numel(shape)) * nw::dtype_size(dt);
    const void* data = nullptr;
    size_t have = 0;
    if (info[0].IsTypedArray()) {
      Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
      data = static_cast<const char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      have = ta.ByteLength();
    } else if (info[0].IsArrayBuffer()) {
      data = info[0].As<Napi::ArrayBuffer>().Data();
      have = info[0].As<Napi::ArrayBuffer>().ByteLength();
    } else {
      throw_js(env, "E_ARG", "fromBuffer expects a TypedArray or ArrayBuffer");
    }
    NW_CHECK(have == need, "E_SHAPE",
             "data has " + std::to_string(have) + " bytes but shape " + nw::shape_str(shape) + " of " + nw::dtype_name(dt) +
                 " needs " + std::to_string(need));
    nw::Device device;
    if (info.Length() > 4 && info[4].IsString()) device = nw::device_from_name(info[4].As<Napi::String>().Utf8Value());
    nw::Tensor t = nw::from_blob_copy(data, shape, dt, device);
    if (info.Length() > 3 && info[3].ToBoolean().Value()) t.set_requires_grad(true);
    return TensorHandle::Wrap(env, t);
  });
}

static Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::string kind = info[0].As<Napi::String>().Utf8Value();
    nw::Shape shape = to_shape(env, info[1]);
    nw::DType dt = nw::dtype_from_name(info[2].As<Napi::String>().Utf8Value());
    nw::Attrs at = to_attrs(env, info[3]);
    nw::Device device;
    if (info.Length() > 4 && info[4].IsString()) device = nw::device_from_name(info[4].As<Napi::String>().Utf8Value());
    // Random values come from the device's generator, drawn on the host in the same order
    // as on the CPU (one seed, the same numbers on every device), then copied there.
    nw::Generator* gen = &nw::default_generator(device);
    nw::Tensor t;
    if (kind == "empty") t = nw::empty(shape, dt, device);
    else if (kind == "zeros") t = nw::zeros(shape, dt, device);
    else if (kind == "ones") t = nw::ones(shape, dt, device);
    else if (kind == "full") t = nw::full(shape, at.f("value"), dt, device);
    else {
      if (device.type != nw::DeviceType::CPU) nw::empty({0}, dt, device);  // reports a missing device before drawing numbers
      if (kind == "rand") t = nw::rand(shape, dt, gen);
      else if (kind == "randn") t = nw::randn(shape, dt, gen);
      else if (kind == "randint") t = nw::randint(at.i("low"), at.i("high"), shape, dt, gen);
      else if (kind == "arange") t = nw::arange(at.f("start"), at.f("end"), at.f("step", 1.0), dt);
      else if (kind == "linspace") t = nw::linspace(at.f("start"), at.f("end"), at.i("steps"), dt);
      else if (kind == "randperm") t = nw::randperm(at.i("n"), gen);
      else throw nw::Error("E_ARG", "unknown creation function '" + kind + "'");
      t = nw::to_device(t, device);
    }
    return TensorHandle::Wrap(env, t);
  });
}

static Napi::Value CallOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    const nw::OpDef* op = nw::find_op(name);
    NW_CHECK(op != nullptr, "E_UNKNOWN_OP", "unknown op '" + name + "'");
    Napi::Array arr = info[1].As<Napi::Array>();
    nw::TensorList inputs;
    for (uint32_t i = 0; i < arr.Length(); ++i) inputs.push_back(TensorHandle::GetOptional(env, arr.Get(i)));
    nw::TensorList out = nw::call_op(*op, inputs, to_attrs(env, info[2]));
    Napi::Array res = Napi::Array::New(env, out.size());
    for (size_t i = 0; i < out.size(); ++i) res.Set(static_cast<uint32_t>(i), out[i].defined() ? Napi::Value(TensorHandle::Wrap(env, out[i])) : env.Null());
    return res;
  });
}

static Napi::Value OpTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& table = nw::op_table();
  Napi::Array res = Napi::Array::New(env, table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    const nw::OpDef* op = table[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", op->name);
    o.Set("numInputs", Napi::Number::New(env, op->num_inputs));
    o.Set("grad", op->grad == nw::GradKind::Differentiable ? "differentiable" : op->grad == nw::GradKind::Composite ? "composite" : "none");
    o.Set("hasBackward", Napi::Boolean::New(env, op->backward != nullptr));
    o.Set("doc", op->doc ? op->doc : "");
    res.Set(static_cast<uint32_t>(i), o);
  }
  return res;
}

static Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto list = [&](const Napi::Value& v) {
      nw::TensorList l;
      if (v.IsArray()) {
        Napi::Array a = v.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); ++i) l.push_back(TensorHandle::GetOptional(env, a.Get(i)));
      }
      return l;
    };
    nw::TensorList res = nw::grad(list(info[0]), list(info[1]), list(info[2]), info[3].ToBoolean().Value(), info[4].ToBoolean().Value());
    Napi::Array out = Napi::Array::New(env, res.size());
    for (size_t i = 0; i < res.size(); ++i) out.Set(static_cast<uint32_t>(i), res[i].defined() ? Napi::Value(TensorHandle::Wrap(env, res[i])) : env.Null());
    return out;
  });
}

// Grad mode is thread-local in the engine; the JS thread flips its own flag.
static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool prev = nw::grad_enabled();
  nw::set_grad_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), prev);
}

// Threads for CPU kernels (default: physical cores); <= 0 restores the default.
static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  nw::cpu::set_num_threads(static_cast<int>(info[0].As<Napi::Number>().Int32Value()));
  return Napi::Number::New(info.Env(), nw::cpu::num_threads());
}

// supports(op, device): whether the engine has an implementation of op for device
// (cpu, cuda, cuda:N). Answers for the build, whether or not such a device is present.
static Napi::Value Supports(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    nw::Device device = nw::device_from_name(info[1].As<Napi::String>().Utf8Value());
    return Napi::Boolean::New(env, nw::supports(name, device));
  });
}

#ifdef NW_WITH_CUDA
static int cuda_index(Napi::Env env, const Napi::Value& v) {
  nw::Device d = nw::device_from_name(v.As<Napi::String>().Utf8Value());
  NW_CHECK(d.type == nw::DeviceType::CUDA, "E_DEVICE", "expected a cuda device (cuda:N), got " + d.str());
  nw::cuda::check_device(d);
  return d.index;
}
#else
[[noreturn]] static int cuda_index(Napi::Env, const Napi::Value& v) {
  throw nw::Error("E_DEVICE", "device " + v.As<Napi::String>().Utf8Value() +
                                  " is not available: this engine was built without CUDA (nvcc was not found); use cpu");
}
#endif

// cudaMemoryStats(device): the caching allocator's counters and the device's free/total memory.
static Napi::Value CudaMemoryStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int index = cuda_index(env, info[0]);
    Napi::Object o = Napi::Object::New(env);
#ifdef NW_WITH_CUDA
    nw::cuda::MemoryStats s = nw::cuda::memory_stats(index);
    o.Set("inUse", Napi::Number::New(env, static_cast<double>(s.in_use)));
    o.Set("cached", Napi::Number::New(env, static_cast<double>(s.cached)));
    o.Set("peak", Napi::Number::New(env, static_cast<double>(s.peak)));
    o.Set("deviceFree", Napi::Number::New(env, static_cast<double>(s.device_free)));
    o.Set("deviceTotal", Napi::Number::New(env, static_cast<double>(s.device_total)));
#else
    (void)index;
#endif
    return o;
  });
}

// A call on one CUDA device that returns nothing: emptyCache(device) returns the
// allocator's unused cached blocks to the driver, synchronize(device) waits for the
// device's queued work (timing, tests).
template <void (*Fn)(int)>
static Napi::Value OnCudaDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Fn(cuda_index(env, info[0]));
    return env.Undefined();
  });
}
#ifdef NW_WITH_CUDA
static void empty_cache(int index) { nw::cuda::empty_cache(index); }
static void synchronize(int index) { nw::cuda::synchronize(index); }
#else
static void empty_cache(int) {}  // never reached: cuda_index throws in a build without CUDA
static void synchronize(int) {}
#endif

static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  nw::manual_seed(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
  return info.Env().Undefined();
}

void register_tensor(Napi::Env env, Napi::Object exports) {
  TensorHandle::Init(env, exports);
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer, "fromBuffer"));
  exports.Set("create", Napi::Function::New(env, Create, "create"));
  exports.Set("callOp", Napi::Function::New(env, CallOp, "callOp"));
  exports.Set("opTable", Napi::Function::New(env, OpTable, "opTable"));
  exports.Set("autogradGrad", Napi::Function::New(env, AutogradGrad, "autogradGrad"));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled, "setGradEnabled"));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed, "manualSeed"));
  exports.Set("supports", Napi::Function::New(env, Supports, "supports"));
  exports.Set("cudaMemoryStats", Napi::Function::New(env, CudaMemoryStats, "cudaMemoryStats"));
  exports.Set("emptyCache", Napi::Function::New(env, OnCudaDevice<empty_cache>, "emptyCache"));
  exports.Set("synchronize", Napi::Function::New(env, OnCudaDevice<synchronize>, "synchronize"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
}

}  // namespace nwjs
