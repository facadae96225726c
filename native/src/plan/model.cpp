// Plan executor: builds tensors with PyTorch's default initialisers, runs steps in
// order by op name, and fuses a whole training step into one native call.
#include "model.h"

#include <cmath>
#include <functional>
#include <set>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/ops.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

namespace nw {

void init_tensor(const Tensor& t, const InitSpec& init) {
  NoGradGuard guard;
  const std::string& k = init.kind;
  if (k == "zeros") fill_(t, 0.0);
  else if (k == "ones") fill_(t, 1.0);
  else if (k == "constant") fill_(t, init.a);
  else if (k == "uniform") uniform_(t, init.a, init.b);
  else if (k == "normal") normal_(t, init.a, init.b);
  else if (k == "kaiming_uniform") {
    // torch.nn.init.kaiming_uniform_(w, a): gain = sqrt(2 / (1 + a^2)), bound = gain * sqrt(3 / fan_in)
    double gain = std::sqrt(2.0 / (1.0 + init.a * init.a));
    double bound = gain * std::sqrt(3.0 / static_cast<double>(std::max<int64_t>(init.fan_in, 1)));
    uniform_(t, -bound, bound);
  } else {
    throw Error("E_PLAN", "unknown initialiser '" + k + "'");
  }
  for (int64_t row : init.zero_rows) {
    NW_CHECK(t.dim() >= 1 && row >= 0 && row < t.sizes()[0], "E_PLAN", "zero row " + std::to_string(row) + " is out of range");
    Shape sz = t.sizes();
    sz[0] = 1;
    fill_(make_view(t, sz, t.strides(), t.offset() + row * t.strides()[0]), 0.0);
  }
}

Model::Model(PlanSpec spec, Device device) : spec_(std::move(spec)), device_(device) {
  if (device_.type == DeviceType::CUDA) {
#ifdef NW_WITH_CUDA
    cuda::check_device(device_);
#else
    throw Error("E_DEVICE", "device " + device_.str() +
                                " is not available: this engine was built without CUDA (nvcc was not found); use cpu");
#endif
  }
  std::set<std::string> known;
  for (const auto& v : spec_.inputs) known.insert(v.name);
  for (const auto& v : spec_.targets) known.insert(v.name);
  for (const auto& ts : spec_.tensors) {
    NW_CHECK(!tensors_.count(ts.key), "E_PLAN", "the Plan declares tensor '" + ts.key + "' twice");
    // Initialised on the CPU generator on every device, so a seed means the same weights.
    Tensor t = empty(ts.shape, ts.dtype);
    init_tensor(t, ts.init);
    if (device_ != t.device()) t = to_device(t, device_);
    t.impl()->name = ts.key;
    if (ts.trainable && !ts.buffer) {
      t.set_requires_grad(true);
      trainable_keys_.push_back(ts.key);
    }
    tensors_[ts.key] = t;
  }
  for (const auto& st : spec_.steps) {
    const OpDef* op = find_op(st.op);
    NW_CHECK(op != nullptr, "E_PLAN",
             "the Plan uses op '" + st.op + "' (module '" + st.module + "') which this engine does not have; update Netwright");
    for (const auto& in : st.inputs)
      NW_CHECK(known.count(in), "E_PLAN", "step '" + st.op + "' of module '" + st.module + "' reads '" + in + "' before it is computed");
    for (const auto& key : st.tensors)
      NW_CHECK(key.empty() || tensors_.count(key), "E_PLAN", "step '" + st.op + "' uses unknown tensor '" + key + "'");
    for (const auto& out : st.outputs) known.insert(out);
    ops_.push_back(op);
    has_training_.push_back(st.attrs.has("training"));
  }
  for (const auto& o : spec_.outputs) NW_CHECK(known.count(o), "E_PLAN", "the Plan's output '" + o + "' is never computed");
  NW_CHECK(spec_.loss.empty() || known.count(spec_.loss), "E_PLAN", "the Plan's loss '" + spec_.loss + "' is never computed");
#ifdef NW_WITH_CUDA
  if (device_.type == DeviceType::CUDA) uploader_ = new cuda::Uploader(device_.index);
#endif
}

Model::~Model() {
#ifdef NW_WITH_CUDA
  delete uploader_;
#endif
}

void Model::prefetch(const TensorList& inputs, const TensorList& targets) {
#ifdef NW_WITH_CUDA
  if (!uploader_) return;
  TensorList all = inputs;
  all.insert(all.end(), targets.begin(), targets.end());
  for (const auto& t : all)
    if (!t.defined() || t.device().type != DeviceType::CPU) return;  // nothing to stage: the step moves or refuses it
  uploader_->stage(all);
#else
  (void)inputs;
  (void)targets;
#endif
}

std::pair<TensorList, TensorList> Model::on_device(const TensorList& inputs, const TensorList& targets) {
  TensorList all = inputs;
  all.insert(all.end(), targets.begin(), targets.end());
  TensorList moved;
#ifdef NW_WITH_CUDA
  if (uploader_) moved = uploader_->take(all);
#endif
  if (moved.empty()) {
    for (size_t i = 0; i < all.size(); ++i) {
      const Tensor& t = all[i];
      const bool is_input = i < inputs.size();
      const std::vector<PlanValueSpec>& specs = is_input ? spec_.inputs : spec_.targets;
      const size_t k = is_input ? i : i - inputs.size();
      const std::string what = std::string(is_input ? "input" : "target") + " '" + (k < specs.size() ? specs[k].name : std::to_string(k)) + "'";
      NW_CHECK(t.defined(), "E_ARG", what + " is missing");
      if (t.device() == device_) moved.push_back(t);
      else if (t.device().type == DeviceType::CPU) moved.push_back(to_device(t, device_));  // upload now
      else
        throw Error("E_DEVICE", what + " is on " + t.device().str() + " but the model is on " + device_.str() +
                                    "; pass host tensors or tensors on " + device_.str());
    }
  }
  TensorList in(moved.begin(), moved.begin() + static_cast<std::ptrdiff_t>(inputs.size()));
  TensorList tg(moved.begin() + static_cast<std::ptrdiff_t>(inputs.size()), moved.end());
  return {in, tg};
}

void Model::step_done() {
#ifdef NW_WITH_CUDA
  if (uploader_) uploader_->done();
#endif
}

namespace {
// Marks the step's prefetched buffers reusable once its queued work has passed, however the step ends.
struct StepDone {
  std::function<void()> fn;
  ~StepDone() {
    try {
      fn();
    } catch (...) {
    }
  }
};
}  // namespace

std::vector<Tensor> Model::trainable_parameters() const {
  std::vector<Tensor> out;
  for (const auto& k : trainable_keys_) out.push_back(tensors_.at(k));
  return out;
}

void Model::configure_optimizer(const OptimizerConfig& config) {
  optimizer_ = std::make_unique<Optimizer>(trainable_parameters(), config);
}

static void check_values(const std::vector<PlanValueSpec>& specs, const TensorList& given, const char* what) {
  NW_CHECK(given.size() == specs.size(), "E_PLAN",
           std::string("the model takes ") + std::to_string(specs.size()) + " " + what + "(s), got " + std::to_string(given.size()));
}

std::map<std::string, Tensor> Model::run(const TensorList& inputs, const TensorList& targets, bool training, bool need_loss,
                                         bool anomaly, std::string* nonfinite_where) {
  check_values(spec_.inputs, inputs, "input");
  std::map<std::string, Tensor> values;
  for (size_t i = 0; i < inputs.size(); ++i) values[spec_.inputs[i].name] = inputs[i];
  if (need_loss) {
    check_values(spec_.targets, targets, "target");
    for (size_t i = 0; i < targets.size(); ++i) values[spec_.targets[i].name] = targets[i];
  }
  for (size_t s = 0; s < spec_.steps.size(); ++s) {
    const PlanStepSpec& st = spec_.steps[s];
    bool uses_target = false;
    TensorList args;
    for (const auto& in : st.inputs) {
      auto it = values.find(in);
      if (it == values.end()) {
        uses_target = true;  // a loss step when no targets were given
        break;
      }
      args.push_back(it->second);
    }
    if (uses_target) continue;
    for (const auto& key : st.tensors) args.push_back(key.empty() ? Tensor() : tensors_.at(key));
    Attrs attrs = st.attrs;
    if (has_training_[s]) attrs.set("training", training);
    TensorList out;
    try {
      out = call_op(*ops_[s], args, attrs);
    } catch (const Error& e) {
      throw Error(e.code, "in module '" + st.module + "' (" + st.op + "): " + e.what());
    }
    NW_CHECK(out.size() >= st.outputs.size(), "E_PLAN", "op '" + st.op + "' returned fewer outputs than the Plan names");
    for (size_t i = 0; i < st.outputs.size(); ++i) values[st.outputs[i]] = out[i];
    if (anomaly && nonfinite_where && nonfinite_where->empty()) {
      for (const auto& t : out)
        if (t.defined() && is_floating(t.dtype()) && !all_finite(t)) {
          *nonfinite_where = "output of module '" + st.module + "' (" + st.op + ")";
          break;
        }
    }
  }
  return values;
}

int64_t Model::count_correct(const std::map<std::string, Tensor>& values, const TensorList& targets) const {
  if (spec_.outputs.empty() || targets.empty()) return -1;
  const Tensor& target = targets[0];
  auto it = values.find(spec_.outputs[0]);
  if (it == values.end() || target.dtype() != DType::Int64) return -1;
  const Tensor& logits = it->second;
  if (logits.dim() != 2 || target.dim() != 1 || logits.sizes()[0] != target.sizes()[0]) return -1;
  NoGradGuard guard;
#ifdef NW_WITH_CUDA
  if (logits.device().type == DeviceType::CUDA) return cuda::count_argmax_equal(logits, target);
#endif
  Tensor pred = call_op("argmax", {logits}, {{"dim", int64_t(1)}})[0];
  const int64_t* pp = pred.data<int64_t>();
  Tensor tc = target.contiguous();
  const int64_t* pt = tc.data<int64_t>();
  int64_t correct = 0;
  for (int64_t i = 0, n = target.numel(); i < n; ++i) correct += pp[i] == pt[i];
  return correct;
}

StepResult Model::train_step(const TensorList& host_inputs, const TensorList& host_targets, const StepOptions& opts) {
  NW_CHECK(!spec_.loss.empty(), "E_PLAN", "this model has no loss node; add one to train it");
  NW_CHECK(optimizer_ != nullptr, "E_PLAN", "no optimizer configured for this model");
  check_values(spec_.inputs, host_inputs, "input");
  check_values(spec_.targets, host_targets, "target");
  StepDone done{[this] { step_done(); }};
  auto [inputs, targets] = on_device(host_inputs, host_targets);
  if (opts.lr >= 0) optimizer_->set_lr(opts.lr);
  StepResult r;
  r.count = inputs.empty() || inputs[0].dim() == 0 ? 0 : inputs[0].sizes()[0];
  optimizer_->zero_grad();
  std::map<std::string, Tensor> values;
  {
    EnableGradGuard grad_on;
    values = run(inputs, targets, true, true, opts.anomaly, &r.nonfinite_where);
    Tensor loss = values.at(spec_.loss);
    NW_CHECK(loss.numel() == 1, "E_PLAN", "the loss must be a scalar, got shape " + shape_str(loss.sizes()) + "; use reduction 'mean' or 'sum'");
    r.loss = loss.item();
    r.correct = count_correct(values, targets);
    if (!std::isfinite(r.loss)) {
      r.finite = false;
      if (r.nonfinite_where.empty()) r.nonfinite_where = "loss";
      return r;
    }
    backward({loss}, {});
  }
  values.clear();  // free activations before the update
  // The same on every device; on cuda each check and statistic is one read-back for all
  // the parameters (optim/optim.cpp's batched helpers).
  auto params = trainable_parameters();
  std::vector<Tensor> grads;
  std::vector<size_t> owner;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor g = params[i].grad();
    if (!g.defined()) continue;
    grads.push_back(g);
    owner.push_back(i);
  }
  const int64_t bad = first_nonfinite(grads);
  if (bad >= 0) {
    r.finite = false;
    r.nonfinite_where = "gradient of " + trainable_keys_[owner[static_cast<size_t>(bad)]];
    optimizer_->zero_grad();
    return r;
  }
  if (opts.clip_norm > 0) r.total_grad_norm = clip_grad_norm(params, opts.clip_norm, opts.clip_norm_type);
  if (opts.clip_value > 0) clip_grad_value(params, opts.clip_value);
  std::vector<Tensor> before;
  if (opts.param_stats) {
    grads.clear();
    for (const auto& p : params) {
      Tensor g = p.grad();
      grads.push_back(g.defined() ? g : zeros({0}, p.dtype(), device_));
      before.push_back(p.clone());
    }
    std::vector<double> gn = l2_norms(grads);
    for (size_t i = 0; i < params.size(); ++i) {
      ParamStat ps;
      ps.key = trainable_keys_[i];
      ps.grad_norm = gn[i];
      r.params.push_back(ps);
    }
  }
  optimizer_->step();
  if (opts.param_stats) {
    std::vector<Tensor> now;
    for (const auto& p : params) now.push_back(p.detach());
    std::vector<double> wn = l2_norms(now);
    std::vector<double> un = l2_distances(now, before);
    for (size_t i = 0; i < params.size(); ++i) {
      r.params[i].weight_norm = wn[i];
      r.params[i].update_norm = un[i];
    }
  }
  return r;
}

