// Tensor: a strided view (sizes, strides, offset) over a reference-counted storage,
// plus the autograd fields. Ownership is C++-side; the binding holds handles only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nw {

enum class DType : uint8_t { Float32, Float64, Int64, Int32, UInt8, Bool };
constexpr int kNumDTypes = 6;

const char* dtype_name(DType t);
DType dtype_from_name(const std::string& name);
size_t dtype_size(DType t);
inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }

enum class DeviceType : uint8_t { CPU, CUDA };
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;
};
Device device_from_name(const std::string& name);

// Engine errors carry a stable code so TypeScript can map them to user messages.
struct Error : std::runtime_error {
  std::string code;
  Error(std::string c, const std::string& msg) : std::runtime_error(msg), code(std::move(c)) {}
};
#define NW_CHECK(cond, code, msg)                \
  do {                                           \
    if (!(cond)) throw ::nw::Error((code), (msg)); \
  } while (0)

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);
constexpr int kMaxDims = 8;

struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& shared() const { return impl_; }

  const Shape& sizes() const;
  const Shape& strides() const;
  int64_t size(int64_t dim) const;
  int64_t dim() const;
  int64_t numel() const;
  int64_t offset() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;

  template <typename T>
  T* data() const;  // pointer to element [0,...,0] (offset applied)
  void* raw_data() const;

  bool requires_grad() const;
  Tensor& set_requires_grad(bool r);
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const;

  // Plain data helpers (no autograd).
  Tensor contiguous() const;
  Tensor detach() const;
  Tensor clone() const;
  double item() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape sizes;
  Shape strides;
  int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;
  // autograd
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  int output_nr = 0;
  uint32_t version = 0;  // bumped by in-place writes; checked by saved tensors
  std::string name;      // parameter name, for messages
};

// Creation
Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = {});
Tensor zeros(const Shape& shape, DType dtype = DType::Float32, Device device = {});
Tensor ones(const Shape& shape, DType dtype = DType::Float32, Device device = {});
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32, Device device = {});
Tensor scalar_tensor(double value, DType dtype = DType::Float32, Device device = {});
Tensor from_blob_copy(const void* data, const Shape& shape, DType dtype, Device device = {});
Tensor arange(double start, double end, double step, DType dtype);
Tensor linspace(double start, double end, int64_t steps, DType dtype);
Tensor make_view(const Tensor& base, const Shape& sizes, const Shape& strides, int64_t offset);

// Fill / copy primitives (no autograd; used by ops and optimizers)
void fill_(const Tensor& t, double value);
void copy_(const Tensor& dst, const Tensor& src);  // dst and src same shape; any dtype
Tensor to_dtype(const Tensor& t, DType dtype);
Tensor to_device(const Tensor& t, Device device);  // a copy on `device` (t itself when already there)

double read_scalar(const Tensor& t, int64_t linear_index);  // logical (row-major) index
// Storage position (in elements, offset included) of the element at a logical (row-major) index.
int64_t element_offset(const Tensor& t, int64_t linear_index);

template <typename T>
T* Tensor::data() const {
  return static_cast<T*>(impl_->storage->data) + impl_->offset;
}

// Type dispatch: calls body with `scalar_t` bound to the C++ type of dtype.
#define NW_DISPATCH_ALL(dtype, ...)                                     \
  [&] {                                                                 \
    switch (dtype) {                                                    \
      case ::nw::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }   \
      case ::nw::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); }  \
      case ::nw::DType::Int64: { using scalar_t = int64_t; return __VA_ARGS__(); }   \
      case ::nw::DType::Int32: { using scalar_t = int32_t; return __VA_ARGS__(); }   \
      case ::nw::DType::UInt8: { using scalar_t = uint8_t; return __VA_ARGS__(); }   \
      case ::nw::DType::Bool: { using scalar_t = bool; return __VA_ARGS__(); }       \
    }                                                                   \
    throw ::nw::Error("E_DTYPE", "unknown dtype");                      \
  }()

#define NW_DISPATCH_FLOAT(dtype, opname, ...)                                          \
  [&] {                                                                                \
    switch (dtype) {                                                                   \
      case ::nw::DType::Float32: { using scalar_t = float; return __VA_ARGS__(); }     \
      case ::nw::DType::Float64: { using scalar_t = double; return __VA_ARGS__(); }    \
      default:                                                                         \
        throw ::nw::Error("E_DTYPE", std::string(opname) + " needs a float32 or float64 tensor, got " + \
                                         ::nw::dtype_name(dtype));                    \
    }                                                                                  \
  }()

}  // namespace nw
