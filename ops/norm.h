// Normalisation layers as fused ops: layer_norm (forward and analytic backward in one kernel each).
// The derivation of the backward is written out in ops/norm.cpp.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// Layer normalisation over the last dims, as torch.nn.functional.layer_norm:
//   y = (x − mean) / sqrt(var + eps) · weight + bias
// with mean and (biased) var taken over the trailing `normalized_shape` dims of x, e.g. x (B, T, C)
// and normalized_shape {C}. weight and bias have shape normalized_shape; either may be undefined
// (as if weight were 1 and bias 0).
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), float eps = 1e-5f);

}  // namespace heed::ops
