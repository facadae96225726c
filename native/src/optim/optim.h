// Optimizers (torch.optim semantics, PyTorch 1.13 update rules), fused per
// parameter: one pass over each parameter's elements per step. Their state is
// readable and writable by name for checkpoints.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace nw {

struct OptimizerConfig {
  std::string kind = "sgd";  // sgd | adam | adamw | rmsprop
  double lr = 1e-3;
  double momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool amsgrad = false;
  double alpha = 0.99;  // RMSprop smoothing
  bool centered = false;
};

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, OptimizerConfig config);
  // One update of every parameter that has a gradient (parameters without one are skipped, like PyTorch).
  void step();
  void zero_grad();  // sets .grad to none (PyTorch's set_to_none=True)
  double lr() const { return config_.lr; }
  void set_lr(double lr) { config_.lr = lr; }
  const OptimizerConfig& config() const { return config_; }
  const std::vector<Tensor>& params() const { return params_; }

  // State per parameter index: named tensors (momentum_buffer, exp_avg, exp_avg_sq,
  // max_exp_avg_sq, square_avg, grad_avg) and the step count.
  struct ParamState {
    std::map<std::string, Tensor> buffers;
    int64_t step = 0;
  };
  const std::vector<ParamState>& state() const { return state_; }
  void set_state(size_t index, const ParamState& s);

 private:
  std::vector<Tensor> params_;
  OptimizerConfig config_;
  std::vector<ParamState> state_;
};

// torch.nn.utils.clip_grad_norm_: returns the total norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);
// torch.nn.utils.clip_grad_value_
void clip_grad_value(const std::vector<Tensor>& params, double clip_value);
// L2 norm of a tensor's values (double accumulation).
double l2_norm(const Tensor& t);
// true if every value is finite
bool all_finite(const Tensor& t);
// Index of the first tensor holding a NaN or inf, or -1 (on a cuda device: one read-back).
int64_t first_nonfinite(const std::vector<Tensor>& ts);
// L2 norms of tensors (on a cuda device: computed there, one read-back).
std::vector<double> l2_norms(const std::vector<Tensor>& ts);
// L2 norms of a[i] - b[i] (the difference in the tensors' dtype; same shape, dtype, device).
std::vector<double> l2_distances(const std::vector<Tensor>& a, const std::vector<Tensor>& b);

}  // namespace nw
