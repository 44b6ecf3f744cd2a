// Comparisons with a scalar: the masks a model builds from token ids (padding is `ids == pad`)
// and the counts it derives from them (a row's length is its number of non-pad ids). Their
// outputs are int64 0/1 or counts; nothing here has a gradient.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// 1 where x == value, else 0: int64, x's shape. x is float32 or int64 (compared as double).
Tensor eq(const Tensor& x, double value);
// 1 where x != value, else 0.
Tensor ne(const Tensor& x, double value);
// The number of nonzero entries of x along `dim`: int64, x's shape without `dim`.
Tensor count_nonzero(const Tensor& x, int64_t dim);

}  // namespace heed::ops
