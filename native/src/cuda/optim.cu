// Training on CUDA: the optimizers' fused per-parameter updates (optim/update_rules.h,
// the CPU loops' own rules: torch.optim 1.13 single-tensor path), and the reductions
// a train step needs — gradient/weight norms for clip_grad_norm_ and statistics,
// non-finite checks, clip_grad_value_, and the correct-prediction count — each read back
// with one synchronisation.
#include <cmath>
#include <type_traits>

#include "cuda/common.cuh"

namespace nw::cuda {

// ---------------------------------------------------------------- optimizer updates

template <typename T>
void sgd_update(int device, T* p, const T* g, T* buf, int64_t n, optim::SgdStep<T> a) {
  DeviceGuard guard(device);
  launch(device, n, [=] __device__(int64_t i) { optim::sgd_element(i, p, g, buf, a); });
}

template <typename T>
void adam_update(int device, T* p, const T* g, T* m, T* v, T* vmax, int64_t n, optim::AdamStep<T> a) {
  DeviceGuard guard(device);
  launch(device, n, [=] __device__(int64_t i) { optim::adam_element(i, p, g, m, v, vmax, a); });
}

template <typename T>
void rmsprop_update(int device, T* p, const T* g, T* sq, T* ga, T* buf, int64_t n, optim::RmspropStep<T> a) {
  DeviceGuard guard(device);
  launch(device, n, [=] __device__(int64_t i) { optim::rmsprop_element(i, p, g, sq, ga, buf, a); });
}

template void sgd_update<float>(int, float*, const float*, float*, int64_t, optim::SgdStep<float>);
template void sgd_update<double>(int, double*, const double*, double*, int64_t, optim::SgdStep<double>);
template void adam_update<float>(int, float*, const float*, float*, float*, float*, int64_t, optim::AdamStep<float>);
template void adam_update<double>(int, double*, const double*, double*, double*, double*, int64_t,
                                  optim::AdamStep<double>);
template void rmsprop_update<float>(int, float*, const float*, float*, float*, float*, int64_t,
                                    optim::RmspropStep<float>);
template void rmsprop_update<double>(int, double*, const double*, double*, double*, double*, int64_t,
                                     optim::RmspropStep<double>);

// ---------------------------------------------------------------- reductions

namespace {

// Each tensor is reduced by at most kMaxBlocks blocks into its own row of kMaxBlocks
// partials (zeroed first; 0 is neutral for sums and for maxima of |x|), then one block
// per tensor folds its row. The work split depends only on the sizes, so the result is
// the same on every run.
constexpr int kRedThreads = 256;
constexpr int kMaxBlocks = 1024;

unsigned reduce_blocks(int64_t n) {
  int64_t b = (n + kRedThreads * 4 - 1) / (kRedThreads * 4);
  if (b < 1) b = 1;
  return static_cast<unsigned>(b > kMaxBlocks ? kMaxBlocks : b);
}

enum class Fold { Sum, Max };

// How |x| enters the accumulator: |x|, x*x, |x|^p, or the running max of |x|.
enum Mode : int { kAbs = 0, kSquare = 1, kPow = 2, kMaxAbs = 3 };

template <typename T, int M>
__global__ void abs_pow_partial(const T* base, Indexer ix, int64_t n, double p, double* row) {
  double acc = 0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const double a = fabs(static_cast<double>(base[ix.at(i)]));
    if (M == kAbs) acc += a;
    else if (M == kSquare) acc += a * a;
    else if (M == kPow) acc += pow(a, p);
    else acc = a > acc ? a : acc;  // a NaN never compares greater: ignored, as std::max(total, NaN) keeps total
  }
  const double r = M == kMaxAbs ? block_max(acc) : block_sum(acc);
  if (threadIdx.x == 0) row[blockIdx.x] = r;
}

template <typename T>
__global__ void squared_distance_partial(const T* pa, Indexer ia, const T* pb, Indexer ib, int64_t n, double* row) {
  double acc = 0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T d = pa[ia.at(i)] - pb[ib.at(i)];  // in the tensors' dtype, like ops::sub
    acc += static_cast<double>(d) * static_cast<double>(d);
  }
  const double r = block_sum(acc);
  if (threadIdx.x == 0) row[blockIdx.x] = r;
}

__global__ void fold_rows(const double* partials, int fold_max, double* out) {
  const double* row = partials + static_cast<int64_t>(blockIdx.x) * kMaxBlocks;
  double acc = 0;
  for (int i = threadIdx.x; i < kMaxBlocks; i += blockDim.x) {
    const double v = row[i];
    if (fold_max) acc = v > acc ? v : acc;
    else acc += v;
  }
  const double r = fold_max ? block_max(acc) : block_sum(acc);
  if (threadIdx.x == 0) out[blockIdx.x] = r;
}

