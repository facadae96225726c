// SGD, Adam, AdamW and RMSprop as single fused loops per parameter, plus gradient
// clipping. Formulas follow torch/optim/*.py (1.13, single-tensor path).
#include "optim.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "cpu/parallel.h"
#include "optim/update_rules.h"
#ifdef NW_WITH_CUDA
#include "cuda/cuda.h"
#endif

namespace nw {
namespace {

constexpr int64_t kGrain = 65536;

// The update loops are free functions over restrict pointers and by-value scalars so
// the compiler vectorises them; target_clones adds AVX2 and AVX-512 versions picked
// at load time (the library itself stays baseline x86-64).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NW_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NW_SIMD_CLONES
#endif

template <typename T>
NW_SIMD_CLONES void sgd_loop(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t n, optim::SgdStep<T> a) {
  if (!buf) {
    for (int64_t i = 0; i < n; ++i) optim::sgd_element<T>(i, p, g, nullptr, a);
    return;
  }
  for (int64_t i = 0; i < n; ++i) optim::sgd_element(i, p, g, buf, a);
}

template <typename T>
NW_SIMD_CLONES void adam_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax,
                              int64_t n, optim::AdamStep<T> a) {
  for (int64_t i = 0; i < n; ++i) optim::adam_element(i, p, g, m, v, vmax, a);
}

template <typename T>
NW_SIMD_CLONES void rmsprop_loop(T* __restrict p, const T* __restrict g, T* __restrict sq, T* __restrict ga, T* __restrict buf,
                                 int64_t n, optim::RmspropStep<T> a) {
  for (int64_t i = 0; i < n; ++i) optim::rmsprop_element(i, p, g, sq, ga, buf, a);
}

// Runs loop(offset, count) over [0, n) in parallel chunks.
template <typename F>
void chunked(int64_t n, F loop) {
  cpu::parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) { loop(b, e - b); });
}

Tensor& buffer(Optimizer::ParamState& s, const char* name, const Tensor& like, bool* created = nullptr) {
  auto it = s.buffers.find(name);
  if (it == s.buffers.end()) {
    it = s.buffers.emplace(name, zeros(like.sizes(), like.dtype(), like.device())).first;
    if (created) *created = true;
  } else if (created) {
    *created = false;
  }
  return it->second;
}

bool on_cuda(const Tensor& t) { return t.device().type == DeviceType::CUDA; }

// One step of each optimizer on a parameter's elements: the state named as PyTorch names
// it (created on the parameter's device), the step arguments, then the CPU loops or the
// CUDA kernel, by the parameter's device.
template <typename T>
void sgd_update(const OptimizerConfig& c, T* p, const T* g, Optimizer::ParamState& s, const Tensor& param, int64_t n) {
  optim::SgdStep<T> a{static_cast<T>(c.lr), static_cast<T>(c.weight_decay), static_cast<T>(c.momentum),
                      static_cast<T>(1 - c.dampening), c.maximize ? T(-1) : T(1), c.nesterov, false};
  T* buf = nullptr;
  if (c.momentum != 0) buf = buffer(s, "momentum_buffer", param, &a.fresh).template data<T>();
#ifdef NW_WITH_CUDA
  if (on_cuda(param)) return cuda::sgd_update<T>(param.device().index, p, g, buf, n, a);
#endif
  chunked(n, [&](int64_t o, int64_t k) { sgd_loop<T>(p + o, g + o, buf ? buf + o : nullptr, k, a); });
}

