// Dropout's keep-or-drop draws, shared by ops::dropout and the attention kernel (ops/attention.cpp).
//
// Like every random draw in heed, the draw of counter c in stream `seed` is a function of (seed, c)
// alone, so any thread may compute any element and the mask never depends on the thread count. It
// uses a cheaper hash than core/random.h's 64-bit one: dropout draws one number per activation,
// every step, and a 32-bit hash vectorises (AVX2 has no 64-bit multiply). The counter's low 32 bits
// go through two rounds of a 32-bit mixer keyed by a 64-bit word drawn, with random_bits, from its
// high 32 bits: one key per 2³² counters.
#pragma once

#include <cstdint>

namespace heed::ops {

// factors[i] for i in [0, n): 1 / (1 − p) where the draw at counter first + i, a uniform number in
// [0, 1), is at least p (the element is kept); 0 where it is below p (dropped). p == 1 keeps nothing.
void dropout_factors(uint64_t seed, uint64_t first, float p, float* factors, int64_t n);

}  // namespace heed::ops
