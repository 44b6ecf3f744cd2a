// What the MPI test scenarios share (tests/mpi/): the small model and its corpus, one training run
// and its comparison with another. heed_mpi_check runs one scenario per invocation under mpirun
// (check_mpi.cpp); the scenarios that compare training runs are in agreement.cpp.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <heed/heed.h>

namespace heed::mpi_check {

// A small Transformer (d_model 32, 4 heads, 2 + 2 layers, feed-forward 64: about 40 thousand
// parameters, so that a few runs of 50 updates take seconds), no dropout, GELU: a smooth
// activation, so that a rounding difference never switches a ReLU unit's gradient on or off
// (agreement.cpp).
models::TransformerConfig small_transformer(int64_t source_vocab, int64_t target_vocab, int64_t feed_forward = 64);
// 600 reversal pairs of 1 to 8 symbols.
const std::vector<data::SentencePair>& corpus();
// 50 updates of about 600 tokens each, logging every update.
train::TrainOptions options();

using MakeConfig = std::function<models::TransformerConfig(int64_t source_vocab, int64_t target_vocab)>;

struct Run {
  train::TrainHistory history;
  std::vector<double> losses;  // of every update this run made (a resumed run: from its checkpoint on)
  std::vector<float> weights;  // every parameter, in registration order, back to back
  std::vector<std::pair<std::string, int64_t>> parameters;  // their names and sizes
  double seconds = 0;
};

// What a run needs besides its model, data and options.
struct RunSetup {
  train::ReplicaGroup* group = nullptr;              // null: one process
  const train::Checkpoint* resume = nullptr;
  std::vector<train::TrainObserver*> observers = {};  // called on rank 0 only (train::Trainer)
  const std::atomic<bool>* stop = nullptr;
  bool nudge_initial_weights = false;  // move every initial weight one ulp, up or down (a fixed pattern)
};

// Trains a fresh translator on `pairs` (the same initial weights in every call: seed 3).
Run train_run(const std::vector<data::SentencePair>& pairs, const MakeConfig& make, const train::TrainOptions& o,
              const RunSetup& setup = {});

// Whether every rank holds exactly the same bytes (collective).
bool bitwise_equal_across_ranks(const std::vector<float>& values);

// The scenarios of agreement.cpp; each returns 0 on every rank when its runs agree.
int correctness();
int tiny_transformer(dist::MpiReplicas& replicas);
int resume_across_rank_counts(dist::MpiReplicas& replicas);

}  // namespace heed::mpi_check
