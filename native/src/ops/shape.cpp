// Views and data movement: reshape/permute/transpose/expand/slice/squeeze/unsqueeze/
// flatten (views where strides allow), contiguous, cat/stack/split, gather,
// index_select, one_hot and dtype conversion.
#include <algorithm>
#include <cstring>

#include "core/autograd.h"
#include "kernels.h"
#include "ops.h"
#include "shape_args.h"

namespace nw {
namespace {

Shape infer_shape(const Shape& req, int64_t numel, const Shape& from) {
  Shape out = req;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      NW_CHECK(infer < 0, "E_SHAPE", "reshape: only one dimension can be -1 in " + shape_str(req));
      infer = static_cast<int64_t>(i);
    } else {
      NW_CHECK(out[i] >= 0, "E_SHAPE", "reshape: invalid dimension in " + shape_str(req));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    NW_CHECK(known != 0 && numel % known == 0, "E_SHAPE",
             "reshape: cannot reshape a tensor of shape " + shape_str(from) + " (" + std::to_string(numel) +
                 " elements) into " + shape_str(req));
    out[infer] = numel / known;
  }
  NW_CHECK(shape_numel(out) == numel, "E_SHAPE",
           "reshape: cannot reshape a tensor of shape " + shape_str(from) + " (" + std::to_string(numel) +
               " elements) into " + shape_str(req) + " (" + std::to_string(shape_numel(out)) + " elements)");
  return out;
}

TensorList reshape_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  Shape shape = infer_shape(at.ints("shape"), a.numel(), a.sizes());
  Tensor c = a.contiguous();
  return {make_view(c, shape, contiguous_strides(shape), c.offset())};
}
TensorList reshape_backward(OpContext& ctx, const TensorList& g) { return {ops::reshape(g[0], ctx.input_shapes[0])}; }

TensorList permute_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  auto dims = at.ints("dims");
  NW_CHECK(static_cast<int64_t>(dims.size()) == a.dim(), "E_SHAPE",
           "permute: got " + std::to_string(dims.size()) + " dims for a tensor of shape " + shape_str(a.sizes()));
  Shape sz, st;
  std::vector<bool> seen(a.dim(), false);
  for (auto d : dims) {
    int64_t w = ops::wrap_dim(d, a.dim(), "permute");
    NW_CHECK(!seen[w], "E_DIM", "permute: dimension " + std::to_string(d) + " repeated");
    seen[w] = true;
    sz.push_back(a.sizes()[w]);
    st.push_back(a.strides()[w]);
  }
  return {make_view(a, sz, st, a.offset())};
}
TensorList permute_backward(OpContext& ctx, const TensorList& g) {
  auto dims = ctx.attrs.ints("dims");
  std::vector<int64_t> inv(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) inv[ops::wrap_dim(dims[i], dims.size(), "permute")] = static_cast<int64_t>(i);
  return {ops::permute(g[0], inv)};
}

TensorList transpose_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  int64_t d0 = ops::wrap_dim(at.i("dim0"), a.dim(), "transpose"), d1 = ops::wrap_dim(at.i("dim1"), a.dim(), "transpose");
  Shape sz = a.sizes(), st = a.strides();
  if (a.dim() > 0) {
    std::swap(sz[d0], sz[d1]);
    std::swap(st[d0], st[d1]);
  }
  return {make_view(a, sz, st, a.offset())};
}
TensorList transpose_backward(OpContext& ctx, const TensorList& g) {
  return {ops::transpose(g[0], ctx.attrs.i("dim0"), ctx.attrs.i("dim1"))};
}

TensorList expand_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  Shape shape = at.ints("shape");
  NW_CHECK(shape.size() >= static_cast<size_t>(a.dim()), "E_SHAPE",
           "expand: cannot expand " + shape_str(a.sizes()) + " to fewer dimensions " + shape_str(shape));
  size_t lead = shape.size() - a.dim();
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      NW_CHECK(i >= lead, "E_SHAPE", "expand: -1 is not allowed for a new leading dimension");
      shape[i] = a.sizes()[i - lead];
    }
  }
  return {make_view(a, shape, broadcast_strides(a, shape), a.offset())};
}
TensorList expand_backward(OpContext& ctx, const TensorList& g) { return {ops::sum_to(g[0], ctx.input_shapes[0])}; }

