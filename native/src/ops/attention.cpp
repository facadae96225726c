// Attention, composed from engine ops (autograd flows through them): scaled dot-product
// attention (F.scaled_dot_product_attention) and nn.MultiheadAttention's forward.
#include <cmath>
#include <limits>

#include "core/autograd.h"
#include "core/random.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

// A mask as an additive float tensor (no gradient): bool/uint8 entries become -inf where
// they mark a blocked position (true_blocks: True = blocked, else True = allowed); float
// masks are added as they are.
Tensor additive_mask(const Tensor& mask, DType dt, bool true_blocks, const char* op) {
  if (is_floating(mask.dtype())) return mask.dtype() == dt ? mask : to_dtype(mask, dt);
  NW_CHECK(mask.dtype() == DType::Bool || mask.dtype() == DType::UInt8, "E_DTYPE",
           std::string(op) + ": masks must be bool or float, got " + dtype_name(mask.dtype()));
  Tensor b = mask.dtype() == DType::Bool ? mask : to_dtype(mask, DType::Bool);
  if (mask.device().type != DeviceType::CPU) {
    // On an accelerator the mask stays there: where(b, -inf, 0) (or its converse) by ops.
    const Tensor ninf = full({}, -std::numeric_limits<double>::infinity(), dt, mask.device());
    const Tensor zero = zeros({}, dt, mask.device());
    return true_blocks ? ops::where(b, ninf, zero) : ops::where(b, zero, ninf);
  }
  Tensor out = empty(mask.sizes(), dt);
  NW_DISPATCH_FLOAT(dt, op, [&] {
    using T = scalar_t;
    const T ninf = -std::numeric_limits<T>::infinity();
    kern::map1<bool, T>(out, b, [=](bool v) { return v == true_blocks ? ninf : T(0); });
  });
  return out;
}

// Inverted dropout with the engine's generator: x * (u >= p) / (1 - p).
Tensor dropout_weights(const Tensor& x, double p) {
  // Off the CPU: the dropout op of the tensor's device (the same mask rule and gradient).
  if (x.device().type != DeviceType::CPU) return call_op("dropout", {x}, {{"p", p}, {"training", true}})[0];
  Tensor keep = empty(x.sizes(), x.dtype());
  NW_DISPATCH_FLOAT(x.dtype(), "attention dropout", [&] {
    using T = scalar_t;
    T* k = keep.data<T>();
    const T scale = p >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    Generator& gen = default_generator();
    for (int64_t i = 0; i < keep.numel(); ++i) k[i] = gen.uniform() >= p ? scale : T(0);
  });
  return ops::mul(x, keep);
}

Tensor causal_mask(int64_t L, int64_t S, DType dt, Device device) {
  if (device.type != DeviceType::CPU) {
    // -inf where the key's position j is after the query's i: compare the positions on the
    // device (only the L + S positions are uploaded, not the L x S mask).
    Tensor rows = to_device(ops::reshape(arange(0, static_cast<double>(L), 1, DType::Int64), {L, 1}), device);
    Tensor cols = to_device(ops::reshape(arange(0, static_cast<double>(S), 1, DType::Int64), {1, S}), device);
    return ops::where(ops::compare("gt", cols, rows), full({}, -std::numeric_limits<double>::infinity(), dt, device),
                      zeros({}, dt, device));
  }
  Tensor m = zeros({L, S}, dt);
  NW_DISPATCH_FLOAT(dt, "is_causal", [&] {
    using T = scalar_t;
    T* p = m.data<T>();
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = i + 1; j < S; ++j) p[i * S + j] = -std::numeric_limits<T>::infinity();
  });
  return m;
}

// softmax(q kᵀ · scale + mask) (dropout while training) and its product with v.
// Returns {output, weights}.
// NOTE: the leading dims are folded into one batch dim before each matmul: matmul over
// several batch dims with a size-1 one ([N, 1, L, E], one head) reads only batch 0.
TensorList attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale, double dropout_p,
                  bool training) {
  NW_CHECK(q.dim() == k.dim() && q.dim() == v.dim(), "E_SHAPE", "attention: q, k and v need the same rank");
  const Shape lead(q.sizes().begin(), q.sizes().end() - 2);
  for (int64_t i = 0; i + 2 < q.dim(); ++i)
    NW_CHECK(k.sizes()[i] == lead[i] && v.sizes()[i] == lead[i], "E_SHAPE",
             "attention: q " + shape_str(q.sizes()) + ", k " + shape_str(k.sizes()) + " and v " + shape_str(v.sizes()) +
                 " need the same leading (batch, head) dims");
  const int64_t B = shape_numel(lead), L = q.sizes()[q.dim() - 2], S = k.sizes()[k.dim() - 2];
  auto fold = [&](const Tensor& t) { return ops::reshape(t, {B, t.sizes()[t.dim() - 2], t.sizes()[t.dim() - 1]}); };
  Shape score_shape = lead;
  score_shape.push_back(L);
  score_shape.push_back(S);
  Tensor scores = ops::reshape(ops::matmul(ops::mul_scalar(fold(q), scale), ops::transpose(fold(k), 1, 2)), score_shape);
  if (mask.defined()) scores = ops::add(scores, mask);
  Tensor w = call_op("softmax", {scores}, {{"dim", int64_t(-1)}})[0];
  if (training && dropout_p > 0) w = dropout_weights(w, dropout_p);
  Shape out_shape = lead;
  out_shape.push_back(L);
  out_shape.push_back(v.sizes().back());
  return {ops::reshape(ops::matmul(ops::reshape(w, {B, L, S}), fold(v)), out_shape), w};
}

