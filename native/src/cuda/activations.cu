// Activation functions on CUDA: the rules of ops/activations.h (torch.nn.functional
// semantics, attributes and defaults), forward and backward, over this device's maps.
#include "cuda/common.cuh"
#include "ops/activations.h"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

using CudaAct = activation::OnMaps<Maps>;
#define NW_CUDA_ACTIVATION(NAME, RULE, DOC) NW_ACTIVATION_FUNCTIONS(CudaAct, NAME, RULE)
NW_ACTIVATIONS(NW_CUDA_ACTIVATION)
#undef NW_CUDA_ACTIVATION

}  // namespace

void register_activation_ops(OpRegistry& r) {
#define NW_CUDA_REGISTER(NAME, RULE, DOC) r.add(op_##NAME, NAME##_forward, NAME##_backward);
  NW_ACTIVATIONS(NW_CUDA_REGISTER)
#undef NW_CUDA_REGISTER
}

}  // namespace nw::cuda
