// train::checked_loss and train::checked_backward: a NaN or Inf loss stops training before any update.
#include "heed/train/nan_guard.h"

#include <cmath>

#include "heed/core/anomaly.h"
#include "heed/core/autograd.h"

namespace heed::train {
namespace {

[[noreturn]] void rethrow_at(int64_t update, const AnomalyError& error) {
  throw AnomalyError(fmt::format("Trainer::fit: update {}: training stopped before the optimizer step: {}", update,
                                 error.what()));
}

}  // namespace

Tensor checked_loss(int64_t update, const std::function<Tensor()>& forward) {
  Tensor loss;
  try {
    loss = forward();
  } catch (const AnomalyError& error) {
    rethrow_at(update, error);
  }
  const float value = loss.item();
  HEED_CHECK(std::isfinite(value), "Trainer::fit",
             "update {}: the loss is {}; training stopped before the optimizer step, so the weights keep their "
             "values from update {}{}",
             update, value, update - 1,
             detect_anomaly() ? "" : " (rerun with heed train --detect-anomaly, or heed::set_detect_anomaly(true), "
                                     "to find the op that produced it)");
  return loss;
}

void checked_backward(const Tensor& loss, int64_t update, const LeafGradReady& on_leaf_ready) {
  try {
    backward(loss, Tensor(), false, on_leaf_ready);
  } catch (const AnomalyError& error) {
    rethrow_at(update, error);
  }
}

}  // namespace heed::train
