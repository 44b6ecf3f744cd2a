// Reductions: sum, mean and max over dimensions, and sum_to (broadcasting's backward).
#pragma once

#include <vector>

#include "heed/core/tensor.h"

namespace heed::ops {

// Over every element: a tensor of shape [].
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);
Tensor max(const Tensor& x);

// Over the listed dims (negative dims count from the end). keepdim leaves them as size 1.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
// The largest value along one dim; its gradient flows to the first position holding it.
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);
// Positions of the largest values along `dim` (int64, not differentiable).
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);

// Sums a gradient of a broadcast shape back to `shape`, the shape of the input that was broadcast:
// leading dims that broadcasting added, and dims where `shape` has size 1, are summed away.
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace heed::ops
