// embedding: rows of a weight table looked up by integer ids (F.embedding), with
// padding_idx (that row gets no gradient), max_norm (looked-up rows renormalised in
// place, as PyTorch does) and scale_grad_by_freq.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/autograd.h"
#include "cpu/parallel.h"
#include "embedding_args.h"
#include "ops.h"

namespace nw {

namespace embedding {

void check_weight(const Tensor& weight) {
  NW_CHECK(weight.defined() && weight.dim() == 2, "E_SHAPE", "embedding: weight must be 2-D [num_embeddings, embedding_dim]");
  NW_CHECK(is_floating(weight.dtype()), "E_DTYPE", "embedding: weight must be float32 or float64");
}

void check_ids_dtype(const Tensor& idx) {
  NW_CHECK(idx.dtype() == DType::Int64 || idx.dtype() == DType::Int32, "E_DTYPE",
           std::string("embedding: ids must be an int64 (or int32) tensor, got ") + dtype_name(idx.dtype()) +
               "; token inputs are class indices, not floats");
}

Error id_out_of_range(int64_t id, int64_t rows) {
  return Error("E_INDEX", "embedding: id " + std::to_string(id) + " is out of range for a table of " + std::to_string(rows) +
                              " rows (valid: 0.." + std::to_string(rows - 1) + "); raise num_embeddings or check the tokenizer");
}

int64_t padding_of(const Attrs& at, int64_t rows) {
  if (!at.has("padding_idx")) return -1;
  int64_t p = at.i("padding_idx");
  NW_CHECK(p >= -rows && p < rows, "E_ARG",
           "embedding: padding_idx " + std::to_string(p) + " must be within the " + std::to_string(rows) + " rows");
  return p < 0 ? p + rows : p;
}

Renorm renorm_of(const Attrs& at) {
  Renorm r;
  if (!at.has("max_norm")) return r;
  r.on = true;
  r.max_norm = at.f("max_norm");
  r.norm_type = at.f("norm_type", 2.0);
  NW_CHECK(r.max_norm > 0, "E_ARG", "embedding: max_norm must be > 0");
  return r;
}

bool scale_grad_by_freq(const Attrs& at) { return at.b("scale_grad_by_freq", false); }

Shape output_shape(const Tensor& ids, int64_t dim) {
  Shape s = ids.sizes();
  s.push_back(dim);
  return s;
}

void save(OpContext& ctx, const Tensor& ids, int64_t rows, int64_t dim) {
  ctx.save({ids.contiguous()});
  ctx.ints = {rows, dim};
}

Saved saved(const OpContext& ctx) {
  Saved s;
  s.ids = ctx.saved()[0];
  s.rows = ctx.ints[0];
  s.dim = ctx.ints[1];
  s.padding = padding_of(ctx.attrs, s.rows);
  s.by_freq = scale_grad_by_freq(ctx.attrs);
  return s;
}

}  // namespace embedding

namespace {

// The ids as int64, checked against the table size.
std::vector<int64_t> read_ids(const Tensor& idx, int64_t rows) {
  embedding::check_ids_dtype(idx);
  Tensor c = idx.contiguous();
  std::vector<int64_t> ids(static_cast<size_t>(c.numel()));
  if (c.dtype() == DType::Int64) std::memcpy(ids.data(), c.data<int64_t>(), sizeof(int64_t) * ids.size());
  else for (size_t i = 0; i < ids.size(); ++i) ids[i] = c.data<int32_t>()[i];
  for (int64_t id : ids)
    if (id < 0 || id >= rows) throw embedding::id_out_of_range(id, rows);
  return ids;
}

TensorList embedding_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor &idx = in[0], &weight = in[1];
  embedding::check_weight(weight);
  const int64_t rows = weight.sizes()[0], dim = weight.sizes()[1];
  std::vector<int64_t> ids = read_ids(idx, rows);
  embedding::padding_of(at, rows);
  const embedding::Renorm renorm = embedding::renorm_of(at);
  if (renorm.on) {
    // F.embedding's embedding_renorm_: every distinct looked-up row whose p-norm exceeds
    // max_norm is scaled to max_norm / (norm + 1e-7), in place, without autograd.
    const double max_norm = renorm.max_norm, p = renorm.norm_type;
    std::vector<int64_t> uniq(ids);
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    NW_DISPATCH_FLOAT(weight.dtype(), "embedding", [&] {
      using T = scalar_t;
      T* base = static_cast<T*>(weight.impl()->storage->data) + weight.offset();
      const int64_t s0 = weight.strides()[0], s1 = weight.strides()[1];
      for (int64_t r : uniq) {
        T* row = base + r * s0;
        double norm = 0;
        for (int64_t j = 0; j < dim; ++j) {
          double v = std::fabs(static_cast<double>(row[j * s1]));
          norm += p == 2.0 ? v * v : p == 1.0 ? v : std::pow(v, p);
        }
        norm = p == 2.0 ? std::sqrt(norm) : p == 1.0 ? norm : std::pow(norm, 1.0 / p);
        if (norm > max_norm) {
          const T scale = static_cast<T>(max_norm / (norm + 1e-7));
          for (int64_t j = 0; j < dim; ++j) row[j * s1] *= scale;
        }
      }
    });
    weight.impl()->version++;
  }
  Tensor out = empty(embedding::output_shape(idx, dim), weight.dtype(), weight.device());
  Tensor w = weight.contiguous();
  NW_DISPATCH_FLOAT(weight.dtype(), "embedding", [&] {
    using T = scalar_t;
    const T* pw = w.data<T>();
    T* po = out.data<T>();
    const int64_t n = static_cast<int64_t>(ids.size());
    cpu::parallel_for(0, n, std::max<int64_t>(1, 16384 / std::max<int64_t>(dim, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) std::memcpy(po + i * dim, pw + ids[i] * dim, sizeof(T) * dim);
    });
  });
  embedding::save(ctx, idx, rows, dim);
  return {out};
}

TensorList embedding_backward(OpContext& ctx, const TensorList& g) {
  const embedding::Saved sv = embedding::saved(ctx);
  const int64_t rows = sv.rows, dim = sv.dim, pad = sv.padding;
  const bool by_freq = sv.by_freq;
  std::vector<int64_t> ids = read_ids(sv.ids, rows);
  Tensor go = g[0].contiguous();
  Tensor gw = zeros({rows, dim}, go.dtype());
  std::unordered_map<int64_t, int64_t> counts;
  if (by_freq)
    for (int64_t id : ids) counts[id]++;
  NW_DISPATCH_FLOAT(go.dtype(), "embedding", [&] {
    using T = scalar_t;
    const T* pg = go.data<T>();
    T* pw = gw.data<T>();
    for (size_t i = 0; i < ids.size(); ++i) {
      const int64_t id = ids[i];
      if (id == pad) continue;
      const T scale = by_freq ? static_cast<T>(1.0 / static_cast<double>(counts[id])) : T(1);
      const T* src = pg + static_cast<int64_t>(i) * dim;
      T* dst = pw + id * dim;
      for (int64_t j = 0; j < dim; ++j) dst[j] += scale * src[j];
    }
  });
  return {Tensor(), gw};
}

}  // namespace

const OpDef op_embedding = {"embedding", 2, GradKind::Differentiable, embedding_forward, embedding_backward,
                            "rows of weight at integer ids (F.embedding): padding_idx, max_norm, norm_type, scale_grad_by_freq"};

}  // namespace nw
