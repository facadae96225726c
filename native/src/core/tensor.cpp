// Tensor storage, views, creation and dtype-generic copy/fill.
#include "tensor.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "autograd.h"
#include "iter.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

namespace nw {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
  }
  return "unknown";
}

DType dtype_from_name(const std::string& n) {
  if (n == "float32" || n == "float") return DType::Float32;
  if (n == "float64" || n == "double") return DType::Float64;
  if (n == "int64" || n == "long") return DType::Int64;
  if (n == "int32" || n == "int") return DType::Int32;
  if (n == "uint8") return DType::UInt8;
  if (n == "bool") return DType::Bool;
  throw Error("E_DTYPE", "unknown dtype '" + n + "' (use float32, float64, int64, int32, uint8 or bool)");
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Int32: return 4;
    case DType::UInt8: return 1;
    case DType::Bool: return 1;
  }
  return 0;
}

std::string Device::str() const {
  return type == DeviceType::CPU ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device device_from_name(const std::string& name) {
  if (name == "cpu") return Device{};
  if (name.rfind("cuda", 0) == 0) {
    int idx = 0;
    if (name.size() > 5 && name[4] == ':') idx = std::atoi(name.c_str() + 5);
    return Device{DeviceType::CUDA, idx};
  }
  throw Error("E_DEVICE", "unknown device '" + name + "' (use cpu or cuda:N)");
}

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (auto v : s) n *= v;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t i = static_cast<int64_t>(s.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return st;
}

namespace {

// CPU buffers above a page are cached by exact (64-byte rounded) size: training
// allocates the same shapes every step, and fresh large blocks would otherwise be
// mmap'ed and page-faulted on every use.
class CpuCache {
 public:
  static constexpr size_t kSmall = 4096;
  static constexpr size_t kMaxCached = size_t(1) << 30;

  void* take(size_t bytes) {
    if (bytes > kSmall) {
      std::lock_guard<std::mutex> g(m_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= bytes;
        return p;
      }
    }
    return std::aligned_alloc(64, bytes);
  }

  void give(void* p, size_t bytes) {
    if (bytes > kSmall) {
      std::lock_guard<std::mutex> g(m_);
      if (cached_ + bytes <= kMaxCached) {
        free_[bytes].push_back(p);
        cached_ += bytes;
        return;
      }
    }
    std::free(p);
  }

  ~CpuCache() {
    for (auto& kv : free_)
      for (void* p : kv.second) std::free(p);
  }

 private:
  std::mutex m_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

CpuCache& cpu_cache() {
  static CpuCache* cache = new CpuCache();  // never destroyed: storages may outlive static teardown
  return *cache;
}

size_t rounded(size_t n) { return (std::max<size_t>(n, 1) + 63) / 64 * 64; }

}  // namespace

Storage::Storage(size_t n, Device dev) : nbytes(n), device(dev) {
  if (dev.type == DeviceType::CUDA) {
#ifdef NW_WITH_CUDA
    data = cuda::alloc(n, dev.index);
    return;
#else
    throw Error("E_DEVICE", "device " + dev.str() +
                                " is not available: this engine was built without CUDA (nvcc was not found); use cpu");
#endif
  }
  data = cpu_cache().take(rounded(n));
  if (!data) throw Error("E_OOM", "out of memory allocating " + std::to_string(n) + " bytes");
}

Storage::~Storage() {
#ifdef NW_WITH_CUDA
  if (device.type == DeviceType::CUDA) {
    cuda::release(data, nbytes, device.index);
    return;
  }
#endif
  cpu_cache().give(data, rounded(nbytes));
}

const Shape& Tensor::sizes() const { return impl_->sizes; }
const Shape& Tensor::strides() const { return impl_->strides; }
int64_t Tensor::dim() const { return static_cast<int64_t>(impl_->sizes.size()); }
int64_t Tensor::size(int64_t d) const {
  int64_t nd = dim();
  if (d < 0) d += nd;
  NW_CHECK(d >= 0 && d < nd, "E_DIM", "dimension out of range for tensor of shape " + shape_str(sizes()));
  return impl_->sizes[d];
}
int64_t Tensor::numel() const { return shape_numel(impl_->sizes); }
int64_t Tensor::offset() const { return impl_->offset; }
DType Tensor::dtype() const { return impl_->dtype; }
Device Tensor::device() const { return impl_->storage->device; }
void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data) + impl_->offset * dtype_size(impl_->dtype);
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (impl_->sizes[i] == 1) continue;
    if (impl_->strides[i] != expected) return false;
    expected *= impl_->sizes[i];
  }
  return true;
}

