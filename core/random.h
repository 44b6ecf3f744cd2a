// Random numbers, reproducible from one seed and independent of the thread count.
//
// heed's generator is counter-based: the k-th random 64-bit word of a stream is a hash of
// (seed, k). A random tensor of n elements reserves n consecutive counters, and element i is
// computed from counter start + i by whichever thread gets there, so the result never depends on
// how the work is split. The generator's whole state is (seed, next counter): easy to checkpoint.
#pragma once

#include <cstdint>

namespace heed {

struct GeneratorState {
  uint64_t seed = 0;
  uint64_t offset = 0;  // the next unused counter
};

// `count` consecutive counters of the stream `seed`, reserved for one random tensor: element i
// uses counter first + i.
struct CounterRange {
  uint64_t seed = 0;
  uint64_t first = 0;
};

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : state_{seed, 0} {}
  void manual_seed(uint64_t seed) { state_ = {seed, 0}; }
  // Reserves the next `count` counters.
  CounterRange reserve(uint64_t count) {
    const CounterRange range{state_.seed, state_.offset};
    state_.offset += count;
    return range;
  }
  uint64_t seed() const { return state_.seed; }
  GeneratorState state() const { return state_; }
  void set_state(GeneratorState state) { state_ = state; }

 private:
  GeneratorState state_;
};

// The generator that factories, dropout and initialisers draw from: the calling thread's own.
// Each thread has one, as each has its own grad mode, so two threads that train two models never
// share a counter: each run gives the bits it gives alone. A thread's generator starts at seed 0.
Generator& default_generator();

// Re-seeds the calling thread's default generator: the same seed gives the same random tensors.
void manual_seed(uint64_t seed);

// The random 64-bit word at `counter` of the stream `seed` (SplitMix64's finaliser applied twice).
inline uint64_t random_bits(uint64_t seed, uint64_t counter) {
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  return mix(mix(seed + 0x9E3779B97F4A7C15ULL) + counter * 0x9E3779B97F4A7C15ULL);
}

// A float uniform in [0, 1) from the top 24 bits of a random word.
inline float uniform_from_bits(uint64_t bits) {
  return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
}

}  // namespace heed
