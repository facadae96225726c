// Views and data movement on CUDA, with ops/shape.cpp's semantics and ops/shape_args.h's
// index rules. The view ops and cat/split/contiguous/to_dtype are device-agnostic on the
// CPU side (make_view, core copies, ops:: calls), so their CPU functions are registered
// as they are; slice's backward, gather, index_select and one_hot have kernels here.
// Index range errors are found on the device and thrown with the CPU op's message.
#include "core/autograd.h"
#include "cuda/common.cuh"
#include "cuda/index_check.cuh"
#include "ops/ops.h"
#include "ops/shape_args.h"

namespace nw::cuda {
namespace {

// Shape and strides of up to kMaxDims dims, passed to kernels by value.
struct Geometry {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
};
Geometry geometry(const Shape& sizes, const Shape& strides) {
  Geometry g;
  g.ndim = static_cast<int>(sizes.size());
  for (int d = 0; d < g.ndim; ++d) {
    g.sizes[d] = sizes[d];
    g.strides[d] = strides[d];
  }
  return g;
}

// Offset in a tensor with strides `src.strides` of the element whose coordinates are those
// of logical index `lin` in shape `shape.sizes`, except along `dim`, where it is `at`.
// Also returns the coordinate along `dim` (0 for a 0-d shape).
__device__ inline int64_t offset_replacing(const Geometry& shape, const Geometry& src, int64_t lin, int dim, int64_t at,
                                           bool use_at, int64_t* coord_dim) {
  int64_t off = 0;
  *coord_dim = 0;
  for (int d = shape.ndim - 1; d >= 0; --d) {
    const int64_t c = lin % shape.sizes[d];
    lin /= shape.sizes[d];
    if (d == dim) {
      *coord_dim = c;
      off += (use_at ? at : c) * src.strides[d];
    } else {
      off += c * src.strides[d];
    }
  }
  return off;
}

// The gradient of gather and index_select: zeros of the input's shape into which g is
// scatter-added along `dim` at the indices. gather has one index per element of g (the
// index has g's shape); index_select one per position along `dim` (a 1-D index).
TensorList scatter_backward(OpContext& ctx, const TensorList& g, const char* op, bool per_element) {
  Tensor index = ctx.saved()[0];
  DeviceGuard guard(dev(g[0]));
  const Shape& shape = ctx.input_shapes[0];
  const int64_t dim = indexing::backward_dim(ctx, op);
  Tensor out = zeros(shape, g[0].dtype(), g[0].device());
  const int64_t size = shape.empty() ? 1 : shape[dim];
  const Geometry gshape = geometry(g[0].sizes(), g[0].strides()), dst = geometry(shape, out.strides());
  const Indexer ii = indexer(index), gi = indexer(g[0]);
  const int64_t* pi = base_ptr<const int64_t>(index);
  const int d = static_cast<int>(dim);
  NW_DISPATCH_FLOAT(out.dtype(), op, [&] {
    using T = scalar_t;
    T* po = out.data<T>();
    const T* pg = base_ptr<const T>(g[0]);
    launch(dev(out), g[0].numel(), [=] __device__(int64_t lin) {
      int64_t k = 0;
      if (!per_element) offset_replacing(gshape, dst, lin, d, 0, false, &k);
      int64_t i = pi[ii.at(per_element ? lin : k)];  // checked by the forward
      if (i < 0) i += size;
      atomicAdd(po + offset_replacing(gshape, dst, lin, d, i, true, &k), pg[gi.at(lin)]);
    });
  });
  return {out, Tensor()};
}

// ---- slice: the forward is a view (the CPU's); the gradient scatters into zeros on the device ----
TensorList slice_backward(OpContext& ctx, const TensorList& g) {
  DeviceGuard guard(dev(g[0]));
  Tensor out = zeros(ctx.input_shapes[0], g[0].dtype(), g[0].device());
  Tensor view = op_slice.forward(ctx, {out}, ctx.attrs)[0];
  copy_(view, g[0]);
  return {out};
}

// out[lin] = a at out's coordinates lin with the one along `dim` replaced by an index,
// wrapped when negative: gather reads index[lin] (the index has out's shape), index_select
// index[k], k the coordinate along `dim` (a 1-D index). An index outside [-size, size)
// gives 0 and, with `bad`, is recorded at lin.
void gather_along(const Tensor& a, const Tensor& index, const Tensor& out, int64_t dim, bool per_element,
                  unsigned long long* bad) {
  const int64_t size = a.dim() > 0 ? a.sizes()[dim] : 1;
  const Geometry oshape = geometry(out.sizes(), out.strides()), src = geometry(a.sizes(), a.strides());
  const Indexer ii = indexer(index);
  const int64_t* pi = base_ptr<const int64_t>(index);
  const int64_t a_off = a.offset();
  const int d = static_cast<int>(dim);
  NW_DISPATCH_ALL(a.dtype(), [&] {
    using T = scalar_t;
    T* po = out.data<T>();
    const T* pa = base_ptr<const T>(a);
    launch(dev(a), out.numel(), [=] __device__(int64_t lin) {
      int64_t k = 0;
      if (!per_element) offset_replacing(oshape, src, lin, d, 0, false, &k);
      int64_t i = pi[ii.at(per_element ? lin : k)];
      if (i < -size || i >= size) {
        if (bad) record_bad_index(bad, lin);
        po[lin] = T(0);
        return;
      }
      if (i < 0) i += size;
      po[lin] = pa[a_off + offset_replacing(oshape, src, lin, d, i, true, &k)];
    });
  });
}

// ---- gather ----
TensorList gather_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  const Tensor& index = in[1];
  const int64_t dim = indexing::gather_dim(a, index, at);
  DeviceGuard guard(dev(a));
  Tensor out = empty(index.sizes(), a.dtype(), a.device());
  const int64_t size = a.dim() > 0 ? a.sizes()[dim] : 1;
  IndexErrorFlag flag(dev(a));
  gather_along(a, index, out, dim, true, flag.ptr());
  const int64_t first = flag.first_bad();
  if (first >= 0) throw indexing::index_out_of_range("gather", read_index_value(index, first), dim, size);
  ctx.save({index});
  return {out};
}
TensorList gather_backward(OpContext& ctx, const TensorList& g) { return scatter_backward(ctx, g, "gather", true); }

// ---- index_select ----
TensorList index_select_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  const Tensor& index = in[1];
  const int64_t dim = indexing::index_select_dim(a, index, at);
  DeviceGuard guard(dev(a));
  Tensor idx = index.contiguous();
  const int64_t n = idx.numel();
  NW_CHECK(a.dim() > 0 || n == 1, "E_SHAPE",
           "index_select: the index of a 0-d input must have exactly one entry, got " + std::to_string(n));
  Tensor out = empty(indexing::index_select_shape(a, dim, n), a.dtype(), a.device());
  const int64_t size = a.dim() > 0 ? a.sizes()[dim] : 1;
  IndexErrorFlag flag(dev(a));
  const int64_t* pi = idx.data<int64_t>();
  unsigned long long* bad = flag.ptr();
  launch(dev(a), n, [=] __device__(int64_t k) {
    const int64_t i = pi[k];
    if (i < -size || i >= size) record_bad_index(bad, k);
  });
  gather_along(a, idx, out, dim, false, nullptr);  // bad indices: reported by the check above
  const int64_t first = flag.first_bad();
  if (first >= 0) throw indexing::index_out_of_range("index_select", read_index_value(idx, first), dim, size);
  ctx.save({idx});
  return {out};
}
TensorList index_select_backward(OpContext& ctx, const TensorList& g) {
  return scatter_backward(ctx, g, "index_select", false);
}

