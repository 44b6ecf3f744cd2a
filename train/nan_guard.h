// train::checked_loss and train::checked_backward: the trainer's guard against NaN and Inf.
//
// A loss that is NaN or Inf stops training with a heed::Error naming the update, before backward,
// the optimizer step or any write: the weights in memory and on disk keep their last finite
// values. With anomaly mode on (heed::set_detect_anomaly, heed train --detect-anomaly) the first op
// whose forward output or gradient went bad is found instead, and its report (op, module path,
// shapes) is returned the same way, prefixed with the update.
#pragma once

#include <cstdint>
#include <functional>

#include "heed/core/autograd.h"
#include "heed/core/tensor.h"

namespace heed::train {

// Runs `forward` (which returns update `update`'s loss) and returns the loss if it is finite.
Tensor checked_loss(int64_t update, const std::function<Tensor()>& forward);

// loss.backward(), with anomaly reports prefixed with the update; on_leaf_ready as in heed::backward.
void checked_backward(const Tensor& loss, int64_t update, const LeafGradReady& on_leaf_ready = {});

}  // namespace heed::train
