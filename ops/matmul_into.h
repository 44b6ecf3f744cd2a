// A matrix product written into a given tensor, for kernels in ops/ that place products in views
// of a larger buffer (attention writes each head's output into its columns of the (B, T, E) result
// and its gradients into their thirds of the packed (B, T, 3E) projection): no copy afterwards.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// out = a · b with matmul's shapes and broadcasting, written into out's memory without autograd.
// out must have the product's shape, float32, and a unit stride along its last dim (rows may lie
// any distance apart, as in a column slice); it must not overlap a or b.
void matmul_into(const Tensor& a, const Tensor& b, const Tensor& out);

}  // namespace heed::ops
