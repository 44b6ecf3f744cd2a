// Gradient clipping by global norm, as PyTorch 1.13's torch.nn.utils.clip_grad_norm_.
//
//   float norm = optim::clip_grad_norm(model.parameters(), 1.0f);
//
// The total norm is the L2 norm of all gradients together, √(Σ over parameters of ‖grad‖²).
// Every gradient is multiplied in place by max_norm / (total + 1e-6) when that is below 1, so the
// clipped total is just under max_norm. Parameters without a gradient are ignored.
#pragma once

#include <vector>

#include "heed/core/tensor.h"

namespace heed::optim {

// Returns the total norm before clipping (0 when no parameter has a gradient). A non-finite
// norm makes every gradient non-finite too, as in PyTorch: check the returned value to skip
// such a step.
float clip_grad_norm(const std::vector<Tensor>& parameters, float max_norm);

}  // namespace heed::optim
