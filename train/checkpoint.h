// train::Checkpoint: everything a training run needs to go on exactly where it stopped — the
// model's weights, the optimizer's and the schedule's state dicts, the default generator's state
// (dropout), the step, the position in the data order, the sums of the current log interval, the
// history so far and the options that must not change — in ONE safetensors file:
//
//   model.<name>, optimizer.<name>, schedule.<name>   the three state dicts, prefixed
//   __metadata__                                      {"format": "heed-checkpoint", "step": "120",
//                                                      "epoch": "3", "batch": "7", "rng_seed": ...,
//                                                      "rng_offset": ..., "interval": JSON,
//                                                      "history": JSON, "settings": JSON}
//
// nn::save writes it atomically (core/atomic_file.h: temporary file, fsync, rename), so a crash
// during a save leaves the previous checkpoint whole; checkpoint_steps ignores the temporaries a
// crash leaves, and the next save in the folder removes them. A model directory keeps the last few as checkpoint-<step>.safetensors
// beside config.json and the vocabularies (train/model_dir.h); CheckpointWriter writes them as
// train::Trainer produces checkpoints (train/trainer.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "heed/core/random.h"
#include "heed/nn/module.h"
#include "heed/train/history.h"

namespace heed::train {

// The sums of the updates since the last StepRecord (the next record averages over them).
struct TrainInterval {
  double loss_sum = 0;        // loss · target tokens
  int64_t target_tokens = 0;
  int64_t tokens = 0;         // source + target
  double train_seconds = 0;   // time spent in updates (validations excluded)
};

struct Checkpoint {
  nn::StateDict model = {}, optimizer = {}, schedule = {};
  GeneratorState rng = {};        // the default generator's, after update `step`
  int64_t step = 0;               // updates done
  int64_t epoch = 0;              // the next batch is batcher.epoch(epoch)[batch]
  int64_t batch = 0;
  TrainInterval interval = {};
  TrainHistory history = {};      // so far; its seconds is the time trained so far
  std::map<std::string, std::string> settings = {};  // the options a resumed run must share
  std::string source = {};        // the file load_checkpoint read it from ("" otherwise), for errors
};

// Writes `checkpoint` to `path` atomically; heed::Error naming the file on failure.
void save_checkpoint(const Checkpoint& checkpoint, const std::string& path);
// Reads a checkpoint; heed::Error naming the file and what is wrong (not a checkpoint, a missing
// or malformed field, a bad safetensors file).
Checkpoint load_checkpoint(const std::string& path);

// dir/checkpoint-<step>.safetensors
std::string checkpoint_path(const std::string& dir, int64_t step);
// The steps of the checkpoint files in `dir`, ascending (none if `dir` does not exist): the files
// named exactly as checkpoint_path names them; "checkpoint-007.safetensors" is not one.
std::vector<int64_t> checkpoint_steps(const std::string& dir);
// Removes every checkpoint file in `dir` but the `keep` latest.
void prune_checkpoints(const std::string& dir, int64_t keep);

}  // namespace heed::train
