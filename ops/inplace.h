// In-place ops: write into an existing tensor instead of making a new one (optimizers, masks).
//
// Autograd does not record them. So they refuse, under grad mode, a tensor that requires grad: a
// parameter must be updated inside a NoGradGuard, as optimizers do. Every in-place write bumps the
// storage's version; a tensor saved for backward that is overwritten this way (say, through a
// detached alias) makes backward stop with an error instead of using the new values.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// x = value everywhere; x = 0 everywhere.
Tensor& fill_(Tensor& x, float value);
Tensor& zero_(Tensor& x);
// x += alpha * y, with y broadcast to x's shape.
Tensor& add_(Tensor& x, const Tensor& y, float alpha = 1.0f);
// x *= s.
Tensor& mul_(Tensor& x, float s);
// x = y, with y broadcast to x's shape.
Tensor& copy_(Tensor& x, const Tensor& y);

}  // namespace heed::ops
