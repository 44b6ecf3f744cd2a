// The model directory that heed translate and heed eval read, with a warning on standard error
// when its training run stopped early (its weights are those of an earlier step, or untrained):
//
//   heed: warning: runs/copy holds the weights of step 400 of 2000 (its training run stopped
//   early); continue it with heed train ... --resume --out runs/copy
//
// ("it has no checkpoint to resume from: train it again" where the folder holds no checkpoint).
#pragma once

#include <string>

#include "heed/train/translator.h"

namespace heed::cli {

train::Translator load_model(const std::string& dir);

}  // namespace heed::cli
