// Indexing ops: picking rows by integer index (index_select, embedding) and picking elements by a
// condition (masked_fill, where). All are differentiable in their float inputs; indices, ids,
// masks and conditions are not.
//
// The backward of a gather is a scatter-add: a row read twice gets both gradients. heed sums
// them in a fixed order whatever the thread count, so training runs are reproducible.
#pragma once

#include <optional>

#include "heed/core/tensor.h"

namespace heed::ops {

// The entries of x at `indices` (int64, 1-D, each in [0, x.size(dim))) along `dim`: x's shape
// with size indices.numel() in `dim`. Indices may repeat.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& indices);

// Rows of `weight` (V, D) float32 picked by `ids` (int64, any shape, each in [0, V)): the result
// has shape (*ids.shape, D). With padding_idx (negative counts from V), that row is read as usual
// but its gradient stays zero, as in PyTorch.
Tensor embedding(const Tensor& weight, const Tensor& ids, std::optional<int64_t> padding_idx = std::nullopt);

// x with `value` (which may be -infinity) wherever `mask` is nonzero. mask has any dtype and
// broadcasts to x's shape.
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value);

// a where `condition` (any dtype) is nonzero, b elsewhere; the three broadcast together.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

}  // namespace heed::ops
