// heed translate's and heed eval's model directory, and the warning for an unfinished run.
#include "load_model.h"

#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "heed/train/checkpoint.h"
#include "heed/train/model_dir.h"

namespace heed::cli {

train::Translator load_model(const std::string& dir) {
  train::Translator translator = train::load_model_dir(dir);
  const std::optional<train::TrainingProgress> progress = train::read_training_progress(dir);
  if (!progress || progress->finished()) return translator;
  const std::string next = train::checkpoint_steps(dir).empty()
                               ? "it has no checkpoint to resume from: train it again"
                               : fmt::format("continue it with heed train ... --resume --out {}", dir);
  fmt::print(stderr, "heed: warning: {} holds the weights of step {} of {} (its training run stopped early{}); {}\n",
             dir, progress->step, progress->steps, progress->step == 0 ? ": untrained" : "", next);
  return translator;
}

}  // namespace heed::cli
