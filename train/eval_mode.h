// train::EvalModeGuard: a module in evaluation mode for the guard's lifetime, then back in the
// mode it was in, even when an exception leaves the scope.
//
//   { train::EvalModeGuard eval_mode(model); /* decode, score */ }   // model.train() again if it was
#pragma once

#include "heed/nn/module.h"

namespace heed::train {

class EvalModeGuard {
 public:
  explicit EvalModeGuard(nn::Module& module) : module_(module), was_training_(module.is_training()) { module.eval(); }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  nn::Module& module_;
  bool was_training_;
};

}  // namespace heed::train
