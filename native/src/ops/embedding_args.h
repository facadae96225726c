// The rules of the embedding op, shared by the CPU op (embedding.cpp) and the CUDA one
// (cuda/embedding.cu): argument checks and messages and the attributes' defaults.
#pragma once

#include "core/op.h"

namespace nw::embedding {

// E_SHAPE/E_DTYPE unless the weight is a 2-D float table [num_embeddings, embedding_dim].
void check_weight(const Tensor& weight);
// E_DTYPE unless the ids are int64 or int32.
void check_ids_dtype(const Tensor& ids);
// The error for an id outside [0, rows).
Error id_out_of_range(int64_t id, int64_t rows);
// The row that gets no gradient (`padding_idx`, negative counts from the end), or -1.
int64_t padding_of(const Attrs& at, int64_t rows);
// F.embedding's max_norm: looked-up rows whose norm_type-norm (2 by default) exceeds
// max_norm are renormalised in place; E_ARG unless max_norm > 0.
struct Renorm {
  bool on = false;
  double max_norm = 0, norm_type = 2.0;
};
Renorm renorm_of(const Attrs& at);
// scale_grad_by_freq: each row's gradient divided by how often it was looked up (off by default).
bool scale_grad_by_freq(const Attrs& at);
// The output's shape: the ids' shape with embedding_dim appended.
Shape output_shape(const Tensor& ids, int64_t dim);
// What backward needs: forward saves the (contiguous) ids and the table's size; backward
// reads them with the padding row and scale_grad_by_freq.
void save(OpContext& ctx, const Tensor& ids, int64_t rows, int64_t dim);
struct Saved {
  Tensor ids;
  int64_t rows = 0, dim = 0, padding = -1;
  bool by_freq = false;
};
Saved saved(const OpContext& ctx);

}  // namespace nw::embedding