TensorList slice_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  int64_t dim = ops::wrap_dim(at.i("dim", 0), a.dim(), "slice");
  int64_t n = a.sizes()[dim];
  int64_t start = at.i("start", 0), end = at.i("end", n), step = at.i("step", 1);
  NW_CHECK(step > 0, "E_ARG", "slice: step must be positive");
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape sz = a.sizes(), st = a.strides();
  sz[dim] = (end - start + step - 1) / step;
  st[dim] = a.strides()[dim] * step;
  return {make_view(a, sz, st, a.offset() + start * a.strides()[dim])};
}
TensorList slice_backward(OpContext& ctx, const TensorList& g) {
  Tensor out = zeros(ctx.input_shapes[0], g[0].dtype());
  Tensor view = slice_forward(ctx, {out}, ctx.attrs)[0];
  copy_(view, g[0]);
  return {out};
}

TensorList squeeze_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  Shape sz, st;
  int64_t only = at.has("dim") ? ops::wrap_dim(at.i("dim"), a.dim(), "squeeze") : -1;
  for (int64_t i = 0; i < a.dim(); ++i) {
    bool drop = a.sizes()[i] == 1 && (only < 0 || only == i);
    if (!drop) {
      sz.push_back(a.sizes()[i]);
      st.push_back(a.strides()[i]);
    }
  }
  return {make_view(a, sz, st, a.offset())};
}
TensorList unsqueeze_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  int64_t d = ops::wrap_dim(at.i("dim"), a.dim() + 1, "unsqueeze");
  Shape sz = a.sizes(), st = a.strides();
  int64_t stride = d < a.dim() ? a.strides()[d] * a.sizes()[d] : 1;
  sz.insert(sz.begin() + d, 1);
  st.insert(st.begin() + d, stride);
  return {make_view(a, sz, st, a.offset())};
}
TensorList flatten_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  if (a.dim() == 0) return {ops::reshape(a, {1})};
  int64_t s = ops::wrap_dim(at.i("start_dim", 0), a.dim(), "flatten");
  int64_t e = ops::wrap_dim(at.i("end_dim", -1), a.dim(), "flatten");
  NW_CHECK(s <= e, "E_DIM", "flatten: start_dim must not come after end_dim");
  Shape shape;
  for (int64_t i = 0; i < s; ++i) shape.push_back(a.sizes()[i]);
  int64_t m = 1;
  for (int64_t i = s; i <= e; ++i) m *= a.sizes()[i];
  shape.push_back(m);
  for (int64_t i = e + 1; i < a.dim(); ++i) shape.push_back(a.sizes()[i]);
  Tensor c = a.contiguous();
  return {make_view(c, shape, contiguous_strides(shape), c.offset())};
}
TensorList back_to_input_shape(OpContext& ctx, const TensorList& g) { return {ops::reshape(g[0], ctx.input_shapes[0])}; }

TensorList contiguous_forward(OpContext&, const TensorList& in, const Attrs&) { return {in[0].contiguous()}; }
TensorList identity_backward(OpContext&, const TensorList& g) { return {g[0]}; }

