// Matrix products: matmul (2-D and batched) and linear (x Wᵀ + b). Both run on BLAS's sgemm;
// ops/matmul.cpp explains how transposed views and batches reach it without copies.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// The matrix product of the last two dims: a (..., M, K) x b (..., K, N) -> (..., M, N).
// The batch dims (...) broadcast as in NumPy:
//   (B, H, T, D) x (B, H, D, S) -> (B, H, T, S)      attention scores
//   (B, T, K)    x (K, N)       -> (B, T, N)         one matrix applied to every row
//   (M, K)       x (B, K, N)    -> (B, M, N)
// Both operands need at least 2 dims: unlike PyTorch, heed does not promote a 1-D vector to a
// matrix; reshape it to (1, n) or (n, 1) yourself.
Tensor matmul(const Tensor& a, const Tensor& b);

// y = x Wᵀ + b, as torch.nn.functional.linear: x (..., in), weight (out, in), bias (out) or
// undefined for none -> y (..., out).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace heed::ops
