// The table of CUDA op implementations. Each op family's .cu file defines a
// register_*_ops(OpRegistry&) function; the list below is the only place they are
// named, so the linker keeps every family (static libraries drop unreferenced files).
#include <mutex>
#include <unordered_map>

#include "cuda/common.cuh"
#include "cuda/families.h"

namespace nw::cuda {

namespace {
struct Table {
  std::unordered_map<std::string, OpDef> defs;
  std::vector<std::string> names;
};
Table& table() {
  static Table t;
  return t;
}
}  // namespace

void OpRegistry::add(const OpDef& cpu_def, ForwardFn forward, BackwardFn backward) {
  NW_CHECK(cpu_def.grad != GradKind::Composite, "E_INTERNAL",
           std::string("composite op ") + cpu_def.name + " runs through its parts; it needs no CUDA kernel");
  NW_CHECK(cpu_def.grad != GradKind::Differentiable || backward != nullptr, "E_INTERNAL",
           std::string("CUDA op ") + cpu_def.name + " is differentiable but has no backward");
  OpDef def = cpu_def;
  def.forward = forward;
  def.backward = cpu_def.grad == GradKind::Differentiable ? backward : nullptr;
  auto inserted = table().defs.emplace(cpu_def.name, def);
  NW_CHECK(inserted.second, "E_INTERNAL", std::string("CUDA op ") + cpu_def.name + " registered twice");
  table().names.push_back(cpu_def.name);
}

static void build() {
  static std::once_flag once;
  std::call_once(once, [] {
    OpRegistry r;
#define NW_REGISTER_FAMILY(fn) fn(r);
    NW_CUDA_FAMILIES(NW_REGISTER_FAMILY)
#undef NW_REGISTER_FAMILY
  });
}

const OpDef* find_op(const std::string& name) {
  build();
  auto it = table().defs.find(name);
  return it == table().defs.end() ? nullptr : &it->second;
}

std::vector<std::string> op_names() {
  build();
  return table().names;
}

}  // namespace nw::cuda
