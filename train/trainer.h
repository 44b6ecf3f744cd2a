// train::Trainer: the training loop for translation models.
//
//   train::Trainer trainer(translator, {.steps = 2000, .lr = 1e-3, .warmup = 200});
//   trainer.add_observer(progress);                        // e.g. train::ProgressPrinter
//   train::TrainHistory history = trainer.fit(train_pairs, valid_pairs);
//
// Each update: the next batch of about max_tokens tokens (data::Batcher, epoch after epoch, each
// shuffled from the seed) -> model.forward(src, tgt_in) -> cross-entropy against tgt_out with
// padding ignored and label smoothing -> backward -> gradient clipping -> AdamW step -> learning
// rate schedule. Every log_every updates a StepRecord; every eval_every updates (and after the
// last) a validation: teacher-forced loss and perplexity on the validation pairs, BLEU, exact match
// and token accuracy of the first eval_sentences decoded, and two sample translations.
//
// The learning rate `lr` is the peak rate, reached at update `warmup`, in both schedules:
//   InverseSqrt   linear warmup, then lr·√(warmup / n): Noam's schedule ("Attention Is All You
//                 Need", eq. 3) scaled to peak at lr (optim::NoamSchedule)
//   WarmupCosine  linear warmup, then half a cosine down to min_lr at the last update
// Training is deterministic given `seed`: the model's initial weights come from whoever built it
// (call manual_seed(seed) before), and fit() re-seeds the generator for dropout and the batches.
// A non-finite gradient norm stops training with a heed::Error (lower the learning rate).
//
// Checkpoints and exact resume (train/checkpoint.h): every checkpoint_every updates, after the
// last and when stopped, observers get a Checkpoint (train::CheckpointWriter saves them).
// fit(train, valid, &checkpoint) goes on from one: with the same options and data, a run stopped
// and resumed gives bit for bit the losses and weights of a run that never stopped. stop_on(flag)
// makes fit() check the flag between updates (a signal handler may set it): once set, fit()
// makes a checkpoint, calls on_end and returns the history with `stopped` set.
//
// Data-parallel training (train/replicas.h): distribute(group) on every rank of a ReplicaGroup
// of N ranks, each having built the same model. fit() checks that the replicas match, copies rank
// 0's weights to all, and then every rank walks the same global batches; rank r trains on its
// shard of each batch's sentence pairs (shard_rows) with the loss (sum of its tokens' losses) /
// (the batch's target tokens), so the sum of the ranks' gradients is the batch's gradient. The
// group sums them; every rank clips by the same global norm and takes the same AdamW step. Only
// rank 0 validates and calls observers (add them there only); records and checkpoints hold the
// global loss and data position, so a run resumes with any number of ranks. Dropout draws from
// rank_seed(seed, r) on rank r, so with dropout N ranks do not reproduce one process bit for bit
// (rank r masks its rows with its own stream); without dropout they agree up to the summation order
// of the split batch. A heed::Error on any rank after the model check ends the job (group.abort).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "heed/train/checkpoint.h"
#include "heed/train/history.h"
#include "heed/train/replicas.h"
#include "heed/train/translator.h"

namespace heed::train {

enum class LrSchedule { InverseSqrt, WarmupCosine };

struct TrainOptions {
  int64_t steps = 1000;                     // optimizer updates
  int64_t max_tokens = 2048;                // padded source + target tokens per batch
  float lr = 1e-3f;                         // peak learning rate
  int64_t warmup = 200;                     // updates to reach it
  LrSchedule schedule = LrSchedule::InverseSqrt;
  float min_lr = 0;                         // WarmupCosine: the final rate
  std::array<float, 2> betas = {0.9f, 0.98f};
  float eps = 1e-9f;
  float weight_decay = 0;                   // AdamW's decoupled decay
  float label_smoothing = 0.1f;
  float clip_norm = 1.0f;                   // largest gradient norm; 0: no clipping
  int64_t log_every = 50;                   // updates between StepRecords
  int64_t eval_every = 0;                   // updates between validations; 0: only after the last
  int64_t eval_sentences = 200;             // validation sentences decoded for BLEU; 0: all
  models::DecodeOptions eval_decode = {};   // decoding for validation (beam_size, ...)
  int64_t checkpoint_every = 0;             // updates between checkpoints; 0: only after the last
  uint64_t seed = 1;
};

// Checks every option; heed::Error naming the first bad one.
void validate(const TrainOptions& options);
// The options a resumed run must share with the run that made its checkpoint, as name -> value
// (steps only with the cosine schedule, which depends on it; logging and validation may change).
std::map<std::string, std::string> resume_settings(const TrainOptions& options);

// Notified as training goes; every method is optional. Observers are called in the order added.
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  virtual void on_start(const TrainOptions& /*options*/, int64_t /*train_pairs*/) {}
  // After every update: the StepRecord of the updates since the last logged one (for live displays).
  virtual void on_step(const StepRecord& /*running*/) {}
  // Every log_every updates, and after the last: the record kept in the history.
  virtual void on_log(const StepRecord& /*record*/) {}
  virtual void on_validation(const ValidationRecord& /*record*/, const TrainHistory& /*so_far*/) {}
  // Every checkpoint_every updates, when stopped and after the last update. The state dicts share
  // storage with the model and optimizer: save or copy them before returning.
  virtual void on_checkpoint(const Checkpoint& /*checkpoint*/) {}
  virtual void on_end(const TrainHistory& /*history*/) {}
};

class Trainer {
 public:
  // The translator's model is trained in place; translator must outlive the trainer.
  Trainer(const Translator& translator, TrainOptions options);

  void add_observer(TrainObserver& observer) { observers_.push_back(&observer); }
  const TrainOptions& options() const { return options_; }

  // fit() stops at the first update boundary after `flag` becomes true; flag must outlive fit().
  void stop_on(const std::atomic<bool>& flag) { stop_flag_ = &flag; }

  // Trains as one rank of `group` (see above); group must outlive fit(). In a group, the stop
  // flag is read collectively: the run stops when any rank's flag is set.
  void distribute(ReplicaGroup& group) { replicas_ = &group; }

  // Trains up to options.steps updates on `train`, validating on `valid` (which may be empty: then
  // no validation). With `resume`, goes on from that checkpoint: its settings must match these
  // options' and its model, optimizer and schedule states must fit (keys, shapes and steps), else
  // heed::Error naming the checkpoint's file and the key, before the model changes. Leaves the model in
  // evaluation mode. Checkpoints record resume_settings(options) and a fingerprint of `train`.
  TrainHistory fit(const std::vector<data::SentencePair>& train, const std::vector<data::SentencePair>& valid,
                   const Checkpoint* resume = nullptr);

  // The validation of fit(), on its own: loss and perplexity on every pair, scores on the first
  // eval_sentences, the first two pairs as samples.
  ValidationRecord validate_on(const std::vector<data::SentencePair>& valid, int64_t step) const;

 private:
  const Translator& translator_;
  TrainOptions options_;
  std::vector<TrainObserver*> observers_;
  const std::atomic<bool>* stop_flag_ = nullptr;
  ReplicaGroup* replicas_ = nullptr;

  TrainHistory run(const std::vector<data::SentencePair>& train, const std::vector<data::SentencePair>& valid,
                   const Checkpoint* resume);
};

}  // namespace heed::train
