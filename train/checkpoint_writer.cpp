// CheckpointWriter: save, then prune to the latest `keep`.
#include "heed/train/checkpoint_writer.h"

#include "heed/core/atomic_file.h"
#include "heed/core/error.h"

namespace heed::train {

CheckpointWriter::CheckpointWriter(std::string dir, int64_t keep) : dir_(std::move(dir)), keep_(keep) {
  HEED_CHECK(keep_ >= 1, "CheckpointWriter", "keep must be at least 1 (got {})", keep_);
  check_writable_folder(dir_, "CheckpointWriter");  // fail now, not after the first hour of training
}

void CheckpointWriter::on_checkpoint(const Checkpoint& checkpoint) {
  const std::string path = checkpoint_path(dir_, checkpoint.step);
  save_checkpoint(checkpoint, path);
  last_path_ = path;
  last_step_ = checkpoint.step;
  prune_checkpoints(dir_, keep_);
}

}  // namespace heed::train