template <typename T>
void adam_update(const OptimizerConfig& c, bool decoupled, T* p, const T* g, Optimizer::ParamState& s, const Tensor& param,
                 int64_t n) {
  s.step += 1;
  const double bc1 = 1 - std::pow(c.beta1, static_cast<double>(s.step));
  const double bc2 = 1 - std::pow(c.beta2, static_cast<double>(s.step));
  optim::AdamStep<T> a{static_cast<T>(c.lr / bc1), static_cast<T>(std::sqrt(bc2)), static_cast<T>(c.beta1), static_cast<T>(c.beta2),
                       static_cast<T>(c.eps), static_cast<T>(c.weight_decay), static_cast<T>(1 - c.lr * c.weight_decay),
                       c.maximize ? T(-1) : T(1), decoupled};
  T* m = buffer(s, "exp_avg", param).template data<T>();
  T* v = buffer(s, "exp_avg_sq", param).template data<T>();
  T* vmax = c.amsgrad ? buffer(s, "max_exp_avg_sq", param).template data<T>() : nullptr;
#ifdef NW_WITH_CUDA
  if (on_cuda(param)) return cuda::adam_update<T>(param.device().index, p, g, m, v, vmax, n, a);
#endif
  chunked(n, [&](int64_t o, int64_t k) { adam_loop<T>(p + o, g + o, m + o, v + o, vmax ? vmax + o : nullptr, k, a); });
}

template <typename T>
void rmsprop_update(const OptimizerConfig& c, T* p, const T* g, Optimizer::ParamState& s, const Tensor& param, int64_t n) {
  s.step += 1;
  optim::RmspropStep<T> a{static_cast<T>(c.lr), static_cast<T>(c.alpha), static_cast<T>(c.eps), static_cast<T>(c.weight_decay),
                          static_cast<T>(c.momentum), c.maximize ? T(-1) : T(1)};
  T* sq = buffer(s, "square_avg", param).template data<T>();
  T* ga = c.centered ? buffer(s, "grad_avg", param).template data<T>() : nullptr;
  T* buf = c.momentum > 0 ? buffer(s, "momentum_buffer", param).template data<T>() : nullptr;
#ifdef NW_WITH_CUDA
  if (on_cuda(param)) return cuda::rmsprop_update<T>(param.device().index, p, g, sq, ga, buf, n, a);
#endif
  chunked(n, [&](int64_t o, int64_t k) {
    rmsprop_loop<T>(p + o, g + o, sq + o, ga ? ga + o : nullptr, buf ? buf + o : nullptr, k, a);
  });
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, OptimizerConfig config)
    : params_(std::move(params)), config_(std::move(config)), state_(params_.size()) {
  const auto& k = config_.kind;
  NW_CHECK(k == "sgd" || k == "adam" || k == "adamw" || k == "rmsprop", "E_ARG",
           "unknown optimizer '" + k + "' (use sgd, adam, adamw or rmsprop)");
  NW_CHECK(config_.lr >= 0, "E_ARG", "learning rate must be >= 0, got " + std::to_string(config_.lr));
  NW_CHECK(!config_.nesterov || (config_.momentum > 0 && config_.dampening == 0), "E_ARG",
           "Nesterov momentum requires a momentum > 0 and zero dampening");
  NW_CHECK(config_.beta1 >= 0 && config_.beta1 < 1 && config_.beta2 >= 0 && config_.beta2 < 1, "E_ARG",
           "Adam betas must be in [0, 1)");
  for (const auto& p : params_) {
    NW_CHECK(p.is_contiguous() && is_floating(p.dtype()), "E_ARG", "optimizer parameters must be contiguous float tensors");
  }
}

void Optimizer::step() {
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    NW_CHECK(g.device() == p.device(), "E_DEVICE",
             "the gradient of a parameter is on " + g.device().str() + " but the parameter on " + p.device().str());
    Tensor gc = g.contiguous();
    if (gc.dtype() != p.dtype()) gc = to_dtype(gc, p.dtype());
    NW_DISPATCH_FLOAT(p.dtype(), "optimizer", [&] {
      using T = scalar_t;
      T* pp = p.data<T>();
      const T* pg = gc.data<T>();
      int64_t n = p.numel();
      if (config_.kind == "sgd") sgd_update<T>(config_, pp, pg, state_[i], p, n);
      else if (config_.kind == "adam") adam_update<T>(config_, false, pp, pg, state_[i], p, n);
      else if (config_.kind == "adamw") adam_update<T>(config_, true, pp, pg, state_[i], p, n);
      else rmsprop_update<T>(config_, pp, pg, state_[i], p, n);
    });
    if (config_.kind == "sgd") state_[i].step += 1;
    p.impl()->version++;
  }
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.set_grad(Tensor());
}

