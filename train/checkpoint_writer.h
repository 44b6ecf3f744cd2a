// train::CheckpointWriter: a TrainObserver that saves each checkpoint train::Trainer makes as
// dir/checkpoint-<step>.safetensors (train/checkpoint.h) and then removes all but the `keep`
// latest. The new file is complete on disk before any older one goes.
//
//   train::CheckpointWriter checkpoints("out/", 2);
//   trainer.add_observer(checkpoints);
#pragma once

#include <cstdint>
#include <string>

#include "heed/train/trainer.h"

namespace heed::train {

class CheckpointWriter : public TrainObserver {
 public:
  // `dir` must exist and take new files (checked here: heed::Error otherwise); keep >= 1.
  CheckpointWriter(std::string dir, int64_t keep);

  void on_checkpoint(const Checkpoint& checkpoint) override;

  // The file and step of the latest checkpoint written ("" and -1 before the first).
  const std::string& last_path() const { return last_path_; }
  int64_t last_step() const { return last_step_; }

 private:
  std::string dir_;
  int64_t keep_;
  std::string last_path_;
  int64_t last_step_ = -1;
};

}  // namespace heed::train