// Runs `partial(i, row_pointer)` for each of `count` tensors, folds the rows and reads the
// results back (one synchronisation).
template <typename F>
std::vector<double> reduce_rows(int device, size_t count, Fold fold, F partial) {
  std::vector<double> out(count, 0.0);
  if (count == 0) return out;
  DeviceGuard guard(device);
  const Device d{DeviceType::CUDA, device};
  Tensor partials = zeros({static_cast<int64_t>(count) * kMaxBlocks}, DType::Float64, d);
  Tensor results = empty({static_cast<int64_t>(count)}, DType::Float64, d);
  double* rows = partials.data<double>();
  for (size_t i = 0; i < count; ++i) partial(i, rows + static_cast<int64_t>(i) * kMaxBlocks);
  fold_rows<<<static_cast<unsigned>(count), kRedThreads, 0, stream(device)>>>(rows, fold == Fold::Max ? 1 : 0,
                                                                              results.data<double>());
  NW_CUDA_LAUNCHED();
  download(out.data(), results.data<double>(), count * sizeof(double), device);
  return out;
}

int common_device(const std::vector<Tensor>& ts, const char* what) {
  NW_CHECK(!ts.empty(), "E_INTERNAL", std::string(what) + ": no tensors");
  const Device d = ts[0].device();
  for (const auto& t : ts)
    NW_CHECK(t.device() == d && d.type == DeviceType::CUDA, "E_DEVICE",
             std::string(what) + ": the tensors are on different devices (" + d.str() + " and " + t.device().str() +
                 "); move them to one device");
  return d.index;
}

}  // namespace

std::vector<double> abs_pow_sums(const std::vector<Tensor>& ts, double p) {
  if (ts.empty()) return {};
  const int device = common_device(ts, "norm");
  const bool inf = std::isinf(p);
  const int mode = inf ? kMaxAbs : p == 1.0 ? kAbs : p == 2.0 ? kSquare : kPow;
  return reduce_rows(device, ts.size(), inf ? Fold::Max : Fold::Sum, [&](size_t i, double* row) {
    const Tensor& t = ts[i];
    const int64_t n = t.numel();
    if (n == 0) return;
    NW_DISPATCH_FLOAT(t.dtype(), "norm", [&] {
      const scalar_t* base = base_ptr<const scalar_t>(t);
      const Indexer ix = indexer(t);
      const unsigned blocks = reduce_blocks(n);
      cudaStream_t s = stream(device);
      switch (mode) {
        case kAbs: abs_pow_partial<scalar_t, kAbs><<<blocks, kRedThreads, 0, s>>>(base, ix, n, p, row); break;
        case kSquare: abs_pow_partial<scalar_t, kSquare><<<blocks, kRedThreads, 0, s>>>(base, ix, n, p, row); break;
        case kPow: abs_pow_partial<scalar_t, kPow><<<blocks, kRedThreads, 0, s>>>(base, ix, n, p, row); break;
        default: abs_pow_partial<scalar_t, kMaxAbs><<<blocks, kRedThreads, 0, s>>>(base, ix, n, p, row); break;
      }
      NW_CUDA_LAUNCHED();
    });
  });
}

std::vector<double> squared_distances(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  NW_CHECK(a.size() == b.size(), "E_INTERNAL", "squared_distances: lists of different lengths");
  if (a.empty()) return {};
  std::vector<Tensor> all(a);
  all.insert(all.end(), b.begin(), b.end());
  const int device = common_device(all, "update norm");
  return reduce_rows(device, a.size(), Fold::Sum, [&](size_t i, double* row) {
    const Tensor& x = a[i];
    const Tensor& y = b[i];
    NW_CHECK(x.sizes() == y.sizes() && x.dtype() == y.dtype(), "E_INTERNAL", "squared_distances: tensors differ in shape or dtype");
    const int64_t n = x.numel();
    if (n == 0) return;
    NW_DISPATCH_FLOAT(x.dtype(), "update norm", [&] {
      squared_distance_partial<scalar_t><<<reduce_blocks(n), kRedThreads, 0, stream(device)>>>(
          base_ptr<const scalar_t>(x), indexer(x), base_ptr<const scalar_t>(y), indexer(y), n, row);
      NW_CUDA_LAUNCHED();
    });
  });
}

