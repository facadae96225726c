// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator, so every thread draws its own numbers from (key, counter) with
// no state to carry between kernels. The same constants and rounds as Random123 and
// cuRAND's Philox, so a (key, counter) pair gives the same four words everywhere.
#pragma once

#include <cstdint>

namespace nw::cuda {

struct PhiloxWords {
  uint32_t w[4];
};

__host__ __device__ inline uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// Four random 32-bit words for a 128-bit counter (ctr) under a 64-bit key.
__host__ __device__ inline PhiloxWords philox4x32_10(PhiloxWords ctr, uint64_t key64) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
  uint32_t k0 = static_cast<uint32_t>(key64), k1 = static_cast<uint32_t>(key64 >> 32);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    uint32_t hi0, hi1;
    const uint32_t lo0 = philox_mulhilo(kM0, ctr.w[0], &hi0);
    const uint32_t lo1 = philox_mulhilo(kM1, ctr.w[2], &hi1);
    ctr = PhiloxWords{{hi1 ^ ctr.w[1] ^ k0, lo1, hi0 ^ ctr.w[3] ^ k1, lo0}};
  }
  return ctr;
}

// The random stream of one op call: key = the generator's seed, the high counter half = a
// per-call offset, the low half = the draw's index (so draw i of a call is one Philox
// block, whatever thread computes it).
struct PhiloxStream {
  uint64_t seed = 0, offset = 0;
  __host__ __device__ PhiloxWords block(uint64_t index) const {
    PhiloxWords ctr{{static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), static_cast<uint32_t>(offset),
                     static_cast<uint32_t>(offset >> 32)}};
    return philox4x32_10(ctr, seed);
  }
  // 53 random bits (words 0 and 1 of the draw's block): the uniform u = bits * 2^-53 in
  // [0, 1), like Generator::uniform on the CPU.
  __host__ __device__ uint64_t bits53(uint64_t index) const {
    const PhiloxWords r = block(index);
    return ((static_cast<uint64_t>(r.w[0]) << 32) | r.w[1]) >> 11;
  }
  __host__ __device__ double uniform(uint64_t index) const {
    return static_cast<double>(bits53(index)) * (1.0 / 9007199254740992.0);
  }
};

}  // namespace nw::cuda