TensorList cat_forward(OpContext&, const TensorList& in, const Attrs& at) {
  NW_CHECK(!in.empty(), "E_ARG", "cat needs at least one tensor");
  const Tensor& first = in[0];
  int64_t dim = ops::wrap_dim(at.i("dim", 0), first.dim(), "cat");
  Shape shape = first.sizes();
  DType dt = first.dtype();
  int64_t total = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    const Tensor& t = in[k];
    NW_CHECK(t.dim() == first.dim(), "E_SHAPE",
             "cat: tensor " + std::to_string(k) + " has shape " + shape_str(t.sizes()) + " but tensor 0 has " + shape_str(first.sizes()));
    for (int64_t d = 0; d < t.dim(); ++d)
      NW_CHECK(d == dim || t.sizes()[d] == shape[d], "E_SHAPE",
               "cat: shapes " + shape_str(first.sizes()) + " and " + shape_str(t.sizes()) + " differ outside dimension " + std::to_string(dim));
    total += t.sizes()[dim];
    if (k > 0) dt = ops::result_type(empty({1}, dt), t);
  }
  shape[dim] = total;
  Tensor out = empty(shape, dt, first.device());
  int64_t at_off = 0;
  for (const Tensor& t : in) {
    Shape sz = out.sizes();
    sz[dim] = t.sizes()[dim];
    Tensor view = make_view(out, sz, out.strides(), at_off * out.strides()[dim]);
    copy_(view, t);
    at_off += t.sizes()[dim];
  }
  return {out};
}
TensorList cat_backward(OpContext& ctx, const TensorList& g) {
  int64_t dim = ops::wrap_dim(ctx.attrs.i("dim", 0), g[0].dim(), "cat");
  TensorList out;
  int64_t off = 0;
  for (size_t k = 0; k < ctx.input_shapes.size(); ++k) {
    int64_t len = ctx.input_shapes[k][dim];
    out.push_back(ctx.needs_input_grad[k] ? ops::slice(g[0], dim, off, off + len) : Tensor());
    off += len;
  }
  return out;
}

// stack is built from unsqueeze + cat, so autograd flows through those.
TensorList stack_forward(OpContext&, const TensorList& in, const Attrs& at) {
  NW_CHECK(!in.empty(), "E_ARG", "stack needs at least one tensor");
  int64_t dim = ops::wrap_dim(at.i("dim", 0), in[0].dim() + 1, "stack");
  TensorList parts;
  for (size_t k = 0; k < in.size(); ++k) {
    NW_CHECK(in[k].sizes() == in[0].sizes(), "E_SHAPE",
             "stack: all tensors need the same shape; tensor " + std::to_string(k) + " is " + shape_str(in[k].sizes()) +
                 ", tensor 0 is " + shape_str(in[0].sizes()));
    parts.push_back(ops::unsqueeze(in[k], dim));
  }
  return {ops::cat(parts, dim)};
}

TensorList split_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  int64_t dim = ops::wrap_dim(at.i("dim", 0), a.dim(), "split");
  int64_t n = a.sizes()[dim];
  std::vector<int64_t> sizes;
  if (at.has("sizes")) {
    sizes = at.ints("sizes");
    int64_t sum = 0;
    for (auto s : sizes) sum += s;
    NW_CHECK(sum == n, "E_SHAPE",
             "split: sizes add up to " + std::to_string(sum) + " but dimension " + std::to_string(dim) + " has " + std::to_string(n));
  } else {
    int64_t s = at.i("split_size");
    NW_CHECK(s > 0, "E_ARG", "split: split_size must be positive");
    for (int64_t o = 0; o < n; o += s) sizes.push_back(std::min(s, n - o));
  }
  TensorList out;
  int64_t off = 0;
  for (auto s : sizes) {
    Shape sz = a.sizes();
    sz[dim] = s;
    out.push_back(make_view(a, sz, a.strides(), a.offset() + off * a.strides()[dim]));
    off += s;
  }
  return out;
}
TensorList split_backward(OpContext& ctx, const TensorList& g) {
  int64_t dim = ops::wrap_dim(ctx.attrs.i("dim", 0), static_cast<int64_t>(ctx.input_shapes[0].size()), "split");
  return {ops::cat(g, dim)};
}

// Walk every element of `index` (shape == out shape); map to the source offset.
template <typename F>
void for_each_index(const Tensor& index, F f) {
  Tensor ic = index.contiguous();
  const int64_t* pi = ic.data<int64_t>();
  const Shape& s = ic.sizes();
  std::vector<int64_t> coord(s.size(), 0);
  for (int64_t lin = 0, n = ic.numel(); lin < n; ++lin) {
    f(lin, coord, pi[lin]);
    for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
      if (++coord[d] < s[d]) break;
      coord[d] = 0;
    }
  }
}