// ---- scaled_dot_product_attention(q, k, v [, attn_mask]; dropout_p, is_causal, training) ----
TensorList sdpa_forward(OpContext&, const TensorList& in, const Attrs& at) {
  NW_CHECK(in.size() == 3 || in.size() == 4, "E_ARITY", "scaled_dot_product_attention takes q, k, v and an optional attn_mask");
  const Tensor &q = in[0], &k = in[1], &v = in[2];
  for (const Tensor* t : {&q, &k, &v})
    NW_CHECK(t->defined() && t->dim() >= 2 && is_floating(t->dtype()), "E_SHAPE",
             "scaled_dot_product_attention: q, k and v must be float tensors with at least 2 dims [..., L, E]");
  NW_CHECK(q.sizes().back() == k.sizes().back(), "E_SHAPE",
           "scaled_dot_product_attention: q " + shape_str(q.sizes()) + " and k " + shape_str(k.sizes()) + " need the same last dim");
  NW_CHECK(k.sizes()[k.dim() - 2] == v.sizes()[v.dim() - 2], "E_SHAPE",
           "scaled_dot_product_attention: k " + shape_str(k.sizes()) + " and v " + shape_str(v.sizes()) + " need the same length");
  const int64_t L = q.sizes()[q.dim() - 2], S = k.sizes()[k.dim() - 2];
  Tensor mask;
  if (in.size() == 4 && in[3].defined()) {
    NW_CHECK(!at.b("is_causal", false), "E_ARG", "scaled_dot_product_attention: pass attn_mask or is_causal, not both");
    mask = additive_mask(in[3], q.dtype(), false, "scaled_dot_product_attention");
  } else if (at.b("is_causal", false)) {
    mask = causal_mask(L, S, q.dtype(), q.device());
  }
  const double scale = at.has("scale") ? at.f("scale") : 1.0 / std::sqrt(static_cast<double>(q.sizes().back()));
  return {attend(q, k, v, mask, scale, at.f("dropout_p", 0.0), at.b("training", false))[0]};
}