void Optimizer::set_state(size_t index, const ParamState& s) {
  NW_CHECK(index < state_.size(), "E_ARG", "optimizer state index " + std::to_string(index) + " is out of range");
  for (const auto& kv : s.buffers)
    NW_CHECK(kv.second.sizes() == params_[index].sizes(), "E_SHAPE",
             "optimizer state '" + kv.first + "' has shape " + shape_str(kv.second.sizes()) + " but the parameter has " +
                 shape_str(params_[index].sizes()));
  // Copied onto the parameter's device in its dtype, from wherever the state comes from
  // (a checkpoint read on the CPU loads into a cuda model and the other way round).
  const Tensor& param = params_[index];
  ParamState copy;
  copy.step = s.step;
  for (const auto& kv : s.buffers) {
    Tensor t = empty(param.sizes(), param.dtype(), param.device());
    copy_(t, kv.second);
    copy.buffers[kv.first] = t;
  }
  state_[index] = copy;
}

double l2_norm(const Tensor& t) {
#ifdef NW_WITH_CUDA
  if (on_cuda(t)) return std::sqrt(cuda::abs_pow_sums({t}, 2.0)[0]);
#endif
  Tensor c = t.contiguous();
  return NW_DISPATCH_FLOAT(c.dtype(), "norm", [&] {
    const scalar_t* p = c.data<scalar_t>();
    double acc = 0;
    for (int64_t i = 0, n = c.numel(); i < n; ++i) acc += static_cast<double>(p[i]) * p[i];
    return std::sqrt(acc);
  });
}

bool all_finite(const Tensor& t) {
#ifdef NW_WITH_CUDA
  if (on_cuda(t)) return cuda::first_nonfinite({t}) < 0;
#endif
  // Exponent bits all ones = inf or NaN; an integer test vectorises, a float sum would not.
  Tensor c = t.contiguous();
  if (c.dtype() == DType::Float32) {
    const uint32_t* p = reinterpret_cast<const uint32_t*>(c.raw_data());
    uint32_t bad = 0;
    for (int64_t i = 0, n = c.numel(); i < n; ++i) bad |= static_cast<uint32_t>((p[i] & 0x7f800000u) == 0x7f800000u);
    return bad == 0;
  }
  if (c.dtype() == DType::Float64) {
    const uint64_t* p = reinterpret_cast<const uint64_t*>(c.raw_data());
    uint64_t bad = 0;
    for (int64_t i = 0, n = c.numel(); i < n; ++i)
      bad |= static_cast<uint64_t>((p[i] & 0x7ff0000000000000ull) == 0x7ff0000000000000ull);
    return bad == 0;
  }
  return true;  // integer tensors are always finite
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  double total = 0;
  bool inf_norm = std::isinf(norm_type);
  // Gradients on a cuda device are reduced there (one read-back per device), those on the
  // CPU here; the parts combine like torch's per-device norms.
  std::vector<std::pair<Device, std::vector<Tensor>>> device_grads;
  for (const auto& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (on_cuda(g)) {
      auto it = std::find_if(device_grads.begin(), device_grads.end(), [&](const auto& e) { return e.first == g.device(); });
      if (it == device_grads.end()) device_grads.push_back({g.device(), {g}});
      else it->second.push_back(g);
      continue;
    }
    Tensor c = g.contiguous();
    NW_DISPATCH_FLOAT(c.dtype(), "clip_grad_norm", [&] {
      const scalar_t* pg = c.data<scalar_t>();
      for (int64_t i = 0, n = c.numel(); i < n; ++i) {
        double a = std::fabs(static_cast<double>(pg[i]));
        total = inf_norm ? std::max(total, a) : total + std::pow(a, norm_type);
      }
    });
  }
#ifdef NW_WITH_CUDA
  for (const auto& dg : device_grads) {
    for (const auto& g : dg.second)
      NW_CHECK(is_floating(g.dtype()), "E_DTYPE",
               std::string("clip_grad_norm needs a float32 or float64 tensor, got ") + dtype_name(g.dtype()));
    for (double part : cuda::abs_pow_sums(dg.second, norm_type)) total = inf_norm ? std::max(total, part) : total + part;
  }
#endif
  if (!inf_norm) total = std::pow(total, 1.0 / norm_type);
  double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) {
    for (const auto& p : params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      NW_DISPATCH_FLOAT(g.dtype(), "clip_grad_norm", [&] {
        // grads are contiguous: they come from backward or were cloned there
        Tensor c = g.contiguous();
        if (on_cuda(c)) {
#ifdef NW_WITH_CUDA
          cuda::scale_(c, coef);
#endif
        } else {
          scalar_t* pg = c.data<scalar_t>();
          for (int64_t i = 0, n = c.numel(); i < n; ++i) pg[i] = static_cast<scalar_t>(pg[i] * coef);
        }
        if (c.impl() != g.impl()) p.set_grad(c);
      });
    }
  }
  return total;
}

