// The shape rules of softmax and log_softmax, shared by the CPU ops (softmax.cpp) and
// the CUDA ones (cuda/softmax.cu).
#pragma once

#include "core/op.h"

namespace nw::softmax {

inline const char* op_name(bool log) { return log ? "log_softmax" : "softmax"; }

// The input as lanes: `outer` blocks of `n` elements along the softmax dim, each `inner`
// apart; a lane is (outer index, inner index).
struct Lanes {
  int64_t outer = 1, n = 1, inner = 1;
};
// The lanes of a tensor of shape `sizes` along its dim `dim` (wrapped; E_DIM when out of range).
Lanes lanes_of(const Shape& sizes, int64_t dim, const char* op);

}  // namespace nw::softmax
