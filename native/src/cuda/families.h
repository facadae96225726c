// The CUDA op families: one register function per .cu file, one line each.
#pragma once

namespace nw::cuda {
class OpRegistry;
}

#define NW_CUDA_FAMILIES(X) \
  X(register_activation_ops)    \
  X(register_conv_ops)          \
  X(register_pool_ops)          \
  X(register_upsample_ops)      \
  X(register_norm_ops)          \
  X(register_dropout_ops)       \
  X(register_elementwise_ops)   \
  X(register_reduce_ops)        \
  X(register_softmax_ops)       \
  X(register_loss_ops)          \
  X(register_shape_ops)         \
  X(register_linalg_ops)        \
  X(register_embedding_ops)     \
  X(register_recurrent_ops)

namespace nw::cuda {
#define NW_DECLARE_FAMILY(fn) void fn(OpRegistry& r);
NW_CUDA_FAMILIES(NW_DECLARE_FAMILY)
#undef NW_DECLARE_FAMILY
}  // namespace nw::cuda