void clip_grad_value(const std::vector<Tensor>& params, double v) {
  for (const auto& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    Tensor c = g.contiguous();
    NW_DISPATCH_FLOAT(c.dtype(), "clip_grad_value", [&] {
      if (on_cuda(c)) {
#ifdef NW_WITH_CUDA
        cuda::clamp_(c, -v, v);
#endif
        return;
      }
      scalar_t* pg = c.data<scalar_t>();
      const scalar_t lo = static_cast<scalar_t>(-v), hi = static_cast<scalar_t>(v);
      for (int64_t i = 0, n = c.numel(); i < n; ++i) pg[i] = std::min(hi, std::max(lo, pg[i]));
    });
    if (c.impl() != g.impl()) p.set_grad(c);
  }
}

int64_t first_nonfinite(const std::vector<Tensor>& ts) {
#ifdef NW_WITH_CUDA
  // All on one cuda device: one read-back for the lot.
  if (!ts.empty() && on_cuda(ts[0]) &&
      std::all_of(ts.begin(), ts.end(), [&](const Tensor& t) { return t.device() == ts[0].device(); }))
    return cuda::first_nonfinite(ts);
#endif
  for (size_t i = 0; i < ts.size(); ++i)
    if (!all_finite(ts[i])) return static_cast<int64_t>(i);
  return -1;
}

std::vector<double> l2_norms(const std::vector<Tensor>& ts) {
  std::vector<double> out(ts.size(), 0.0);
#ifdef NW_WITH_CUDA
  if (!ts.empty() && on_cuda(ts[0]) &&
      std::all_of(ts.begin(), ts.end(), [&](const Tensor& t) { return t.device() == ts[0].device(); })) {
    std::vector<double> sums = cuda::abs_pow_sums(ts, 2.0);
    for (size_t i = 0; i < ts.size(); ++i) out[i] = std::sqrt(sums[i]);
    return out;
  }
#endif
  for (size_t i = 0; i < ts.size(); ++i) out[i] = l2_norm(ts[i]);
  return out;
}

std::vector<double> l2_distances(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  NW_CHECK(a.size() == b.size(), "E_INTERNAL", "l2_distances: lists of different lengths");
  std::vector<double> out(a.size(), 0.0);
#ifdef NW_WITH_CUDA
  if (!a.empty() && on_cuda(a[0])) {
    std::vector<double> sums = cuda::squared_distances(a, b);
    for (size_t i = 0; i < a.size(); ++i) out[i] = std::sqrt(sums[i]);
    return out;
  }
#endif
  for (size_t i = 0; i < a.size(); ++i) {
    NW_CHECK(a[i].device() == b[i].device() && a[i].sizes() == b[i].sizes() && a[i].dtype() == b[i].dtype(), "E_INTERNAL",
             "l2_distances: tensors differ in device, shape or dtype");
    NW_DISPATCH_FLOAT(a[i].dtype(), "update norm", [&] {
      Tensor x = a[i].contiguous(), y = b[i].contiguous();
      const scalar_t* px = x.data<scalar_t>();
      const scalar_t* py = y.data<scalar_t>();
      double acc = 0;
      for (int64_t k = 0, n = x.numel(); k < n; ++k) {
        const scalar_t d = px[k] - py[k];  // in the dtype, as ops::sub
        acc += static_cast<double>(d) * d;
      }
      out[i] = std::sqrt(acc);
    });
  }
  return out;
}

}  // namespace nw