// ---- one_hot ----
TensorList one_hot_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  indexing::check_index(a, "one_hot");
  DeviceGuard guard(dev(a));
  Tensor ac = a.contiguous();
  const int64_t* p = ac.data<int64_t>();
  const int64_t n = ac.numel();
  int64_t classes = indexing::num_classes_of(at);
  if (classes < 0) {
    // max(0, max(index) + 1), as the CPU's loop.
    Tensor mx = zeros({1}, DType::Int64, a.device());
    long long* pm = static_cast<long long*>(mx.raw_data());
    launch(dev(a), n, [=] __device__(int64_t i) { atomicMax(pm, static_cast<long long>(p[i] + 1)); });
    download(&classes, mx.raw_data(), sizeof classes, dev(a));
  }
  Shape shape = a.sizes();
  shape.push_back(classes);
  Tensor out = zeros(shape, DType::Int64, a.device());
  int64_t* po = out.data<int64_t>();
  IndexErrorFlag flag(dev(a));
  unsigned long long* bad = flag.ptr();
  const int64_t c = classes;
  launch(dev(a), n, [=] __device__(int64_t i) {
    const int64_t v = p[i];
    if (v < 0 || v >= c) {
      record_bad_index(bad, i);
      return;
    }
    po[i * c + v] = 1;
  });
  const int64_t first = flag.first_bad();
  if (first >= 0) throw indexing::class_out_of_range(read_index_value(ac, first), classes);
  return {out};
}

}  // namespace

void register_shape_ops(OpRegistry& r) {
  // Device-agnostic CPU definitions: views (make_view), core copies and ops:: calls only.
  r.add(op_reshape, op_reshape.forward, op_reshape.backward);
  r.add(op_permute, op_permute.forward, op_permute.backward);
  r.add(op_transpose, op_transpose.forward, op_transpose.backward);
  r.add(op_expand, op_expand.forward, op_expand.backward);
  r.add(op_squeeze, op_squeeze.forward, op_squeeze.backward);
  r.add(op_unsqueeze, op_unsqueeze.forward, op_unsqueeze.backward);
  r.add(op_flatten, op_flatten.forward, op_flatten.backward);
  r.add(op_contiguous, op_contiguous.forward, op_contiguous.backward);
  r.add(op_cat, op_cat.forward, op_cat.backward);
  r.add(op_split, op_split.forward, op_split.backward);
  r.add(op_to_dtype, op_to_dtype.forward, op_to_dtype.backward);
  // slice's forward is a view; its backward allocates, so it is the device's own.
  r.add(op_slice, op_slice.forward, slice_backward);
  r.add(op_gather, gather_forward, gather_backward);
  r.add(op_index_select, index_select_forward, index_select_backward);
  r.add(op_one_hot, one_hot_forward, nullptr);
}

}  // namespace nw::cuda
