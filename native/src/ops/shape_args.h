// The rules of the index ops (gather, index_select, one_hot), shared by the CPU ops
// (shape.cpp) and the CUDA ones (cuda/shape.cu): argument checks, output shapes and the
// messages of out-of-range indices.
#pragma once

#include "core/op.h"

namespace nw::indexing {

// E_DTYPE unless `index` is an int64 tensor.
void check_index(const Tensor& index, const char* op);
// gather's checks (index dtype, rank, sizes); returns the wrapped `dim` attribute.
int64_t gather_dim(const Tensor& a, const Tensor& index, const Attrs& at);
// index_select's checks (index dtype, 1-D); returns the wrapped `dim` attribute.
int64_t index_select_dim(const Tensor& a, const Tensor& index, const Attrs& at);
// The wrapped `dim` of gather/index_select in backward (against the input's shape).
int64_t backward_dim(const OpContext& ctx, const char* op);
// index_select's output: a's shape with `n` entries along `dim`.
Shape index_select_shape(const Tensor& a, int64_t dim, int64_t n);
// The error for an index outside [-size, size) of dimension `dim`.
Error index_out_of_range(const char* op, int64_t index, int64_t dim, int64_t size);
// one_hot's `num_classes` (-1, the default: the largest index + 1).
int64_t num_classes_of(const Attrs& at);
// The error for a one_hot class index outside [0, classes).
Error class_out_of_range(int64_t index, int64_t classes);

}  // namespace nw::indexing
