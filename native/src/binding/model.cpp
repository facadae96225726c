// ModelHandle: the Plan executor for JavaScript. trainStep/evalStep/predict run on a
// libuv worker thread (Napi::AsyncWorker) and resolve a Promise; the JS thread never
// runs engine math for a step. One step at a time per model.
#include <cmath>

#include "binding.h"
#include "plan/model.h"
#include "tensor_handle.h"

namespace nwjs {
namespace {

std::string str(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::String>().Utf8Value(); }
double num(const Napi::Object& o, const char* key, double def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : def;
}
bool flag(const Napi::Object& o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : def;
}
std::vector<std::string> strings(const Napi::Value& v) {
  std::vector<std::string> out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

// The Plan was validated by its zod schema in TypeScript; this only converts it.
nw::PlanSpec to_plan(Napi::Env env, const Napi::Object& p) {
  nw::PlanSpec spec;
  spec.dtype = nw::dtype_from_name(str(p, "dtype"));
  auto values = [&](const char* key) {
    std::vector<nw::PlanValueSpec> out;
    Napi::Array a = p.Get(key).As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Object v = a.Get(i).As<Napi::Object>();
      out.push_back({str(v, "name"), nw::dtype_from_name(str(v, "dtype"))});
    }
    return out;
  };
  spec.inputs = values("inputs");
  spec.targets = values("targets");
  Napi::Array ts = p.Get("tensors").As<Napi::Array>();
  for (uint32_t i = 0; i < ts.Length(); ++i) {
    Napi::Object t = ts.Get(i).As<Napi::Object>();
    nw::PlanTensorSpec s;
    s.key = str(t, "key");
    s.shape = to_shape(env, t.Get("shape"));
    s.dtype = nw::dtype_from_name(str(t, "dtype"));
    s.trainable = flag(t, "trainable", true);
    s.buffer = flag(t, "buffer", false);
    Napi::Object init = t.Get("init").As<Napi::Object>();
    s.init.kind = str(init, "kind");
    if (s.init.kind == "constant") s.init.a = num(init, "value", 0);
    if (s.init.kind == "uniform") { s.init.a = num(init, "low", 0); s.init.b = num(init, "high", 0); }
    if (s.init.kind == "normal") { s.init.a = num(init, "mean", 0); s.init.b = num(init, "std", 1); }
    if (s.init.kind == "kaiming_uniform") { s.init.a = num(init, "a", 0); s.init.fan_in = static_cast<int64_t>(num(init, "fanIn", 1)); }
    if (t.Get("zeroRows").IsArray()) s.init.zero_rows = to_shape(env, t.Get("zeroRows"));
    spec.tensors.push_back(s);
  }
  Napi::Array steps = p.Get("steps").As<Napi::Array>();
  for (uint32_t i = 0; i < steps.Length(); ++i) {
    Napi::Object s = steps.Get(i).As<Napi::Object>();
    nw::PlanStepSpec st;
    st.op = str(s, "op");
    st.module = str(s, "module");
    st.inputs = strings(s.Get("inputs"));
    st.tensors = strings(s.Get("tensors"));
    st.outputs = strings(s.Get("outputs"));
    st.attrs = to_attrs(env, s.Get("attrs"));
    spec.steps.push_back(st);
  }
  spec.outputs = strings(p.Get("outputs"));
  Napi::Value loss = p.Get("loss");
  spec.loss = loss.IsString() ? loss.As<Napi::String>().Utf8Value() : "";
  return spec;
}

nw::TensorList tensor_list(Napi::Env env, const Napi::Value& v) {
  nw::TensorList out;
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(TensorHandle::Get(env, a.Get(i)));
  return out;
}

Napi::Object result_to_js(Napi::Env env, const nw::StepResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", r.loss);
  o.Set("correct", Napi::Number::New(env, static_cast<double>(r.correct)));
  o.Set("count", Napi::Number::New(env, static_cast<double>(r.count)));
  o.Set("finite", r.finite);
  if (!r.nonfinite_where.empty()) o.Set("nonFiniteWhere", r.nonfinite_where);
  if (r.total_grad_norm >= 0) o.Set("totalGradNorm", r.total_grad_norm);
  if (!r.params.empty()) {
    Napi::Array ps = Napi::Array::New(env, r.params.size());
    for (size_t i = 0; i < r.params.size(); ++i) {
      Napi::Object p = Napi::Object::New(env);
      p.Set("key", r.params[i].key);
      p.Set("gradNorm", r.params[i].grad_norm);
      p.Set("weightNorm", r.params[i].weight_norm);
      p.Set("updateNorm", r.params[i].update_norm);
      ps.Set(static_cast<uint32_t>(i), p);
    }
    o.Set("params", ps);
  }
  return o;
}

class ModelHandle;

// Runs one step on a worker thread; `busy` guards against overlapping steps.
class StepWorker : public Napi::AsyncWorker {
 public:
  enum class Kind { Train, Eval, Predict };
  StepWorker(Napi::Env env, std::shared_ptr<nw::Model> model, Kind kind, nw::TensorList inputs, nw::TensorList targets,
             nw::StepOptions opts)
      : Napi::AsyncWorker(env, "netwright.step"),
        deferred_(Napi::Promise::Deferred::New(env)),
        model_(std::move(model)),
        kind_(kind),
        inputs_(std::move(inputs)),
        targets_(std::move(targets)),
        opts_(opts) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      if (kind_ == Kind::Train) result_ = model_->train_step(inputs_, targets_, opts_);
      else if (kind_ == Kind::Eval) result_ = model_->eval_step(inputs_, targets_);
      else outputs_ = model_->predict(inputs_);
    } catch (const nw::Error& e) {
      code_ = e.code;
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "E_OOM";
      SetError("out of memory during the step; try a smaller batch size");
    } catch (const std::exception& e) {
      code_ = "E_INTERNAL";
      SetError(e.what());
    }
    inputs_.clear();
    targets_.clear();
    model_->busy = false;
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (kind_ == Kind::Predict) {
      Napi::Array a = Napi::Array::New(env, outputs_.size());
      for (size_t i = 0; i < outputs_.size(); ++i) a.Set(static_cast<uint32_t>(i), TensorHandle::Wrap(env, outputs_[i]));
      deferred_.Resolve(a);
    } else {
      deferred_.Resolve(result_to_js(env, result_));
    }
  }
  void OnError(const Napi::Error& e) override {
    Napi::Error err = Napi::Error::New(Env(), e.Message());
    err.Set("code", Napi::String::New(Env(), code_));
    deferred_.Reject(err.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<nw::Model> model_;
  Kind kind_;
  nw::TensorList inputs_, targets_;
  nw::StepOptions opts_;
  nw::StepResult result_;
  nw::TensorList outputs_;
  std::string code_ = "E_INTERNAL";
};

class ModelHandle : public Napi::ObjectWrap<ModelHandle> {
 public:
  static Napi::FunctionReference constructor;
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = DefineClass(env, "ModelHandle",
                                    {
                                        InstanceMethod<&ModelHandle::ConfigureOptimizer>("configureOptimizer"),
                                        InstanceMethod<&ModelHandle::TrainStep>("trainStep"),
                                        InstanceMethod<&ModelHandle::EvalStep>("evalStep"),
                                        InstanceMethod<&ModelHandle::Predict>("predict"),
                                        InstanceMethod<&ModelHandle::Prefetch>("prefetch"),
                                        InstanceAccessor<&ModelHandle::DeviceName>("device"),
                                        InstanceMethod<&ModelHandle::StateDict>("stateDict"),
                                        InstanceMethod<&ModelHandle::LoadTensor>("loadTensor"),
                                        InstanceMethod<&ModelHandle::OptimizerState>("optimizerState"),
                                        InstanceMethod<&ModelHandle::SetOptimizerState>("setOptimizerState"),
                                        InstanceMethod<&ModelHandle::Dispose>("dispose"),
                                    });
    constructor = Napi::Persistent(fn);
    constructor.SuppressDestruct();
    exports.Set("ModelHandle", fn);
  }

  explicit ModelHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelHandle>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&] {
      nw::Device device;
      if (info.Length() > 1 && info[1].IsString()) device = nw::device_from_name(info[1].As<Napi::String>().Utf8Value());
      model_ = std::make_shared<nw::Model>(to_plan(env, info[0].As<Napi::Object>()), device);
      return 0;
    });
  }

 private:
  nw::Model& model(Napi::Env env) {
    if (!model_) throw_js(env, "E_DISPOSED", "this model was disposed");
    return *model_;
  }
  void claim(Napi::Env env) {
    bool expected = false;
    if (!model(env).busy.compare_exchange_strong(expected, true))
      throw_js(env, "E_BUSY", "a step is already running on this model; await it before starting another");
  }

  Napi::Value ConfigureOptimizer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = info[0].As<Napi::Object>();
    nw::OptimizerConfig c;
    c.kind = str(o, "kind");
    c.lr = num(o, "lr", c.lr);
    c.momentum = num(o, "momentum", 0);
    c.dampening = num(o, "dampening", 0);
    c.weight_decay = num(o, "weightDecay", c.kind == "adamw" ? 0.01 : 0.0);
    c.nesterov = flag(o, "nesterov", false);
    c.maximize = flag(o, "maximize", false);
    c.beta1 = num(o, "beta1", 0.9);
    c.beta2 = num(o, "beta2", 0.999);
    c.eps = num(o, "eps", 1e-8);
    c.amsgrad = flag(o, "amsgrad", false);
    c.alpha = num(o, "alpha", 0.99);
    c.centered = flag(o, "centered", false);
    return guarded(env, [&]() -> Napi::Value {
      model(env).configure_optimizer(c);
      return env.Undefined();
    });
  }

  Napi::Value Launch(const Napi::CallbackInfo& info, StepWorker::Kind kind) {
    Napi::Env env = info.Env();
    nw::TensorList inputs = tensor_list(env, info[0]);
    nw::TensorList targets = kind == StepWorker::Kind::Predict ? nw::TensorList{} : tensor_list(env, info[1]);
    nw::StepOptions opts;
    if (kind == StepWorker::Kind::Train && info.Length() > 2 && info[2].IsObject()) {
      Napi::Object o = info[2].As<Napi::Object>();
      opts.lr = num(o, "lr", -1);
      opts.clip_norm = num(o, "clipNorm", 0);
      opts.clip_norm_type = num(o, "clipNormType", 2.0);
      opts.clip_value = num(o, "clipValue", 0);
      opts.param_stats = flag(o, "paramStats", false);
      opts.anomaly = flag(o, "anomaly", false);
    }
    claim(env);
    auto* worker = new StepWorker(env, model_, kind, std::move(inputs), std::move(targets), opts);
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  }
  // prefetch(inputs, targets): queues the next batch's upload while a step may be running
  // (it does not claim the model); a no-op on the CPU.
  Napi::Value Prefetch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    nw::TensorList inputs = tensor_list(env, info[0]);
    nw::TensorList targets = tensor_list(env, info[1]);
    return guarded(env, [&]() -> Napi::Value {
      model(env).prefetch(inputs, targets);
      return env.Undefined();
    });
  }
  Napi::Value DeviceName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), model(info.Env()).device().str());
  }
  Napi::Value TrainStep(const Napi::CallbackInfo& info) { return Launch(info, StepWorker::Kind::Train); }
  Napi::Value EvalStep(const Napi::CallbackInfo& info) { return Launch(info, StepWorker::Kind::Eval); }
  Napi::Value Predict(const Napi::CallbackInfo& info) { return Launch(info, StepWorker::Kind::Predict); }

  // stateDict(toCpu): views of the live tensors, or with toCpu copies on the CPU (for
  // checkpoints, whatever device the model is on).
  Napi::Value StateDict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const bool to_cpu = info.Length() > 0 && info[0].ToBoolean().Value();
    if (to_cpu && model(env).busy) throw_js(env, "E_BUSY", "cannot copy the weights while a step is running");
    return guarded(env, [&]() -> Napi::Value {
      auto sd = model(env).state_dict();
      Napi::Array a = Napi::Array::New(env, sd.size());
      for (size_t i = 0; i < sd.size(); ++i) {
        Napi::Object e = Napi::Object::New(env);
        e.Set("key", sd[i].first);
        nw::Tensor t = to_cpu ? host_copy(sd[i].second) : sd[i].second.detach();
        // The live view keeps the last step's gradient readable (weight/gradient histograms).
        if (!to_cpu && sd[i].second.grad().defined()) t.set_grad(sd[i].second.grad().detach());
        e.Set("tensor", TensorHandle::Wrap(env, t));
        a.Set(static_cast<uint32_t>(i), e);
      }
      return a;
    });
  }
  static nw::Tensor host_copy(const nw::Tensor& t) {
    return t.device().type == nw::DeviceType::CPU ? t.detach().clone() : nw::to_device(t.detach(), nw::Device{});
  }
  Napi::Value LoadTensor(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (model(env).busy) throw_js(env, "E_BUSY", "cannot load weights while a step is running");
    return guarded(env, [&]() -> Napi::Value {
      model(env).load_tensor(info[0].As<Napi::String>().Utf8Value(), TensorHandle::Get(env, info[1]));
      return env.Undefined();
    });
  }
  // The optimizer's state as CPU copies (checkpoints are device-independent).
  Napi::Value OptimizerState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    nw::Optimizer* opt = model(env).optimizer();
    if (!opt) return env.Null();
    if (model(env).busy) throw_js(env, "E_BUSY", "cannot read the optimizer state while a step is running");
    return guarded(env, [&]() -> Napi::Value {
      Napi::Array a = Napi::Array::New(env, opt->state().size());
      for (size_t i = 0; i < opt->state().size(); ++i) {
        const auto& s = opt->state()[i];
        Napi::Object o = Napi::Object::New(env);
        o.Set("step", Napi::Number::New(env, static_cast<double>(s.step)));
        Napi::Object bufs = Napi::Object::New(env);
        for (const auto& kv : s.buffers) bufs.Set(kv.first, TensorHandle::Wrap(env, host_copy(kv.second)));
        o.Set("buffers", bufs);
        a.Set(static_cast<uint32_t>(i), o);
      }
      return a;
    });
  }
  Napi::Value SetOptimizerState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (model(env).busy) throw_js(env, "E_BUSY", "cannot load the optimizer state while a step is running");
    return guarded(env, [&]() -> Napi::Value {
      nw::Optimizer* opt = model(env).optimizer();
      NW_CHECK(opt != nullptr, "E_STATE", "configure the optimizer before loading its state");
      nw::Optimizer::ParamState s;
      Napi::Object o = info[1].As<Napi::Object>();
      s.step = static_cast<int64_t>(num(o, "step", 0));
      Napi::Object bufs = o.Get("buffers").As<Napi::Object>();
      Napi::Array names = bufs.GetPropertyNames();
      for (uint32_t i = 0; i < names.Length(); ++i) {
        std::string n = names.Get(i).As<Napi::String>().Utf8Value();
        s.buffers[n] = TensorHandle::Get(env, bufs.Get(n));
      }
      opt->set_state(static_cast<size_t>(info[0].As<Napi::Number>().Int64Value()), s);
      return env.Undefined();
    });
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (model_ && model_->busy) throw_js(info.Env(), "E_BUSY", "cannot dispose a model while a step is running");
    model_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<nw::Model> model_;
};

Napi::FunctionReference ModelHandle::constructor;

// clipGradNorm(tensors, maxNorm, normType) and clipGradValue for the scripting API.
Napi::Value ClipGradNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    double total = nw::clip_grad_norm(tensor_list(env, info[0]), info[1].As<Napi::Number>().DoubleValue(),
                                      info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 2.0);
    return Napi::Number::New(env, total);
  });
}
Napi::Value ClipGradValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    nw::clip_grad_value(tensor_list(env, info[0]), info[1].As<Napi::Number>().DoubleValue());
    return env.Undefined();
  });
}

}  // namespace

void register_model(Napi::Env env, Napi::Object exports) {
  ModelHandle::Init(env, exports);
  exports.Set("clipGradNorm", Napi::Function::New(env, ClipGradNorm, "clipGradNorm"));
  exports.Set("clipGradValue", Napi::Function::New(env, ClipGradValue, "clipGradValue"));
}

}  // namespace nwjs