TensorList gather_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  const Tensor& index = in[1];
  const int64_t dim = indexing::gather_dim(a, index, at);
  Tensor out = empty(index.sizes(), a.dtype(), a.device());
  NW_DISPATCH_ALL(a.dtype(), [&] {
    const scalar_t* pa = static_cast<const scalar_t*>(a.impl()->storage->data);
    scalar_t* po = out.data<scalar_t>();
    for_each_index(index, [&](int64_t lin, const std::vector<int64_t>& c, int64_t idx) {
      if (idx < -a.sizes()[dim] || idx >= a.sizes()[dim]) throw indexing::index_out_of_range("gather", idx, dim, a.sizes()[dim]);
      if (idx < 0) idx += a.sizes()[dim];
      int64_t off = a.offset();
      for (size_t d = 0; d < c.size(); ++d) off += (static_cast<int64_t>(d) == dim ? idx : c[d]) * a.strides()[d];
      po[lin] = pa[off];
    });
  });
  ctx.save({index});
  return {out};
}
TensorList gather_backward(OpContext& ctx, const TensorList& g) {
  const int64_t dim = indexing::backward_dim(ctx, "gather");
  const Shape& shape = ctx.input_shapes[0];
  Tensor index = ctx.saved()[0];
  Tensor out = zeros(shape, g[0].dtype());
  Tensor gc = g[0].contiguous();
  Shape st = out.strides();
  NW_DISPATCH_FLOAT(out.dtype(), "gather", [&] {
    scalar_t* po = out.data<scalar_t>();
    const scalar_t* pg = gc.data<scalar_t>();
    for_each_index(index, [&](int64_t lin, const std::vector<int64_t>& c, int64_t idx) {
      if (idx < 0) idx += shape[dim];
      int64_t off = 0;
      for (size_t d = 0; d < c.size(); ++d) off += (static_cast<int64_t>(d) == dim ? idx : c[d]) * st[d];
      po[off] += pg[lin];
    });
  });
  return {out, Tensor()};
}

TensorList index_select_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  const Tensor& index = in[1];
  const int64_t dim = indexing::index_select_dim(a, index, at);
  Tensor idx = index.contiguous();
  int64_t n = idx.numel();
  Tensor out = empty(indexing::index_select_shape(a, dim, n), a.dtype(), a.device());
  const int64_t* pi = idx.data<int64_t>();
  for (int64_t k = 0; k < n; ++k) {
    int64_t i = pi[k];
    if (i < -a.sizes()[dim] || i >= a.sizes()[dim]) throw indexing::index_out_of_range("index_select", i, dim, a.sizes()[dim]);
    if (i < 0) i += a.sizes()[dim];
    Shape sz = a.sizes();
    sz[dim] = 1;
    Tensor src = make_view(a, sz, a.strides(), a.offset() + i * a.strides()[dim]);
    Tensor dst = make_view(out, sz, out.strides(), k * out.strides()[dim]);
    copy_(dst, src);
  }
  ctx.save({idx});
  return {out};
}
TensorList index_select_backward(OpContext& ctx, const TensorList& g) {
  const int64_t dim = indexing::backward_dim(ctx, "index_select");
  const Shape& shape = ctx.input_shapes[0];
  Tensor out = zeros(shape, g[0].dtype());
  Tensor idx = ctx.saved()[0];
  const int64_t* pi = idx.data<int64_t>();
  for (int64_t k = 0, n = idx.numel(); k < n; ++k) {
    int64_t i = pi[k] < 0 ? pi[k] + shape[dim] : pi[k];
    Shape sz = shape;
    sz[dim] = 1;
    Tensor dst = make_view(out, sz, out.strides(), i * out.strides()[dim]);
    Tensor src = make_view(g[0], sz, g[0].strides(), g[0].offset() + k * g[0].strides()[dim]);
    ops::add_(dst, src);
  }
  return {out, Tensor()};
}

