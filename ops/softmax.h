// Softmax and log-softmax along one dim, numerically stable (the max is subtracted first), so
// logits of ±1e4 give exact probabilities of 0 and 1, never inf or NaN.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// y = exp(x) / Σ exp(x) along `dim` (negative dims count from the end). A slice whose every entry
// is −∞ (a fully masked row) gives zeros, where PyTorch gives NaN.
Tensor softmax(const Tensor& x, int64_t dim);

// y = x − log Σ exp(x) along `dim`: the log of softmax, without its rounding. A slice whose every
// entry is −∞ stays −∞.
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace heed::ops
