// Reverse-mode autograd: each differentiable op call leaves a Node on the tape
// (its grad_fn); backward walks the nodes in reverse topological order.
#pragma once

#include <memory>
#include <vector>

#include "op.h"

namespace nw {

struct Node;
struct Edge {
  std::shared_ptr<Node> node;  // grad_fn of the input, or its AccumulateGrad
  int input_nr = 0;            // which output of `node` the gradient belongs to
};

struct Node {
  const OpDef* op = nullptr;   // nullptr for AccumulateGrad
  OpContext ctx;
  std::vector<Edge> next;      // one per op input (node null when no grad needed)
  int num_outputs = 1;
  std::vector<Shape> output_shapes;
  std::vector<DType> output_dtypes;
  std::weak_ptr<TensorImpl> leaf;  // AccumulateGrad target
  uint64_t sequence = 0;           // creation order, for a stable topological walk
  bool released = false;           // saved tensors freed by a backward without retain_graph
  const char* name() const { return op ? op->name : "AccumulateGrad"; }
};

// Thread-local grad mode (PyTorch's torch.no_grad()).
bool grad_enabled();
void set_grad_enabled(bool enabled);
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};
class EnableGradGuard {
 public:
  EnableGradGuard();
  ~EnableGradGuard();
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool prev_;
};

// Edge for a tensor used as an op input (creates AccumulateGrad for leaves).
Edge gradient_edge(const Tensor& t);
std::shared_ptr<Node> new_node(const OpDef* op);

// tensor.backward(gradient): accumulates into .grad of leaves that require grad.
// The graph is freed afterwards unless retain_graph.
void backward(const TensorList& outputs, const TensorList& grad_outputs, bool retain_graph = false);

// torch.autograd.grad(outputs, inputs, grad_outputs): returns d outputs / d inputs
// without touching any .grad. Undefined entries where an input is unreachable
// (allow_unused) or an error otherwise.
TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                bool retain_graph = false, bool allow_unused = false);

}  // namespace nw