TensorList one_hot_forward(OpContext&, const TensorList& in, const Attrs& at) {
  const Tensor& a = in[0];
  indexing::check_index(a, "one_hot");
  Tensor ac = a.contiguous();
  const int64_t* p = ac.data<int64_t>();
  int64_t classes = indexing::num_classes_of(at);
  if (classes < 0) {
    classes = 0;
    for (int64_t i = 0, n = ac.numel(); i < n; ++i) classes = std::max(classes, p[i] + 1);
  }
  Shape shape = a.sizes();
  shape.push_back(classes);
  Tensor out = zeros(shape, DType::Int64, a.device());
  int64_t* po = out.data<int64_t>();
  for (int64_t i = 0, n = ac.numel(); i < n; ++i) {
    if (p[i] < 0 || p[i] >= classes) throw indexing::class_out_of_range(p[i], classes);
    po[i * classes + p[i]] = 1;
  }
  return {out};
}

TensorList to_dtype_forward(OpContext&, const TensorList& in, const Attrs& at) {
  DType d = dtype_from_name(at.s("dtype", "float32"));
  return {in[0].dtype() == d ? in[0].clone() : to_dtype(in[0], d)};
}

// to(device): a copy on another device; the gradient goes back to the input's device.
TensorList to_device_forward(OpContext& ctx, const TensorList& in, const Attrs& at) {
  const Device from = in[0].device();
  ctx.ints = {static_cast<int64_t>(from.type), from.index};
  const Device to = device_from_name(at.s("device", "cpu"));
  return {from == to ? in[0].clone() : to_device(in[0], to)};
}
TensorList to_device_backward(OpContext& ctx, const TensorList& g) {
  const Device from{static_cast<DeviceType>(ctx.ints[0]), static_cast<int>(ctx.ints[1])};
  return {to_device(g[0], from)};
}

}  // namespace

const OpDef op_reshape = {"reshape", 1, GradKind::Differentiable, reshape_forward, reshape_backward, "reshape (view when contiguous; one -1 inferred)"};
const OpDef op_permute = {"permute", 1, GradKind::Differentiable, permute_forward, permute_backward, "reorder dims (view)"};
const OpDef op_transpose = {"transpose", 1, GradKind::Differentiable, transpose_forward, transpose_backward, "swap dim0 and dim1 (view)"};
const OpDef op_expand = {"expand", 1, GradKind::Differentiable, expand_forward, expand_backward, "broadcast to shape (view)"};
const OpDef op_slice = {"slice", 1, GradKind::Differentiable, slice_forward, slice_backward, "a[start:end:step] along dim (view)"};
const OpDef op_squeeze = {"squeeze", 1, GradKind::Differentiable, squeeze_forward, back_to_input_shape, "drop size-1 dims (or only dim)"};
const OpDef op_unsqueeze = {"unsqueeze", 1, GradKind::Differentiable, unsqueeze_forward, back_to_input_shape, "insert a size-1 dim"};
const OpDef op_flatten = {"flatten", 1, GradKind::Differentiable, flatten_forward, back_to_input_shape, "merge dims start_dim..end_dim"};
const OpDef op_contiguous = {"contiguous", 1, GradKind::Differentiable, contiguous_forward, identity_backward, "row-major copy if needed"};
const OpDef op_cat = {"cat", -1, GradKind::Differentiable, cat_forward, cat_backward, "concatenate along dim"};
const OpDef op_stack = {"stack", -1, GradKind::Composite, stack_forward, nullptr, "stack along a new dim (unsqueeze + cat)"};
const OpDef op_split = {"split", 1, GradKind::Differentiable, split_forward, split_backward, "split along dim by split_size or sizes"};
const OpDef op_gather = {"gather", 2, GradKind::Differentiable, gather_forward, gather_backward, "out[i][j] = a[index[i][j]][j] (dim 0)"};
const OpDef op_index_select = {"index_select", 2, GradKind::Differentiable, index_select_forward, index_select_backward, "select entries of dim by a 1-D index"};
const OpDef op_one_hot = {"one_hot", 1, GradKind::None, one_hot_forward, nullptr, "int64 class indices -> one-hot int64"};
const OpDef op_to_dtype = {"to_dtype", 1, GradKind::Differentiable, to_dtype_forward, identity_backward, "convert to dtype"};
const OpDef op_to_device = {"to_device", 1, GradKind::Differentiable, to_device_forward, to_device_backward,
                            "copy to a device (cpu, cuda:N)", /*cross_device=*/true};