bool Tensor::requires_grad() const { return impl_->requires_grad; }
Tensor& Tensor::set_requires_grad(bool r) {
  NW_CHECK(!r || is_floating(dtype()), "E_DTYPE",
           std::string("only floating point tensors can require gradients, this one is ") + dtype_name(dtype()));
  NW_CHECK(impl_->grad_fn == nullptr || r, "E_AUTOGRAD",
           "cannot set requires_grad=False on a non-leaf tensor; use detach() instead");
  impl_->requires_grad = r;
  return *this;
}
Tensor Tensor::grad() const { return impl_->grad; }
void Tensor::set_grad(const Tensor& g) const { impl_->grad = g; }
const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl_->grad_fn; }
bool Tensor::is_leaf() const { return impl_->grad_fn == nullptr; }

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(sizes(), dtype(), device());
  copy_(out, *this);
  return out;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->sizes = impl_->sizes;
  impl->strides = impl_->strides;
  impl->offset = impl_->offset;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

Tensor Tensor::clone() const {
  Tensor out = empty(sizes(), dtype(), device());
  copy_(out, *this);
  return out;
}

double Tensor::item() const {
  NW_CHECK(numel() == 1, "E_SHAPE",
           "item() needs a tensor with one element, this one has shape " + shape_str(sizes()));
  return read_scalar(*this, 0);
}

Tensor empty(const Shape& shape, DType dtype, Device device) {
  for (auto s : shape)
    NW_CHECK(s >= 0, "E_SHAPE", "negative dimension in shape " + shape_str(shape));
  NW_CHECK(shape.size() <= kMaxDims, "E_SHAPE",
           "tensors have at most " + std::to_string(kMaxDims) + " dimensions, got " + shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype), device);
  impl->sizes = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(impl);
}

Tensor zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  const size_t n = static_cast<size_t>(t.numel()) * dtype_size(dtype);
#ifdef NW_WITH_CUDA
  if (device.type == DeviceType::CUDA) {
    cuda::memset_zero(t.raw_data(), n, device.index);
    return t;
  }
#endif
  std::memset(t.raw_data(), 0, n);
  return t;
}

Tensor ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  fill_(t, value);
  return t;
}

