// The model directory that heed translate and heed eval read, with a warning on standard error
// when its training run stopped early (its weights are those of an earlier step, or untrained):
//
//   heed: warning: runs/copy holds the weights of step 0 of 2000 (its training run stopped
//   early: untrained); continue it with heed train ... --resume --out runs/copy
#pragma once

#include <string>

#include "heed/train/translator.h"

namespace heed::cli {

train::Translator load_model(const std::string& dir);

}  // namespace heed::cli