int64_t first_nonfinite(const std::vector<Tensor>& ts) {
  if (ts.empty()) return -1;
  const int device = common_device(ts, "non-finite check");
  DeviceGuard guard(device);
  const int64_t count = static_cast<int64_t>(ts.size());
  Tensor flags = zeros({count}, DType::Int32, Device{DeviceType::CUDA, device});
  int32_t* pf = flags.data<int32_t>();
  for (int64_t k = 0; k < count; ++k) {
    const Tensor& t = ts[k];
    if (!is_floating(t.dtype())) continue;  // integer tensors are always finite
    NW_DISPATCH_FLOAT(t.dtype(), "non-finite check", [&] {
      const scalar_t* base = base_ptr<const scalar_t>(t);
      const Indexer ix = indexer(t);
      int32_t* flag = pf + k;
      // Every writer stores the same 1: the race is benign.
      launch(device, t.numel(), [=] __device__(int64_t i) {
        if (!isfinite(base[ix.at(i)])) *flag = 1;
      });
    });
  }
  std::vector<int32_t> host(static_cast<size_t>(count), 0);
  download(host.data(), pf, host.size() * sizeof(int32_t), device);
  for (int64_t k = 0; k < count; ++k)
    if (host[k]) return k;
  return -1;
}

void scale_(const Tensor& t, double factor) {
  NW_CHECK(t.is_contiguous(), "E_INTERNAL", "scale_ needs a contiguous tensor");
  DeviceGuard guard(dev(t));
  NW_DISPATCH_FLOAT(t.dtype(), "clip_grad_norm", [&] {
    scalar_t* p = t.data<scalar_t>();
    launch(dev(t), t.numel(), [=] __device__(int64_t i) { p[i] = static_cast<scalar_t>(p[i] * factor); });
  });
}

void clamp_(const Tensor& t, double lo, double hi) {
  NW_CHECK(t.is_contiguous(), "E_INTERNAL", "clamp_ needs a contiguous tensor");
  DeviceGuard guard(dev(t));
  NW_DISPATCH_FLOAT(t.dtype(), "clip_grad_value", [&] {
    scalar_t* p = t.data<scalar_t>();
    const scalar_t l = static_cast<scalar_t>(lo), h = static_cast<scalar_t>(hi);
    launch(dev(t), t.numel(), [=] __device__(int64_t i) {
      const scalar_t x = p[i];
      const scalar_t y = (l < x) ? x : l;  // std::max(lo, x)
      p[i] = (y < h) ? y : h;              // std::min(hi, y)
    });
  });
}

namespace {

template <typename T>
__global__ void count_argmax_kernel(const T* lb, int64_t loff, int64_t ls0, int64_t ls1, int64_t rows, int64_t cols,
                                    const int64_t* tb, int64_t toff, int64_t ts0, unsigned long long* count) {
  unsigned long long local = 0;
  for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; r < rows;
       r += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T* row = lb + loff + r * ls0;
    int64_t best = 0;
    for (int64_t i = 1; i < cols; ++i) {
      const T vb = row[best * ls1], vi = row[i * ls1];
      if constexpr (std::is_floating_point_v<T>) {
        if (isnan(vb)) break;  // the first NaN is the maximum
        if (isnan(vi)) {
          best = i;
          break;
        }
      }
      if (vi > vb) best = i;  // the first of equal maxima
    }
    local += best == tb[toff + r * ts0] ? 1ull : 0ull;
  }
  const unsigned long long total = block_sum(local);
  if (threadIdx.x == 0 && total) atomicAdd(count, total);
}

}  // namespace

int64_t count_argmax_equal(const Tensor& logits, const Tensor& target) {
  NW_CHECK(logits.dim() == 2 && target.dim() == 1 && logits.sizes()[0] == target.sizes()[0] &&
               target.dtype() == DType::Int64,
           "E_INTERNAL", "count_argmax_equal needs logits [N, C] and int64 targets [N]");
  NW_CHECK(logits.device() == target.device(), "E_DEVICE",
           "the logits are on " + logits.device().str() + " but the targets on " + target.device().str());
  const int64_t rows = logits.sizes()[0], cols = logits.sizes()[1];
  if (rows == 0) return 0;
  NW_CHECK(cols > 0, "E_SHAPE", "max of an empty tensor has no identity; check the input shape " + shape_str(logits.sizes()));
  const int device = dev(logits);
  DeviceGuard guard(device);
  Tensor count = zeros({1}, DType::Int64, logits.device());
  auto* pc = reinterpret_cast<unsigned long long*>(count.data<int64_t>());
  NW_DISPATCH_ALL(logits.dtype(), [&] {
    count_argmax_kernel<scalar_t><<<blocks_for(rows), kThreads, 0, stream(device)>>>(
        base_ptr<const scalar_t>(logits), logits.offset(), logits.strides()[0], logits.strides()[1], rows, cols,
        base_ptr<const int64_t>(target), target.offset(), target.strides()[0], pc);
    NW_CUDA_LAUNCHED();
  });
  int64_t host = 0;
  download(&host, count.data<int64_t>(), sizeof(int64_t), device);
  return host;
}

}  // namespace nw::cuda
