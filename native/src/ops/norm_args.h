// The arguments of the normalisations (batch_norm, layer_norm, group_norm), shared by the
// CPU implementation (norm.cpp) and the CUDA one (cuda/norm.cu): attribute parsing with
// PyTorch's defaults, the checks and their messages, and the row layout of layer/group norm.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/op.h"
#include "core/tensor.h"

namespace nw::norm {

template <typename T>
const T* opt_data(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

inline void check_affine(const Tensor& t, int64_t n, DType dt, const char* op, const char* what) {
  if (!t.defined()) return;
  NW_CHECK(t.numel() == n, "E_SHAPE",
           std::string(op) + ": " + what + " must have " + std::to_string(n) + " elements, got " + shape_str(t.sizes()));
  NW_CHECK(t.dtype() == dt, "E_DTYPE", std::string(op) + ": " + what + " must be " + dtype_name(dt) + ", got " + dtype_name(t.dtype()));
}

// batch_norm(x, weight, bias, running_mean, running_var, num_batches_tracked): x is
// [N, C, *]; statistics per channel over N and the trailing dims (S elements each).
// Attrs: training (default false, as F.batch_norm), momentum (0.1; 'none' for a cumulative
// average from num_batches_tracked, like momentum=None in nn.BatchNorm), eps (1e-5).
struct BatchNormArgs {
  int64_t N, C, S, M;  // M = N * S values per channel
  bool use_batch;      // batch statistics (training, or no running statistics)
  bool update;         // update the running statistics (and num_batches_tracked when given)
  bool cumulative;     // momentum 'none': the factor is 1 / num_batches_tracked after its increment
  double eps, factor;  // factor: the momentum otherwise
  // Kept for backward in ctx.ints: N, C, S and whether batch statistics were used.
  std::vector<int64_t> pack() const { return {N, C, S, use_batch ? 1 : 0}; }
  static BatchNormArgs unpack(const std::vector<int64_t>& v) {
    BatchNormArgs a{};
    a.N = v[0];
    a.C = v[1];
    a.S = v[2];
    a.M = a.N * a.S;
    a.use_batch = v[3] != 0;
    return a;
  }
};
inline BatchNormArgs batch_norm_args(const TensorList& in, const Attrs& at) {
  const char* op = "batch_norm";
  const Tensor &x = in[0], &w = in[1], &b = in[2], &rmean = in[3], &rvar = in[4], &nbt = in[5];
  NW_CHECK(x.dim() >= 2, "E_SHAPE", "batch_norm: input must be [N, C] or [N, C, ...], got " + shape_str(x.sizes()));
  NW_CHECK(is_floating(x.dtype()), "E_DTYPE", std::string("batch_norm needs a float input, got ") + dtype_name(x.dtype()));
  NW_CHECK(rmean.defined() == rvar.defined(), "E_ARG", "batch_norm: give both running_mean and running_var, or neither");
  BatchNormArgs a{};
  a.N = x.sizes()[0];
  a.C = x.sizes()[1];
  a.S = x.numel() / std::max<int64_t>(a.N * a.C, 1);
  a.M = a.N * a.S;
  for (const auto& [t, what] : {std::pair{w, "weight"}, {b, "bias"}, {rmean, "running_mean"}, {rvar, "running_var"}})
    check_affine(t, a.C, x.dtype(), op, what);
  // As F.batch_norm: without running statistics, batch statistics are used in eval too.
  a.use_batch = at.b("training", false) || !rmean.defined();
  a.update = at.b("training", false) && rmean.defined();
  a.eps = at.f("eps", 1e-5);
  NW_CHECK(!a.use_batch || a.M > 1, "E_SHAPE",
           "batch_norm: expected more than 1 value per channel when training, got input " + shape_str(x.sizes()) +
               "; use a batch size above 1 or switch to eval mode");
  a.factor = 0.1;
  if (a.update) {
    a.cumulative = at.has("momentum") && std::holds_alternative<std::string>(at.values().at("momentum"));
    if (a.cumulative) {
      std::string m = at.s("momentum", "");
      NW_CHECK(m == "none" || m == "None", "E_ARG", "batch_norm: momentum must be a number or 'none', got '" + m + "'");
      NW_CHECK(nbt.defined(), "E_ARG", "batch_norm: momentum 'none' (cumulative average) needs num_batches_tracked");
    } else {
      a.factor = at.f("momentum", 0.1);
    }
    NW_CHECK(!nbt.defined() || (nbt.numel() == 1 && nbt.dtype() == DType::Int64 && nbt.is_contiguous()), "E_ARG",
             "batch_norm: num_batches_tracked must be a one-element int64 tensor");
  }
  NW_CHECK(!rmean.defined() || (rmean.is_contiguous() && rvar.is_contiguous()), "E_ARG", "batch_norm: running statistics must be contiguous");
  return a;
}

// layer_norm and group_norm: rows of `K` elements; element j of row r uses affine entry
// ((r % G) * Cg + j / S): layer_norm is G = 1, Cg = K, S = 1; group_norm is G groups of
// Cg channels of S elements.
struct RowNorm {
  int64_t R, K, G, Cg, S;
  int64_t affine(int64_t r, int64_t j) const { return (r % G) * Cg + j / S; }
};
struct RowNormArgs {
  RowNorm rn;
  int64_t affine_n;  // weight and bias elements
  double eps;
  const char* op;    // layer_norm or group_norm
  // Kept for backward in ctx.ints (without eps and op).
  std::vector<int64_t> pack() const { return {rn.R, rn.K, rn.G, rn.Cg, rn.S, affine_n}; }
  static RowNormArgs unpack(const std::vector<int64_t>& v) { return {{v[0], v[1], v[2], v[3], v[4]}, v[5], 0.0, "norm"}; }
};

inline RowNormArgs row_norm_args(const TensorList& in, const RowNorm& rn, int64_t affine_n, double eps, const char* op) {
  NW_CHECK(is_floating(in[0].dtype()), "E_DTYPE", std::string(op) + " needs a float input, got " + dtype_name(in[0].dtype()));
  check_affine(in[1], affine_n, in[0].dtype(), op, "weight");
  check_affine(in[2], affine_n, in[0].dtype(), op, "bias");
  return {rn, affine_n, eps, op};
}

// layer_norm(x, weight, bias; normalized_shape, eps (1e-5)): over the last len(normalized_shape) dims.
inline RowNormArgs layer_norm_args(const TensorList& in, const Attrs& at) {
  const Tensor& x = in[0];
  std::vector<int64_t> shape = at.ints("normalized_shape");
  const int64_t d = static_cast<int64_t>(shape.size());
  bool match = d >= 1 && d <= x.dim();
  for (int64_t i = 0; match && i < d; ++i) match = x.sizes()[x.dim() - d + i] == shape[i];
  NW_CHECK(match, "E_SHAPE",
           "layer_norm: normalized_shape " + shape_str(shape) + " must equal the last dims of the input " + shape_str(x.sizes()));
  const int64_t K = shape_numel(shape), R = K ? x.numel() / K : 0;
  return row_norm_args(in, RowNorm{R, K, 1, K, 1}, K, at.f("eps", 1e-5), "layer_norm");
}

// group_norm(x, weight, bias; num_groups, eps (1e-5)): x [N, C, *], weight and bias [C].
inline RowNormArgs group_norm_args(const TensorList& in, const Attrs& at) {
  const Tensor& x = in[0];
  NW_CHECK(x.dim() >= 2, "E_SHAPE", "group_norm: input must be [N, C, ...], got " + shape_str(x.sizes()));
  const int64_t G = at.i("num_groups"), N = x.sizes()[0], C = x.sizes()[1];
  NW_CHECK(G >= 1 && C % G == 0, "E_ARG",
           "group_norm: num_groups=" + std::to_string(G) + " must divide the " + std::to_string(C) + " channels");
  const int64_t S = x.numel() / std::max<int64_t>(N * C, 1), Cg = C / G;
  return row_norm_args(in, RowNorm{N * G, Cg * S, G, Cg, S}, C, at.f("eps", 1e-5), "group_norm");
}

}  // namespace nw::norm
