// The few raw kernels core/ itself needs (the backward engine sums gradients, factories fill).
// No autograd here: these work on data only. Differentiable versions live in ops/.
#pragma once

#include "heed/core/tensor.h"

namespace heed {

// A dense row-major copy of any (strided) tensor.
Tensor contiguous_copy(const Tensor& source);

// `t` itself when it is already dense, else a dense copy: for kernels that want plain arrays.
inline Tensor dense(const Tensor& t) { return t.is_contiguous() ? t : contiguous_copy(t); }

// destination = source, elementwise: one shape and dtype; destination may be any non-overlapping
// view. Runs that are contiguous on both sides are copied with memcpy.
void copy_into(const Tensor& destination, const Tensor& source);

// destination += source, elementwise; both float32 of one shape. destination may be any
// non-overlapping view (say, a slice of a running gradient sum).
void add_into(Tensor& destination, const Tensor& source);

// Every element of a dense tensor set to `value`.
void fill(Tensor& destination, double value);

}  // namespace heed
