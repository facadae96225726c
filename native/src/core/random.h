// Random numbers: one generator per device, seeded by manual_seed. The same seed
// gives the same numbers on the same build (mt19937_64 streams; normal samples
// by Box-Muller in double precision).
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "tensor.h"

namespace nw {

class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) { manual_seed(seed); }
  void manual_seed(uint64_t seed);
  uint64_t seed() const { return seed_; }
  double uniform();  // [0, 1)
  double normal();   // N(0, 1)
  uint64_t next_u64() { return engine_(); }
  // Full state, for resume checkpoints.
  std::string get_state() const;
  void set_state(const std::string& state);

 private:
  std::mt19937_64 engine_;
  uint64_t seed_ = 0;
  bool has_spare_ = false;
  double spare_ = 0;
};

Generator& default_generator(Device device = {});
void manual_seed(uint64_t seed);  // all devices

Tensor rand(const Shape& shape, DType dtype = DType::Float32, Generator* gen = nullptr);
Tensor randn(const Shape& shape, DType dtype = DType::Float32, Generator* gen = nullptr);
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = DType::Int64, Generator* gen = nullptr);
void uniform_(const Tensor& t, double lo, double hi, Generator* gen = nullptr);
void normal_(const Tensor& t, double mean, double std, Generator* gen = nullptr);
Tensor randperm(int64_t n, Generator* gen = nullptr);

}  // namespace nw
