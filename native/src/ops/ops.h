// C++ entry points for the ops in op_table.h: each goes through call_op, so it
// records autograd when grad mode is on. Used by backward rules, the Plan
// executor and tests.
#pragma once

#include <string>

#include "core/op.h"
#include "op_table.h"

namespace nw {
// Every op's definition, declared here so each OpDef has external linkage.
#define NW_DECLARE_OP(name) extern const OpDef op_##name;
NW_OPS(NW_DECLARE_OP)
#undef NW_DECLARE_OP
}  // namespace nw

namespace nw::ops {

Tensor add(const Tensor& a, const Tensor& b, double alpha = 1.0);
Tensor sub(const Tensor& a, const Tensor& b, double alpha = 1.0);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor compare(const std::string& op, const Tensor& a, const Tensor& b);  // eq ne lt le gt ge

Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor clamp(const Tensor& a, double min, double max);  // +-inf for an open side
Tensor pow_scalar(const Tensor& a, double exponent);
Tensor mul_scalar(const Tensor& a, double s);
Tensor add_scalar(const Tensor& a, double s);

Tensor relu(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor tanh(const Tensor& a);

Tensor sum(const Tensor& a, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& a, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor sum_to(const Tensor& a, const Shape& shape);

Tensor reshape(const Tensor& a, const Shape& shape);
Tensor permute(const Tensor& a, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& a, int64_t d0, int64_t d1);
Tensor expand(const Tensor& a, const Shape& shape);
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor contiguous(const Tensor& a);
Tensor cat(const TensorList& ts, int64_t dim);

Tensor matmul(const Tensor& a, const Tensor& b);
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);

// In-place, no autograd: a += b (b broadcast to a), used for gradient accumulation.
void add_(const Tensor& a, const Tensor& b, double alpha = 1.0);

// Helpers for op implementations.
DType result_type(const Tensor& a, const Tensor& b);
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
Tensor scalar_like(double v, const Tensor& like);

}  // namespace nw::ops
