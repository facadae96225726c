// embedding on CUDA, with ops/embedding_args.h's rules (F.embedding): rows of the weight
// at integer ids, padding_idx (that row gets no gradient), max_norm (looked-up rows
// renormalised in place, without autograd) and scale_grad_by_freq. The gradient is a
// scatter-add of the output gradient's rows (atomicAdd).
#include "core/autograd.h"
#include "cuda/common.cuh"
#include "cuda/index_check.cuh"
#include "ops/embedding_args.h"
#include "ops/ops.h"

namespace nw::cuda {
namespace {

// Calls f(p) with the ids' device pointer, typed by their dtype (int64 or int32).
template <typename F>
void with_ids(const Tensor& ids, F f) {
  if (ids.dtype() == DType::Int64) f(ids.data<int64_t>());
  else f(ids.data<int32_t>());
}

// Marks bad ids in `bad` (first position) and, with `seen`, every looked-up row.
template <typename I>
void scan_ids(int device, const I* p, int64_t n, int64_t rows, int* seen, unsigned long long* bad) {
  launch(device, n, [=] __device__(int64_t i) {
    const int64_t id = static_cast<int64_t>(p[i]);
    if (id < 0 || id >= rows) {
      record_bad_index(bad, i);
      return;
    }
    if (seen) seen[id] = 1;
  });
}

// Throws the CPU's error for the first id outside [0, rows). With `seen`, also marks
// every looked-up row (seen[id] = 1) for max_norm.
void check_ids(const Tensor& ids, int64_t rows, int* seen) {
  IndexErrorFlag flag(dev(ids));
  with_ids(ids, [&](const auto* p) { scan_ids(dev(ids), p, ids.numel(), rows, seen, flag.ptr()); });
  const int64_t first = flag.first_bad();
  if (first >= 0) throw embedding::id_out_of_range(read_index_value(ids, first), rows);
}

// out[i, :] = w[ids[i], :] (w contiguous).
template <typename T, typename I>
void lookup_rows(int device, const I* p, int64_t n, int64_t dim, const T* pw, T* po) {
  launch(device, n * dim, [=] __device__(int64_t e) {
    const int64_t i = e / dim, j = e - i * dim;
    po[e] = pw[static_cast<int64_t>(p[i]) * dim + j];
  });
}

template <typename I>
void count_ids(int device, const I* p, int64_t n, unsigned long long* counts) {
  launch(device, n, [=] __device__(int64_t i) { atomicAdd(counts + static_cast<int64_t>(p[i]), 1ULL); });
}

// gw[ids[i], :] += scale * g[i, :], skipping the padding row; scale = 1 / count with counts.
template <typename T, typename I>
void scatter_rows(int device, const I* p, int64_t n, int64_t dim, int64_t pad, const unsigned long long* counts,
                  const T* pg, T* pw) {
  launch(device, n * dim, [=] __device__(int64_t e) {
    const int64_t i = e / dim, j = e - i * dim;
    const int64_t id = static_cast<int64_t>(p[i]);
    if (id == pad) return;
    const T scale = counts ? static_cast<T>(1.0 / static_cast<double>(counts[id])) : T(1);
    atomicAdd(pw + id * dim + j, scale * pg[e]);
  });
}

// embedding_renorm_: each looked-up row (seen[r]) whose p-norm exceeds max_norm is scaled
// to max_norm / (norm + 1e-7). One warp per row; the norm accumulates in double.
template <typename T>
__global__ void renorm_rows(T* base, int64_t s0, int64_t s1, int64_t rows, int64_t dim, const int* seen, double max_norm,
                            double p) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  for (int64_t r = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5; r < rows; r += warps) {
    if (!seen[r]) continue;  // uniform across the warp
    T* row = base + r * s0;
    double acc = 0;
    for (int64_t j = lane; j < dim; j += 32) {
      const double v = fabs(static_cast<double>(row[j * s1]));
      acc += p == 2.0 ? v * v : p == 1.0 ? v : pow(v, p);
    }
    for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    const double norm = p == 2.0 ? sqrt(acc) : p == 1.0 ? acc : pow(acc, 1.0 / p);
    if (norm > max_norm) {
      const T scale = static_cast<T>(max_norm / (norm + 1e-7));
      for (int64_t j = lane; j < dim; j += 32) row[j * s1] *= scale;
    }
  }
}

TensorList embedding_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor &idx = in[0], &weight = in[1];
  embedding::check_weight(weight);
  const int64_t rows = weight.sizes()[0], dim = weight.sizes()[1];
  embedding::check_ids_dtype(idx);
  DeviceGuard guard(dev(weight));
  Tensor ids = idx.contiguous();
  const bool renorm = at.has("max_norm");
  Tensor seen = renorm ? zeros({std::max<int64_t>(rows, 1)}, DType::Int32, weight.device()) : Tensor();
  check_ids(ids, rows, renorm ? seen.data<int>() : nullptr);
  embedding::padding_of(at, rows);
  const embedding::Renorm rn = embedding::renorm_of(at);
  if (rn.on) {
    const double max_norm = rn.max_norm, p = rn.norm_type;
    if (rows > 0 && dim > 0) {
      NW_DISPATCH_FLOAT(weight.dtype(), "embedding", [&] {
        using T = scalar_t;
        T* base = base_ptr<T>(weight) + weight.offset();
        const int64_t warps_needed = rows;
        const unsigned blocks = blocks_for(warps_needed * 32);
        renorm_rows<T><<<blocks, kThreads, 0, stream(dev(weight))>>>(base, weight.strides()[0], weight.strides()[1], rows,
                                                                       dim, seen.data<int>(), max_norm, p);
        NW_CUDA_LAUNCHED();
      });
    }
    weight.impl()->version++;
  }
  Tensor out = empty(embedding::output_shape(idx, dim), weight.dtype(), weight.device());
  Tensor w = weight.contiguous();
  NW_DISPATCH_FLOAT(weight.dtype(), "embedding", [&] {
    using T = scalar_t;
    with_ids(ids, [&](const auto* p) { lookup_rows<T>(dev(out), p, ids.numel(), dim, w.data<T>(), out.data<T>()); });
  });
  embedding::save(ctx, ids, rows, dim);
  return {out};
}

TensorList embedding_backward(OpContext& ctx, const TensorList& g) {
  const embedding::Saved sv = embedding::saved(ctx);
  const Tensor& ids = sv.ids;
  const int64_t rows = sv.rows, dim = sv.dim, pad = sv.padding;
  const bool by_freq = sv.by_freq;
  DeviceGuard guard(dev(g[0]));
  Tensor go = g[0].contiguous();
  Tensor gw = zeros({rows, dim}, go.dtype(), go.device());
  const int64_t n = ids.numel();
  // How often each row was looked up (scale_grad_by_freq divides each row's gradient by it).
  Tensor counts = by_freq ? zeros({std::max<int64_t>(rows, 1)}, DType::Int64, go.device()) : Tensor();
  unsigned long long* pc = by_freq ? static_cast<unsigned long long*>(counts.raw_data()) : nullptr;
  if (by_freq) with_ids(ids, [&](const auto* p) { count_ids(dev(go), p, n, pc); });
  NW_DISPATCH_FLOAT(go.dtype(), "embedding", [&] {
    using T = scalar_t;
    with_ids(ids, [&](const auto* p) { scatter_rows<T>(dev(go), p, n, dim, pad, pc, go.data<T>(), gw.data<T>()); });
  });
  return {Tensor(), gw};
}

}  // namespace

void register_embedding_ops(OpRegistry& r) { r.add(op_embedding, embedding_forward, embedding_backward); }

}  // namespace nw::cuda
