// The op interface: every engine op is one OpDef (name, arity, forward, backward)
// registered in ops/op_table.h. Calls go through call_op, which records autograd.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "tensor.h"

namespace nw {

using TensorList = std::vector<Tensor>;
using AttrValue = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>, std::vector<double>>;

// Named op arguments that are not tensors (dims, alpha, reduction, ...).
class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<const std::string, AttrValue>> init) : values_(init) {}
  void set(const std::string& key, AttrValue v) { values_[key] = std::move(v); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  int64_t i(const std::string& key) const;
  int64_t i(const std::string& key, int64_t def) const;
  double f(const std::string& key) const;
  double f(const std::string& key, double def) const;
  bool b(const std::string& key, bool def) const;
  std::string s(const std::string& key, const std::string& def) const;
  std::vector<int64_t> ints(const std::string& key) const;
  std::vector<int64_t> ints(const std::string& key, const std::vector<int64_t>& def) const;
  const std::map<std::string, AttrValue>& values() const { return values_; }

 private:
  std::map<std::string, AttrValue> values_;
};

// What forward saves for backward. Saved tensors are version-checked so an
// in-place write between forward and backward is reported, not silently wrong.
struct OpContext {
  Attrs attrs;
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  std::vector<bool> needs_input_grad;
  void save(const TensorList& ts);
  TensorList saved() const;
  std::vector<int64_t> ints;  // free-form small data (e.g. reduced dims)

 private:
  TensorList saved_;
  std::vector<uint32_t> saved_versions_;
};

enum class GradKind : uint8_t {
  Differentiable,  // has backward
  Composite,       // forward is built from other ops; autograd flows through them
  None,            // no gradient (integer outputs, comparisons, argmax, ...)
};

using ForwardFn = TensorList (*)(OpContext& ctx, const TensorList& inputs, const Attrs& attrs);
using BackwardFn = TensorList (*)(OpContext& ctx, const TensorList& grad_outputs);

struct OpDef {
  const char* name;
  int num_inputs;  // -1: variadic
  GradKind grad;
  ForwardFn forward;
  BackwardFn backward;  // nullptr unless grad == Differentiable
  const char* doc;
  // Moves data between devices (to_device): runs as declared whatever the inputs'
  // devices; every other op runs the implementation of its inputs' device.
  bool cross_device = false;
};

const std::vector<const OpDef*>& op_table();
const OpDef* find_op(const std::string& name);

// The ops a composite op's forward calls (declared in core/op.cpp; test_core checks the
// lists against the forwards); nullptr for an op that is not composite or not declared.
const std::vector<std::string>* composite_parts(const OpDef& op);

// The implementation of `op` for `device`: op itself on the CPU, the CUDA backend's
// version on cuda; nullptr when the device has none. A composite op runs on a device
// when every one of its parts does; to_device (cross_device) wherever CUDA is built.
const OpDef* op_for_device(const OpDef& op, Device device);
bool supports(const std::string& op, Device device);

// Run an op by definition, recording autograd when grad mode is on and an input requires grad.
TensorList call_op(const OpDef& op, const TensorList& inputs, const Attrs& attrs = {});
TensorList call_op(const std::string& name, const TensorList& inputs, const Attrs& attrs = {});

// Test hook (test_core checks composite_parts with it): while a list is set on this thread,
// call_op appends every op it runs with its nesting depth (0: not called from inside an op's
// forward, 1: called by one, ...). nullptr stops tracing.
struct OpCall {
  std::string name;
  int depth;
};
void trace_op_calls(std::vector<OpCall>* into);

}  // namespace nw
