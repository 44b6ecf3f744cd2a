// Shape ops: new views of the same data (reshape, transpose, slice, expand, ...) and the few ops that
// must copy (cat, stack, contiguous). All are differentiable.
//
// A view is a new Tensor over the input's Storage with its own shape, strides and offset, so it
// costs no copy, and a write into the base is seen through the view:
//   x = [[0, 1, 2],          transpose(x, 0, 1) has shape [3, 2] and strides [1, 3]:
//        [3, 4, 5]]          element (i, j) is storage[offset + i*1 + j*3]
// Views of views compose: each new view starts from its input's offset and strides.
//
// The backward of a view puts the gradient back in the input's layout: a reshape reshapes it back,
// a transpose transposes it back, a slice writes it into a zero tensor of the input's shape, and an
// expand sums it back (expand's backward is sum in reverse).
#pragma once

#include <vector>

#include "heed/core/tensor.h"

namespace heed::ops {

// The same elements, in row-major order, under `shape` (one size may be -1: inferred). A view when
// x's strides allow one (always for contiguous x), otherwise a dense copy.
Tensor reshape(const Tensor& x, Shape shape);
// Like reshape, but never copies: an error when x's strides cannot express `shape`.
Tensor view(const Tensor& x, Shape shape);

// Swaps two dims.
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
// Reorders every dim: output dim i is input dim dims[i].
Tensor permute(const Tensor& x, std::vector<int64_t> dims);

// Elements start, start+step, ... below end along `dim`, as Python's x[start:end:step]: negative
// indices count from the end and out-of-range bounds are clamped. step >= 1.
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// Elements [start, start+length) along `dim`; the range must lie inside the dim.
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// The entries at `index` along `dim` (negative counts from the end), without that dim: x[:, index]
// for dim 1. A view.
Tensor select(const Tensor& x, int64_t dim, int64_t index);

// A new size-1 dim at position `dim` (in [-x.dim()-1, x.dim()]).
Tensor unsqueeze(const Tensor& x, int64_t dim);
// Without every size-1 dim; without `dim` if it has size 1 (otherwise x's shape unchanged).
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
// Merges dims [start_dim, end_dim] into one.
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);

// x read as a tensor of `shape`: size-1 dims stretch and new leading dims appear, all with
// stride 0 (no copy). -1 keeps x's size in that dim.
Tensor expand(const Tensor& x, Shape shape);

// x itself if already dense row-major, else a dense copy.
Tensor contiguous(const Tensor& x);

// Joins tensors along an existing dim; every other size must match.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
// Joins tensors of one shape along a new dim at position `dim`.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
// Views of consecutive pieces of `split_size` along `dim` (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim);
// At most `chunks` views along `dim`, each of ceil(size / chunks) (the last may be smaller), as
// PyTorch: chunk(arange(6), 4) gives pieces of 2, 2, 2.
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim);

}  // namespace heed::ops
