// Attrs accessors, saved-tensor bookkeeping and the op registry built from ops/op_table.h.
#include "op.h"

#include <unordered_map>

#include "ops/ops.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

namespace nw {

static const AttrValue& attr_or_throw(const std::map<std::string, AttrValue>& m, const std::string& key) {
  auto it = m.find(key);
  NW_CHECK(it != m.end(), "E_ARG", "missing argument '" + key + "'");
  return it->second;
}

static int64_t as_int(const AttrValue& v, const std::string& key) {
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  if (auto p = std::get_if<bool>(&v)) return *p ? 1 : 0;
  throw Error("E_ARG", "argument '" + key + "' must be an integer");
}

static double as_double(const AttrValue& v, const std::string& key) {
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<bool>(&v)) return *p ? 1.0 : 0.0;
  throw Error("E_ARG", "argument '" + key + "' must be a number");
}

int64_t Attrs::i(const std::string& key) const { return as_int(attr_or_throw(values_, key), key); }
int64_t Attrs::i(const std::string& key, int64_t def) const { return has(key) ? i(key) : def; }
double Attrs::f(const std::string& key) const { return as_double(attr_or_throw(values_, key), key); }
double Attrs::f(const std::string& key, double def) const { return has(key) ? f(key) : def; }
bool Attrs::b(const std::string& key, bool def) const {
  if (!has(key)) return def;
  return as_int(values_.at(key), key) != 0;
}
std::string Attrs::s(const std::string& key, const std::string& def) const {
  if (!has(key)) return def;
  if (auto p = std::get_if<std::string>(&values_.at(key))) return *p;
  throw Error("E_ARG", "argument '" + key + "' must be a string");
}
std::vector<int64_t> Attrs::ints(const std::string& key) const {
  const AttrValue& v = attr_or_throw(values_, key);
  if (auto p = std::get_if<std::vector<int64_t>>(&v)) return *p;
  if (auto p = std::get_if<std::vector<double>>(&v)) {
    std::vector<int64_t> out;
    for (double d : *p) out.push_back(static_cast<int64_t>(d));
    return out;
  }
  return {as_int(v, key)};
}
std::vector<int64_t> Attrs::ints(const std::string& key, const std::vector<int64_t>& def) const {
  return has(key) ? ints(key) : def;
}

void OpContext::save(const TensorList& ts) {
  saved_ = ts;
  saved_versions_.clear();
  for (const auto& t : ts) saved_versions_.push_back(t.defined() ? t.impl()->version : 0);
}

TensorList OpContext::saved() const {
  for (size_t i = 0; i < saved_.size(); ++i) {
    NW_CHECK(!saved_[i].defined() || saved_[i].impl()->version == saved_versions_[i], "E_AUTOGRAD",
             "a tensor needed for the gradient was modified in place after it was used; "
             "clone it before modifying it");
  }
  return saved_;
}

const std::vector<const OpDef*>& op_table() {
#define NW_OP_PTR(name) &op_##name,
  static const std::vector<const OpDef*> table = {NW_OPS(NW_OP_PTR)};
#undef NW_OP_PTR
  return table;
}

const OpDef* find_op(const std::string& name) {
  static const std::unordered_map<std::string, const OpDef*> index = [] {
    std::unordered_map<std::string, const OpDef*> m;
    for (const OpDef* op : op_table()) m[op->name] = op;
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

const std::vector<std::string>* composite_parts(const OpDef& op) {
  // Read off the forwards (ops/shape.cpp, ops/attention.cpp), the device-only paths
  // included: on an accelerator, attention builds its masks with where (and gt for
  // is_causal) and drops weights with the dropout op; on the CPU it uses loops and mul.
  static const std::unordered_map<std::string, std::vector<std::string>> parts = {
      {"stack", {"unsqueeze", "cat"}},
      {"scaled_dot_product_attention", {"reshape", "transpose", "mul", "matmul", "add", "softmax", "dropout", "where", "gt"}},
      {"multi_head_attention",
       {"unsqueeze", "transpose", "slice", "linear", "reshape", "permute", "contiguous", "mean", "mul", "matmul", "add",
        "softmax", "dropout", "where"}},
  };
  if (op.grad != GradKind::Composite) return nullptr;
  auto it = parts.find(op.name);
  return it == parts.end() ? nullptr : &it->second;
}

const OpDef* op_for_device(const OpDef& op, Device device) {
  if (device.type == DeviceType::CPU) return &op;
#ifdef NW_WITH_CUDA
  if (op.cross_device) return &op;
  if (op.grad == GradKind::Composite) {
    // Runs where all its parts run, so a device is never chosen for an op that fails halfway.
    const std::vector<std::string>* parts = composite_parts(op);
    if (!parts) return nullptr;  // undeclared parts: not claimed off the CPU
    for (const auto& name : *parts) {
      const OpDef* part = find_op(name);
      if (!part || !op_for_device(*part, device)) return nullptr;
    }
    return &op;
  }
  return cuda::find_op(op.name);
#else
  return nullptr;  // built without CUDA: nothing runs off the CPU, to_device included
#endif
}

bool supports(const std::string& name, Device device) {
  const OpDef* op = find_op(name);
  NW_CHECK(op != nullptr, "E_UNKNOWN_OP", "unknown op '" + name + "'");
  return op_for_device(*op, device) != nullptr;
}

}  // namespace nw