// ---- multi_head_attention(query, key, value, in_proj_weight, in_proj_bias, out_proj.weight,
//      out_proj.bias [, key_padding_mask, attn_mask]) -> (attn_output, attn_weights|none) ----
TensorList mha_forward(OpContext&, const TensorList& in, const Attrs& at) {
  NW_CHECK(in.size() >= 7 && in.size() <= 9, "E_ARITY",
           "multi_head_attention takes query, key, value, in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias"
           " and optionally key_padding_mask, attn_mask; got " + std::to_string(in.size()) + " inputs");
  Tensor query = in[0], key = in[1], value = in[2];
  const Tensor &w_in = in[3], &b_in = in[4], &w_out = in[5], &b_out = in[6];
  const Tensor key_padding = in.size() > 7 ? in[7] : Tensor();
  const Tensor attn_mask = in.size() > 8 ? in[8] : Tensor();
  const bool batch_first = at.b("batch_first", false);
  const int64_t heads = at.i("num_heads");
  NW_CHECK(query.defined() && key.defined() && value.defined(), "E_ARG", "multi_head_attention: query, key and value are required");
  NW_CHECK(query.dim() == 3 || query.dim() == 2, "E_SHAPE",
           "multi_head_attention: query must be 3-D " + std::string(batch_first ? "[N, L, E]" : "[L, N, E]") + " (or 2-D unbatched), got " +
               shape_str(query.sizes()));
  NW_CHECK(key.dim() == query.dim() && value.dim() == query.dim(), "E_SHAPE", "multi_head_attention: query, key and value need the same rank");
  const bool unbatched = query.dim() == 2;
  if (unbatched) {
    query = ops::unsqueeze(query, 0);
    key = ops::unsqueeze(key, 0);
    value = ops::unsqueeze(value, 0);
  } else if (!batch_first) {
    query = ops::transpose(query, 0, 1);
    key = ops::transpose(key, 0, 1);
    value = ops::transpose(value, 0, 1);
  }
  const int64_t N = query.sizes()[0], L = query.sizes()[1], E = query.sizes()[2], S = key.sizes()[1];
  const int64_t embed = at.i("embed_dim", E);
  NW_CHECK(E == embed, "E_SHAPE", "multi_head_attention: query has " + std::to_string(E) + " features but embed_dim=" + std::to_string(embed));
  NW_CHECK(heads >= 1 && E % heads == 0, "E_ARG",
           "multi_head_attention: embed_dim=" + std::to_string(E) + " is not divisible by num_heads=" + std::to_string(heads));
  NW_CHECK(key.sizes()[2] == E && value.sizes()[2] == E && key.sizes()[0] == N && value.sizes()[0] == N && value.sizes()[1] == S,
           "E_SHAPE", "multi_head_attention: key " + shape_str(in[1].sizes()) + " and value " + shape_str(in[2].sizes()) +
                          " must match the query's batch and embed_dim and each other's length");
  NW_CHECK(w_in.defined() && w_in.sizes() == (Shape{3 * E, E}), "E_SHAPE",
           "multi_head_attention: in_proj_weight must be [" + std::to_string(3 * E) + ", " + std::to_string(E) + "]");
  NW_CHECK(w_out.defined() && w_out.sizes() == (Shape{E, E}), "E_SHAPE", "multi_head_attention: out_proj.weight must be [E, E]");
  const int64_t hd = E / heads;
  auto part = [&](const Tensor& t, int64_t i) { return t.defined() ? ops::slice(t, 0, i * E, (i + 1) * E) : Tensor(); };
  auto split_heads = [&](const Tensor& t, int64_t len) {  // [N, len, E] -> [N, h, len, hd]
    return ops::permute(ops::reshape(t, {N, len, heads, hd}), {0, 2, 1, 3});
  };
  Tensor q = split_heads(ops::linear(query, part(w_in, 0), part(b_in, 0)), L);
  Tensor k = split_heads(ops::linear(key, part(w_in, 1), part(b_in, 1)), S);
  Tensor v = split_heads(ops::linear(value, part(w_in, 2), part(b_in, 2)), S);
  Tensor mask;
  if (attn_mask.defined()) {
    Tensor m = additive_mask(attn_mask, q.dtype(), true, "multi_head_attention");
    if (m.dim() == 2) {
      NW_CHECK(m.sizes() == (Shape{L, S}), "E_SHAPE", "multi_head_attention: a 2-D attn_mask must be [L, S] = [" + std::to_string(L) + ", " + std::to_string(S) + "]");
    } else {
      NW_CHECK(m.dim() == 3 && m.sizes() == (Shape{N * heads, L, S}), "E_SHAPE", "multi_head_attention: a 3-D attn_mask must be [N*num_heads, L, S]");
      m = ops::reshape(m, {N, heads, L, S});
    }
    mask = m;
  }
  if (key_padding.defined()) {
    NW_CHECK(key_padding.sizes() == (Shape{N, S}) || (unbatched && key_padding.sizes() == (Shape{S})), "E_SHAPE",
             "multi_head_attention: key_padding_mask must be [N, S] = [" + std::to_string(N) + ", " + std::to_string(S) + "]");
    Tensor m = ops::reshape(additive_mask(key_padding, q.dtype(), true, "multi_head_attention"), {N, 1, 1, S});
    mask = mask.defined() ? ops::add(mask, m) : m;
  }
  TensorList r = attend(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(hd)), at.f("dropout", 0.0), at.b("training", false));
  Tensor merged = ops::reshape(ops::contiguous(ops::permute(r[0], {0, 2, 1, 3})), {N, L, E});
  Tensor out = ops::linear(merged, w_out, b_out);
  Tensor weights;
  if (at.b("need_weights", true)) {
    weights = at.b("average_attn_weights", true) ? ops::mean(r[1], {1}) : r[1];
    if (unbatched) weights = ops::reshape(weights, Shape(weights.sizes().begin() + 1, weights.sizes().end()));
  }
  if (unbatched) out = ops::reshape(out, {L, E});
  else if (!batch_first) out = ops::transpose(out, 0, 1);
  return {out, weights};
}

}  // namespace

const OpDef op_scaled_dot_product_attention = {
    "scaled_dot_product_attention", -1, GradKind::Composite, sdpa_forward, nullptr,
    "softmax(q kᵀ / √E + mask) v (F.scaled_dot_product_attention): attn_mask (bool: True = attend), dropout_p, is_causal"};
const OpDef op_multi_head_attention = {
    "multi_head_attention", -1, GradKind::Composite, mha_forward, nullptr,
    "nn.MultiheadAttention forward: (query, key, value, in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias"
    " [, key_padding_mask, attn_mask]) -> (attn_output, attn_weights|none)"};

}  // namespace nw