StepResult Model::eval_step(const TensorList& host_inputs, const TensorList& host_targets) {
  NoGradGuard guard;
  check_values(spec_.inputs, host_inputs, "input");
  if (!host_targets.empty()) check_values(spec_.targets, host_targets, "target");
  StepDone done{[this] { step_done(); }};
  auto [inputs, targets] = on_device(host_inputs, host_targets);
  StepResult r;
  r.count = inputs.empty() || inputs[0].dim() == 0 ? 0 : inputs[0].sizes()[0];
  auto values = run(inputs, targets, false, !targets.empty(), false, nullptr);
  if (!spec_.loss.empty() && values.count(spec_.loss)) {
    r.loss = values.at(spec_.loss).item();
    r.finite = std::isfinite(r.loss);
  }
  r.correct = count_correct(values, targets);
  return r;
}

TensorList Model::predict(const TensorList& host_inputs) {
  NoGradGuard guard;
  check_values(spec_.inputs, host_inputs, "input");
  StepDone done{[this] { step_done(); }};
  TensorList inputs = on_device(host_inputs, {}).first;
  auto values = run(inputs, {}, false, false, false, nullptr);
  TensorList out;
  for (const auto& o : spec_.outputs) out.push_back(values.at(o));
  return out;
}

std::vector<std::pair<std::string, Tensor>> Model::state_dict() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& ts : spec_.tensors) out.emplace_back(ts.key, tensors_.at(ts.key));
  return out;
}

void Model::load_tensor(const std::string& key, const Tensor& value) {
  auto it = tensors_.find(key);
  NW_CHECK(it != tensors_.end(), "E_STATE", "the model has no tensor '" + key + "'");
  NW_CHECK(it->second.sizes() == value.sizes(), "E_SHAPE",
           "'" + key + "' has shape " + shape_str(it->second.sizes()) + " in the model but " + shape_str(value.sizes()) + " in the file");
  copy_(it->second, value);
}

}  // namespace nw
