// Generators and random tensor creation.
#include "random.h"

#include <cmath>
#include <sstream>

#include "iter.h"

namespace nw {

void Generator::manual_seed(uint64_t seed) {
  seed_ = seed;
  engine_.seed(seed);
  has_spare_ = false;
}

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  double r = std::sqrt(-2.0 * std::log(u1)), th = 6.283185307179586 * u2;
  spare_ = r * std::sin(th);
  has_spare_ = true;
  return r * std::cos(th);
}

std::string Generator::get_state() const {
  std::ostringstream os;
  os << seed_ << ' ' << has_spare_ << ' ' << std::hexfloat << spare_ << ' ' << engine_;
  return os.str();
}

void Generator::set_state(const std::string& state) {
  std::istringstream is(state);
  is >> seed_ >> has_spare_ >> std::hexfloat >> spare_ >> engine_;
  NW_CHECK(!is.fail(), "E_ARG", "invalid generator state; was it written by this version of Netwright?");
}

Generator& default_generator(Device device) {
  static Generator cpu;
  static Generator cuda[16];
  if (device.type == DeviceType::CUDA) return cuda[device.index & 15];
  return cpu;
}

void manual_seed(uint64_t seed) {
  default_generator().manual_seed(seed);
  for (int i = 0; i < 16; ++i) default_generator(Device{DeviceType::CUDA, i}).manual_seed(seed);
}

template <typename F>
static void fill_each(const Tensor& t, F f) {
  NW_DISPATCH_ALL(t.dtype(), [&] {
    scalar_t* base = static_cast<scalar_t*>(t.impl()->storage->data);
    strided_loop<1>(t.sizes(), {t.strides()}, {t.offset()},
                    [&](const std::array<int64_t, 1>& o, const std::array<int64_t, 1>& s, int64_t n) {
                      for (int64_t i = 0; i < n; ++i) base[o[0] + i * s[0]] = static_cast<scalar_t>(f());
                    });
  });
  t.impl()->version++;
}

void uniform_(const Tensor& t, double lo, double hi, Generator* gen) {
  Generator& g = gen ? *gen : default_generator(t.device());
  fill_each(t, [&] { return lo + (hi - lo) * g.uniform(); });
}

void normal_(const Tensor& t, double mean, double std, Generator* gen) {
  Generator& g = gen ? *gen : default_generator(t.device());
  fill_each(t, [&] { return mean + std * g.normal(); });
}

Tensor rand(const Shape& shape, DType dtype, Generator* gen) {
  NW_CHECK(is_floating(dtype), "E_DTYPE", "rand needs a floating point dtype");
  Tensor t = empty(shape, dtype);
  uniform_(t, 0.0, 1.0, gen);
  return t;
}

Tensor randn(const Shape& shape, DType dtype, Generator* gen) {
  NW_CHECK(is_floating(dtype), "E_DTYPE", "randn needs a floating point dtype");
  Tensor t = empty(shape, dtype);
  normal_(t, 0.0, 1.0, gen);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* gen) {
  NW_CHECK(high > low, "E_ARG", "randint needs high > low, got low=" + std::to_string(low) + " high=" + std::to_string(high));
  Generator& g = gen ? *gen : default_generator();
  Tensor t = empty(shape, dtype);
  uint64_t range = static_cast<uint64_t>(high - low);
  fill_each(t, [&] { return static_cast<double>(low + static_cast<int64_t>(g.next_u64() % range)); });
  return t;
}

Tensor randperm(int64_t n, Generator* gen) {
  Generator& g = gen ? *gen : default_generator();
  Tensor t = empty({n}, DType::Int64);
  int64_t* p = t.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(g.next_u64() % static_cast<uint64_t>(i + 1));
    std::swap(p[i], p[j]);
  }
  return t;
}

}  // namespace nw