Tensor scalar_tensor(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

Tensor from_blob_copy(const void* data, const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  const size_t n = static_cast<size_t>(t.numel()) * dtype_size(dtype);
#ifdef NW_WITH_CUDA
  if (device.type == DeviceType::CUDA) {
    cuda::upload(t.raw_data(), data, n, device.index);
    return t;
  }
#endif
  std::memcpy(t.raw_data(), data, n);
  return t;
}

Tensor arange(double start, double end, double step, DType dtype) {
  NW_CHECK(step != 0, "E_ARG", "arange step must not be zero");
  NW_CHECK((end - start) / step >= 0, "E_ARG", "arange: the sign of step does not lead from start to end");
  int64_t n = static_cast<int64_t>(std::ceil((end - start) / step));
  Tensor t = empty({n}, dtype);
  NW_DISPATCH_ALL(dtype, [&] {
    scalar_t* p = t.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(start + step * static_cast<double>(i));
  });
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  NW_CHECK(steps >= 0, "E_ARG", "linspace needs steps >= 0");
  Tensor t = empty({steps}, dtype);
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  NW_DISPATCH_ALL(dtype, [&] {
    scalar_t* p = t.data<scalar_t>();
    // Like PyTorch: the second half counts back from `end` so the endpoint is exact.
    int64_t half = steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<scalar_t>(i < half ? start + step * static_cast<double>(i)
                                            : end - step * static_cast<double>(steps - 1 - i));
  });
  return t;
}

Tensor make_view(const Tensor& base, const Shape& sizes, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->sizes = sizes;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(impl);
}

void fill_(const Tensor& t, double value) {
#ifdef NW_WITH_CUDA
  if (t.device().type == DeviceType::CUDA) {
    cuda::fill(t, value);
    t.impl()->version++;
    return;
  }
#endif
  NW_DISPATCH_ALL(t.dtype(), [&] {
    scalar_t v = static_cast<scalar_t>(value);
    scalar_t* base = static_cast<scalar_t*>(t.impl()->storage->data);
    strided_loop<1>(t.sizes(), {t.strides()}, {t.offset()},
                    [&](const std::array<int64_t, 1>& o, const std::array<int64_t, 1>& s, int64_t n) {
                      scalar_t* p = base + o[0];
                      if (s[0] == 1)
                        for (int64_t i = 0; i < n; ++i) p[i] = v;
                      else
                        for (int64_t i = 0; i < n; ++i) p[i * s[0]] = v;
                    });
  });
  t.impl()->version++;
}

template <typename D, typename S>
static void copy_typed(const Tensor& dst, const Tensor& src) {
  D* db = static_cast<D*>(dst.impl()->storage->data);
  const S* sb = static_cast<const S*>(src.impl()->storage->data);
  Shape sst = broadcast_strides(src, dst.sizes());
  strided_loop<2>(dst.sizes(), {dst.strides(), sst}, {dst.offset(), src.offset()},
                  [&](const std::array<int64_t, 2>& o, const std::array<int64_t, 2>& s, int64_t n) {
                    D* d = db + o[0];
                    const S* p = sb + o[1];
                    if (s[0] == 1 && s[1] == 1)
                      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<D>(p[i]);
                    else
                      for (int64_t i = 0; i < n; ++i) d[i * s[0]] = static_cast<D>(p[i * s[1]]);
                  });
}

void copy_(const Tensor& dst, const Tensor& src) {
#ifdef NW_WITH_CUDA
  if (dst.device().type == DeviceType::CUDA || src.device().type == DeviceType::CUDA) {
    cuda::copy(dst, src);
    dst.impl()->version++;
    return;
  }
#endif
  NW_DISPATCH_ALL(dst.dtype(), [&] {
    using D = scalar_t;
    NW_DISPATCH_ALL(src.dtype(), [&] { copy_typed<D, scalar_t>(dst, src); });
  });
  dst.impl()->version++;
}

Tensor to_device(const Tensor& t, Device device) {
  if (t.device() == device) return t;
  Tensor out = empty(t.sizes(), t.dtype(), device);
  copy_(out, t);
  return out;
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = empty(t.sizes(), dtype, t.device());
  copy_(out, t);
  return out;
}

int64_t element_offset(const Tensor& t, int64_t linear) {
  int64_t off = t.offset();
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    int64_t sz = t.sizes()[d];
    off += (linear % sz) * t.strides()[d];
    linear /= sz;
  }
  return off;
}

double read_scalar(const Tensor& t, int64_t linear) {
#ifdef NW_WITH_CUDA
  if (t.device().type == DeviceType::CUDA) return cuda::read_scalar(t, linear);
#endif
  const int64_t off = element_offset(t, linear);
  return NW_DISPATCH_ALL(t.dtype(), [&] {
    return static_cast<double>(static_cast<const scalar_t*>(t.impl()->storage->data)[off]);
  });
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    NW_CHECK(da == db || da == 1 || db == 1, "E_SHAPE",
             "shapes " + shape_str(a) + " and " + shape_str(b) + " cannot be broadcast together (dimension " +
                 std::to_string(i) + ": " + std::to_string(da) + " vs " + std::to_string(db) + ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  const Shape& ts = t.sizes();
  NW_CHECK(ts.size() <= shape.size(), "E_SHAPE",
           "cannot broadcast shape " + shape_str(ts) + " to " + shape_str(shape));
  Shape st(shape.size(), 0);
  size_t lead = shape.size() - ts.size();
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i] == shape[lead + i]) {
      st[lead + i] = t.strides()[i];
    } else {
      NW_CHECK(ts[i] == 1, "E_SHAPE", "cannot broadcast shape " + shape_str(ts) + " to " + shape_str(shape));
    }
  }
  return st;
}

}  // namespace nw
