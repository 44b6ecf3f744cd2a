// Loss functions. cross_entropy fuses log-softmax, the negative log-likelihood and label smoothing
// into one pass over the logits.
#pragma once

#include <cstdint>

#include "heed/core/tensor.h"

namespace heed::ops {

// How per-target losses become the result: their mean over the counted targets, their sum, or
// none (one loss per target, shaped like the targets).
enum class Reduction { Mean, Sum, None };

struct CrossEntropyOptions {
  int64_t ignore_index = -100;   // targets equal to this (padding) add nothing, not even to the count
  float label_smoothing = 0.0f;  // ε: the target distribution is (1 − ε)·onehot + ε/C over all C classes
  Reduction reduction = Reduction::Mean;
};

// Cross-entropy between logits (..., C), classes last, and int64 targets (...) of the logits'
// leading shape, with PyTorch 1.13's semantics: per target t of a row,
//   loss = (1 − ε)·(−log p_t) + ε · mean_c(−log p_c),   p = softmax(logits row),
// ignored rows give 0, and Mean divides the sum by the number of targets that are not ignored.
// One difference: when every target is ignored, Mean returns 0 with a zero gradient, where PyTorch
// returns NaN (heed never returns a silent NaN). A target outside [0, C) that is not ignore_index
// is an error naming its position.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, CrossEntropyOptions options = {});

}  // namespace heed::ops
