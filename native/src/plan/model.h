// The Plan executor: a model instantiated from a Plan (shared/api/plan.ts) — its
// tensors keyed by state_dict names, its steps resolved to ops once — with a train
// step (forward, loss, backward, clip, optimizer) and an eval step.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/op.h"
#include "optim/optim.h"

namespace nw {

struct InitSpec {
  std::string kind = "zeros";  // zeros ones constant uniform normal kaiming_uniform
  double a = 0, b = 0;         // constant: a; uniform: [a, b); normal: mean a, std b; kaiming: a
  int64_t fan_in = 1;
  std::vector<int64_t> zero_rows;  // rows set to zero after init (Embedding padding_idx)
};

struct PlanTensorSpec {
  std::string key;
  Shape shape;
  DType dtype = DType::Float32;
  InitSpec init;
  bool trainable = true;
  bool buffer = false;
};

struct PlanValueSpec {
  std::string name;
  DType dtype = DType::Float32;
};

struct PlanStepSpec {
  std::string op;
  std::string module;
  std::vector<std::string> inputs;
  std::vector<std::string> tensors;
  std::vector<std::string> outputs;
  Attrs attrs;
};

struct PlanSpec {
  DType dtype = DType::Float32;
  std::vector<PlanValueSpec> inputs;
  std::vector<PlanValueSpec> targets;
  std::vector<PlanTensorSpec> tensors;
  std::vector<PlanStepSpec> steps;
  std::vector<std::string> outputs;
  std::string loss;  // empty: no loss
};

struct StepOptions {
  double lr = -1;             // < 0: keep the optimizer's
  double clip_norm = 0;       // > 0: clip_grad_norm_ to this
  double clip_norm_type = 2;  // clip_grad_norm_'s norm_type (inf allowed)
  double clip_value = 0;      // > 0: clip_grad_value_ to this
  bool param_stats = false;   // per-parameter grad/weight norms
  bool anomaly = false;       // find the first step whose output is non-finite
};

struct ParamStat {
  std::string key;
  double grad_norm = 0, weight_norm = 0, update_norm = 0;
};

struct StepResult {
  double loss = 0;
  int64_t correct = -1;  // classification: argmax == target count (-1 if not applicable)
  int64_t count = 0;     // samples in the batch
  bool finite = true;    // false: loss or a gradient was NaN/inf; no update was applied
  std::string nonfinite_where;  // "loss", "gradient of <key>", or with anomaly "output of <module> (<op>)"
  double total_grad_norm = -1;
  std::vector<ParamStat> params;
};

namespace cuda {
class Uploader;
}

class Model {
 public:
  // Parameters are initialised on the CPU generator whatever the device (the same seed
  // gives the same initial weights everywhere), then moved to `device`.
  explicit Model(PlanSpec spec, Device device = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Device device() const { return device_; }

  void configure_optimizer(const OptimizerConfig& config);
  Optimizer* optimizer() { return optimizer_.get(); }

  // inputs/targets in the Plan's order, on the CPU (uploaded here) or on the model's device.
  StepResult train_step(const TensorList& inputs, const TensorList& targets, const StepOptions& opts);
  // On a cuda model: queues the upload of the next batch (host tensors) on the copy stream
  // so it overlaps the step running now; the step given these same tensors uses the copy.
  // A no-op on the CPU. Safe to call while a step runs on another thread.
  void prefetch(const TensorList& inputs, const TensorList& targets);
  StepResult eval_step(const TensorList& inputs, const TensorList& targets);
  TensorList predict(const TensorList& inputs);

  // The live tensors (on the model's device).
  std::vector<std::pair<std::string, Tensor>> state_dict() const;
  // `value` may be on any device; it is copied onto the model's.
  void load_tensor(const std::string& key, const Tensor& value);
  const PlanSpec& spec() const { return spec_; }
  std::vector<Tensor> trainable_parameters() const;

  std::atomic<bool> busy{false};

 private:
  std::map<std::string, Tensor> run(const TensorList& inputs, const TensorList& targets, bool training, bool need_loss,
                                    bool anomaly, std::string* nonfinite_where);
  int64_t count_correct(const std::map<std::string, Tensor>& values, const TensorList& targets) const;
  // inputs and targets on the model's device (prefetched copies, or uploads now).
  std::pair<TensorList, TensorList> on_device(const TensorList& inputs, const TensorList& targets);
  void step_done();

  PlanSpec spec_;
  Device device_;
  cuda::Uploader* uploader_ = nullptr;  // cuda models only
  std::vector<const OpDef*> ops_;
  std::vector<bool> has_training_;
  std::map<std::string, Tensor> tensors_;
  std::vector<std::string> trainable_keys_;
  std::unique_ptr<Optimizer> optimizer_;
};

void init_tensor(const Tensor& t, const InitSpec& init);

}  // namespace nw
