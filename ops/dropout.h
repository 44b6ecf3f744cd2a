// Dropout: zeroes random elements while training, drawing from heed's counter-based generator.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// While training, keeps each element with probability 1 − p and scales it by 1 / (1 − p), so the
// expected value is unchanged; p == 1 gives zeros. Not training, or p == 0, returns x itself.
// The mask depends only on the generator's state (manual_seed), never on the thread count.
// p must lie in [0, 1].
Tensor dropout(const Tensor& x, float p, bool training);

}  // namespace heed::ops
