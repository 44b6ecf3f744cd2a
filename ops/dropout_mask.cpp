// Dropout's keep-or-drop draws: a vectorised 32-bit counter hash (see dropout_mask.h).
#include "heed/ops/dropout_mask.h"

#include <algorithm>

#include "heed/core/random.h"

namespace heed::ops {
namespace {

// "lowbias32" from Chris Wellons' hash prospector: a bijection of 32-bit words whose output bits
// each flip with probability close to 1/2 when any input bit flips.
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// Keeps the key words apart from the other draws of the same seed.
constexpr uint64_t kKeyStream = 0xD50F0A5E5EEDULL;
constexpr uint64_t kCountersPerKey = uint64_t{1} << 32;

}  // namespace

void dropout_factors(uint64_t seed, uint64_t first, float p, float* factors, int64_t n) {
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;  // p == 1 keeps nothing
  int64_t done = 0;
  while (done < n) {  // one run per key: the counters up to the next multiple of 2³²
    const uint64_t counter = first + static_cast<uint64_t>(done);
    const uint64_t key = random_bits(seed ^ kKeyStream, counter >> 32);
    const auto low = static_cast<uint32_t>(counter), key_low = static_cast<uint32_t>(key),
               key_high = static_cast<uint32_t>(key >> 32);
    const auto count = static_cast<int64_t>(std::min<uint64_t>(static_cast<uint64_t>(n - done), kCountersPerKey - low));
    float* out = factors + done;
#pragma omp simd
    for (int64_t i = 0; i < count; ++i) {
      const uint32_t bits = mix32(mix32((low + static_cast<uint32_t>(i)) ^ key_low) + key_high);
      // a uniform number in [0, 1) from the top 24 bits
      const float uniform = static_cast<float>(static_cast<int32_t>(bits >> 8)) * (1.0f / 16777216.0f);
      out[i] = uniform >= p ? scale : 0.0f;
    }
    done += count;
  }
}

}  // namespace heed::ops