namespace indexing {

void check_index(const Tensor& index, const char* op) {
  NW_CHECK(index.dtype() == DType::Int64, "E_DTYPE",
           std::string(op) + ": the index must be an int64 tensor, got " + dtype_name(index.dtype()));
}

int64_t gather_dim(const Tensor& a, const Tensor& index, const Attrs& at) {
  check_index(index, "gather");
  const int64_t dim = ops::wrap_dim(at.i("dim"), a.dim(), "gather");
  NW_CHECK(index.dim() == a.dim(), "E_SHAPE",
           "gather: index " + shape_str(index.sizes()) + " must have as many dimensions as the input " + shape_str(a.sizes()));
  for (int64_t d = 0; d < a.dim(); ++d)
    NW_CHECK(d == dim || index.sizes()[d] <= a.sizes()[d], "E_SHAPE",
             "gather: index " + shape_str(index.sizes()) + " is larger than the input " + shape_str(a.sizes()) +
                 " in dimension " + std::to_string(d));
  return dim;
}

int64_t index_select_dim(const Tensor& a, const Tensor& index, const Attrs& at) {
  check_index(index, "index_select");
  NW_CHECK(index.dim() <= 1, "E_SHAPE", "index_select: the index must be 1-D, got " + shape_str(index.sizes()));
  return ops::wrap_dim(at.i("dim"), a.dim(), "index_select");
}

int64_t backward_dim(const OpContext& ctx, const char* op) {
  return ops::wrap_dim(ctx.attrs.i("dim"), static_cast<int64_t>(ctx.input_shapes[0].size()), op);
}

Shape index_select_shape(const Tensor& a, int64_t dim, int64_t n) {
  Shape shape = a.sizes();
  if (a.dim() > 0) shape[dim] = n;
  return shape;
}

Error index_out_of_range(const char* op, int64_t index, int64_t dim, int64_t size) {
  return Error("E_INDEX", std::string(op) + ": index " + std::to_string(index) + " is out of range for dimension " +
                              std::to_string(dim) + " of size " + std::to_string(size));
}

int64_t num_classes_of(const Attrs& at) { return at.i("num_classes", -1); }

Error class_out_of_range(int64_t index, int64_t classes) {
  return Error("E_INDEX", "one_hot: class index " + std::to_string(index) + " is out of range for num_classes=" +
                              std::to_string(classes));
}

}  // namespace indexing

namespace ops {
Tensor reshape(const Tensor& a, const Shape& shape) { return call_op(op_reshape, {a}, {{"shape", shape}})[0]; }
Tensor permute(const Tensor& a, const std::vector<int64_t>& dims) { return call_op(op_permute, {a}, {{"dims", dims}})[0]; }
Tensor transpose(const Tensor& a, int64_t d0, int64_t d1) { return call_op(op_transpose, {a}, {{"dim0", d0}, {"dim1", d1}})[0]; }
Tensor expand(const Tensor& a, const Shape& shape) { return call_op(op_expand, {a}, {{"shape", shape}})[0]; }
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return call_op(op_slice, {a}, {{"dim", dim}, {"start", start}, {"end", end}, {"step", step}})[0];
}
Tensor unsqueeze(const Tensor& a, int64_t dim) { return call_op(op_unsqueeze, {a}, {{"dim", dim}})[0]; }
Tensor contiguous(const Tensor& a) { return call_op(op_contiguous, {a})[0]; }
Tensor cat(const TensorList& ts, int64_t dim) { return call_op(op_cat, ts, {{"dim", dim}})[0]; }
}  // namespace ops
}  // namespace nw
