// Shapes, strides and the rules that relate them (row-major layout, broadcasting, dim wrapping).
//
// A tensor of shape [2, 3] stored row-major has strides [3, 1]: element (i, j) lives at
// offset + i*3 + j*1. Transposing swaps both lists; broadcasting gives a dimension stride 0.
#pragma once

#include <cstdint>
#include <vector>

namespace heed {

using Shape = std::vector<int64_t>;

// Product of the sizes: the element count of a tensor of this shape (1 for a scalar, shape []).
int64_t numel(const Shape& shape);

// Row-major strides of a dense tensor of this shape: [2, 3, 4] -> [12, 4, 1].
Shape contiguous_strides(const Shape& shape);

// The multi-index of the element at row-major position `flat` of `shape`: 5 in [2, 3] -> [1, 2].
Shape unravel_index(int64_t flat, const Shape& shape);

// Wraps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

// NumPy broadcasting: align from the right; each pair of sizes must be equal or one of them 1.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Strides that read a tensor of (shape, strides) as if it had the broadcast shape `target`:
// new leading dims and size-1 dims that are stretched get stride 0.
Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target);

}  // namespace heed
