// The MPI scenarios that compare training runs: N ranks against one process on the same global
// batches, and resuming a checkpoint with another number of ranks than the run that wrote it.
//
// Why the runs differ at all: splitting a batch over ranks changes only the order in which float32
// sums are formed (the loss, each weight's gradient: a few ulps each), and training carries such
// differences on from update to update. How far they grow depends on the optimizer:
// - Adam divides by √v + eps. With eps 1e-9, a gradient that is itself rounding noise (the
//   attention key biases' true gradient is 0: softmax ignores a bias added to every key) becomes
//   a step of up to lr whichever way the noise falls. So with Adam as the benchmark trains, two
//   correct runs can be up to lr per update apart in a weight, and nothing tighter holds on every
//   CPU (measured after 50 updates: 1.0e-5 on Zen 3, 2.5e-4 on Zen 5, each the same for 2 ranks
//   and for one process on another thread count). Those runs are checked against that bound.
// - With eps = 1, far above every √v, Adam's step lr · m̂ / (√v̂ + 1) is momentum SGD's lr · m̂,
//   and a rounding difference in a gradient stays a rounding difference in the step, as long as
//   the gradient is a smooth function of the weights: a ReLU unit whose input is within rounding
//   of 0 turns its gradient on in one run and off in the other, a jump that momentum SGD then
//   carries (measured: losses 8e-5 apart after 50 updates, from 6e-8 before the jump). With GELU,
//   those runs stay within rounding and are checked tightly: against one process, within a margin
//   of how far one process lands from itself in the same run when only rounding changes (another
//   thread count, or initial weights one ulp apart: rounding_scale), which follows the CPU's
//   kernel wherever the test runs.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>

#include "../train_test_util.h"
#include "mpi_check.h"

namespace heed::mpi_check {
namespace {

namespace fs = std::filesystem;
using testing::StopAt;

struct Differences {
  double loss = 0;     // the largest relative difference of an update's loss
  double weights = 0;  // the largest |a - b| over every weight
};

// `run` against `reference`, two runs of the same model.
Differences differences(const Run& run, const Run& reference) {
  HEED_CHECK(run.losses.size() == reference.losses.size() && run.weights.size() == reference.weights.size(),
             "differences", "{} updates and {} weights against {} and {}", run.losses.size(), run.weights.size(),
             reference.losses.size(), reference.weights.size());
  Differences diff;
  for (size_t i = 0; i < reference.losses.size(); ++i)
    diff.loss = std::max(diff.loss, std::abs(run.losses[i] - reference.losses[i]) / reference.losses[i]);
  for (size_t i = 0; i < reference.weights.size(); ++i)
    diff.weights = std::max(diff.weights, std::abs(static_cast<double>(run.weights[i]) - reference.weights[i]));
  return diff;
}

// The tight comparisons' tolerance: kScaleMargin times the rounding scale (below).
constexpr double kScaleMargin = 8;
Differences tolerance_from(const Differences& scale) {
  return {.loss = kScaleMargin * scale.loss, .weights = kScaleMargin * scale.weights};
}

// Prints `diff` against `tolerance`; whether it is within.
bool within(const std::string& what, const Differences& diff, const Differences& tolerance) {
  const bool ok = diff.loss <= tolerance.loss && diff.weights <= tolerance.weights;
  fmt::print("{}: losses {:.3g} apart (relative; tolerance {:.3g}), weights {:.3g} (tolerance {:.3g}): {}\n", what,
             diff.loss, tolerance.loss, diff.weights, tolerance.weights, ok ? "agree" : "DISAGREE");
  return ok;
}

// The most Adam can move one weight in o.steps updates at rates up to o.lr, whatever the
// gradients. By Cauchy–Schwarz, |m_t| = (1 − β1)|Σ_k β1^(t−k) g_k| ≤ (1 − β1) √(Σ_j<t (β1²/β2)^j) ·
// √(v_t / (1 − β2)), so after bias correction |m̂_t| / √v̂_t ≤ B_t = (1 − β1) / √(1 − β2) ·
// √(Σ_j<t (β1²/β2)^j) · √(1 − β2^t) / (1 − β1^t); eps only makes a step smaller. Two runs from the
// same weights are at most 2 · lr · Σ_t B_t apart (about 1.7 · lr per update at betas 0.9, 0.98).
double adam_bound(const train::TrainOptions& o) {
  const double b1 = o.betas[0], b2 = o.betas[1];
  double bound = 0, geometric = 0;
  for (int64_t t = 1; t <= o.steps; ++t) {
    geometric = geometric * (b1 * b1 / b2) + 1;  // Σ_j<t (β1²/β2)^j
    const double b_t = (1 - b1) / std::sqrt(1 - b2) * std::sqrt(geometric) *
                       std::sqrt(1 - std::pow(b2, static_cast<double>(t))) / (1 - std::pow(b1, static_cast<double>(t)));
    bound += 2 * o.lr * b_t;
  }
  return bound;
}

// `o` in momentum SGD's regime: Adam with eps 1 (see the top), at rate `lr`. The small model's rate:
// its 50 updates then lower the loss from 2.52 to 1.64, about as far as Adam's (to 1.51).
constexpr float kSmallModelSgdRate = 0.5f;
train::TrainOptions momentum_sgd(train::TrainOptions o, float lr) {
  o.eps = 1.0f;
  o.lr = lr;
  return o;
}

// Every rank's verdict: 0 when every rank's `failed` is 0. Rank 1 and up wait here while rank 0
// trains its one-process references: sum_scalar polls without holding a core.
int verdict(train::ReplicaGroup& group, bool failed) { return group.sum_scalar(failed ? 1 : 0) > 0 ? 1 : 0; }

// One process on `threads` threads (restoring the thread count after).
Run one_process(const std::vector<data::SentencePair>& pairs, const MakeConfig& make, const train::TrainOptions& o,
                int threads) {
  const int saved = num_threads();
  set_num_threads(threads);
  Run run = train_run(pairs, make, o);
  set_num_threads(saved);
  return run;
}

// How far the same training lands from `reference` (one process) when nothing but rounding
// changes, measured in this run on this machine, the larger of:
// - one process on another thread count: OpenBLAS splits its GEMMs otherwise, so sums in another
//   order, as the ranks do (0 where OpenBLAS splits none otherwise, e.g. OMP_NUM_THREADS=1 caps
//   its threads at start-up);
// - one process whose initial weights moved one ulp each: how far the training carries a
//   rounding-size difference, which exists on every machine.
Differences rounding_scale(const std::vector<data::SentencePair>& pairs, const MakeConfig& make,
                           const train::TrainOptions& o, const Run& reference) {
  const int threads = num_threads(), other_threads = threads == 1 ? 2 : 1;
  const Differences threads_apart = differences(one_process(pairs, make, o, other_threads), reference);
  const Differences nudged_apart = differences(train_run(pairs, make, o, {.nudge_initial_weights = true}), reference);
  fmt::print("rounding scale: one process on {} threads against {}: losses {:.3g} apart, weights {:.3g}; initial "
             "weights one ulp apart: losses {:.3g}, weights {:.3g}\n",
             other_threads, threads, threads_apart.loss, threads_apart.weights, nudged_apart.loss, nudged_apart.weights);
  return {.loss = std::max(threads_apart.loss, nudged_apart.loss),
          .weights = std::max(threads_apart.weights, nudged_apart.weights)};
}

void print_run(const std::string& label, const Run& distributed, const Run& reference, train::ReplicaGroup& group,
               bool replicas_equal) {
  int64_t parameter_count = 0;
  for (const auto& [name, numel] : distributed.parameters) parameter_count += numel;
  fmt::print("{}: {} parameters, {} ranks, {} updates in {:.2f} s; parameters bitwise equal across ranks: {}\n",
             label, parameter_count, group.size(), distributed.losses.size(), distributed.seconds,
             replicas_equal ? "yes" : "NO");
  fmt::print("loss at update 1 {:.6f}, update {} {:.6f} (one process: {:.6f})\n", distributed.losses.front(),
             distributed.losses.size(), distributed.losses.back(), reference.losses.back());
}

// The tight comparison (momentum SGD's regime): every rank of `group` trains `o` together, and one
// process alone (the reference). The ranks must be within kScaleMargin times the rounding scale
// of the reference, and bitwise equal.
int compare_tight(train::ReplicaGroup& group, const std::vector<data::SentencePair>& pairs, const MakeConfig& make,
                  const train::TrainOptions& o, const std::string& label) {
  const Run distributed = train_run(pairs, make, o, {.group = &group});
  const bool replicas_equal = bitwise_equal_across_ranks(distributed.weights);
  if (group.rank() != 0) return verdict(group, !replicas_equal);
  const Run reference = train_run(pairs, make, o);
  print_run(label, distributed, reference, group, replicas_equal);
  const Differences tolerance = tolerance_from(rounding_scale(pairs, make, o, reference));
  const bool agree =
      within(fmt::format("{} ranks against one process", group.size()), differences(distributed, reference), tolerance);
  return verdict(group, !replicas_equal || !agree);
}

// Adam with a small eps: every rank of `group` trains `o` together, one process alone; the ranks
// must be bitwise equal and their weights within adam_bound of the one process.
int compare_within_adam_bound(train::ReplicaGroup& group, const std::vector<data::SentencePair>& pairs,
                              const MakeConfig& make, const train::TrainOptions& o, const std::string& label) {
  const Run distributed = train_run(pairs, make, o, {.group = &group});
  const bool replicas_equal = bitwise_equal_across_ranks(distributed.weights);
  if (group.rank() != 0) return verdict(group, !replicas_equal);
  const Run reference = train_run(pairs, make, o);
  print_run(label, distributed, reference, group, replicas_equal);
  const Differences diff = differences(distributed, reference);
  const double bound = adam_bound(o);
  fmt::print("{} ranks against one process: weights {:.3g} apart (Adam's bound for {} updates at lr {}: {:.3g}), "
             "losses {:.3g} apart (relative): {}\n",
             group.size(), diff.weights, o.steps, o.lr, bound, diff.loss, diff.weights <= bound ? "agree" : "DISAGREE");
  return verdict(group, !replicas_equal || diff.weights > bound);
}

// 32-word sentences over 996 words (with the 4 special tokens, vocabularies of 1000), each target
// the reverse of its source.
std::vector<data::SentencePair> long_reversal_pairs(size_t count) {
  std::mt19937 rng(11);
  std::vector<data::SentencePair> pairs;
  for (size_t i = 0; i < count; ++i) {
    std::vector<std::string> words;
    for (int j = 0; j < 32; ++j) words.push_back(fmt::format("w{}", rng() % 996));
    const std::string source = fmt::format("{}", fmt::join(words, " "));
    std::reverse(words.begin(), words.end());
    pairs.emplace_back(source, fmt::format("{}", fmt::join(words, " ")));
  }
  return pairs;
}

// A folder for one scenario's checkpoints, the same on every rank (named after rank 0's process).
fs::path shared_folder(train::ReplicaGroup& group, const std::string& name) {
  const double rank0_pid = group.sum_scalar(group.rank() == 0 ? static_cast<double>(::getpid()) : 0);
  return fs::temp_directory_path() / fmt::format("heed_mpi_{}_{}", name, static_cast<int64_t>(rank0_pid));
}

}  // namespace

int correctness() {
  // In momentum SGD's regime (the top), the small model (mpi_check.h):
  const MakeConfig small = [](int64_t s, int64_t t) { return small_transformer(s, t); };
  const train::TrainOptions sgd = momentum_sgd(options(), kSmallModelSgdRate);
  // batches of about 600 tokens (dozens of sentence pairs), the gradients in buckets of 16 KiB
  // (several, started as backward finishes them)...
  dist::MpiReplicas small_buckets({.bucket_bytes = 16 << 10});
  const int many_rows = compare_tight(small_buckets, corpus(), small, sgd, "batches of 600 tokens");
  // ...and batches of 1 to 3 pairs, so that some ranks often have none, with one bucket.
  train::TrainOptions tiny_batches = sgd;
  tiny_batches.max_tokens = 24;
  dist::MpiReplicas one_bucket;
  const int few_rows = compare_tight(one_bucket, corpus(), small, tiny_batches, "batches of 24 tokens");
  // Adam as options() trains (eps 1e-9), within what Adam can move.
  const int adam = compare_within_adam_bound(small_buckets, corpus(), small, options(), "Adam, eps 1e-9");
  return many_rows + few_rows + adam > 0 ? 1 : 0;
}

int tiny_transformer(dist::MpiReplicas& replicas) {
  // The benchmark's tiny Transformer (train/benchmark.h: vocabularies of 1000, d_model 128, 4 heads,
  // feed-forward 512, 2 + 2 layers; 1,311,208 parameters) without dropout; global batches of 32
  // pairs of 32 + 1 tokens, gradients in buckets of 1 MiB, label smoothing 0.1, no clipping.
  static const std::vector<data::SentencePair> pairs = long_reversal_pairs(800);
  const auto tiny_with = [](nn::Activation activation) -> MakeConfig {
    return [activation](int64_t source_vocab, int64_t target_vocab) {
      return models::TransformerConfig{.source_vocab_size = source_vocab, .target_vocab_size = target_vocab,
                                       .d_model = 128, .nhead = 4, .num_encoder_layers = 2, .num_decoder_layers = 2,
                                       .dim_feedforward = 512, .dropout = 0.0f, .activation = activation};
    };
  };
  const train::TrainOptions benchmark{.steps = 50, .max_tokens = 32 * 67, .lr = 1e-4f, .warmup = 1,
                                      .label_smoothing = 0.1f, .clip_norm = 0, .log_every = 1, .seed = 5};
  // 1. Tight: momentum SGD's regime, and GELU (see the top).
  const int sgd_verdict = compare_tight(replicas, pairs, tiny_with(nn::Activation::GELU), momentum_sgd(benchmark, 0.2f),
                                        "momentum SGD (Adam with eps 1), GELU");
  // 2. As the benchmark trains it (Adam eps 1e-9, ReLU): within what Adam can move.
  const int adam_verdict = compare_within_adam_bound(replicas, pairs, tiny_with(nn::Activation::ReLU), benchmark,
                                                     "Adam as the benchmark trains");
  return sgd_verdict + adam_verdict > 0 ? 1 : 0;
}

int resume_across_rank_counts(dist::MpiReplicas& replicas) {
  // 30 updates in one process, straight; against 15 updates on every rank, a checkpoint, and 15
  // more in one process; and against 15 in one process, a checkpoint, and 15 more on every rank.
  // The checkpoint holds the global data position, so any number of ranks can go on from it.
  train::TrainOptions o = momentum_sgd(options(), kSmallModelSgdRate);
  o.steps = 30;
  const int64_t half = 15;
  const MakeConfig make = [](int64_t s, int64_t t) { return small_transformer(s, t); };
  const bool lead = replicas.rank() == 0;
  const fs::path folder = shared_folder(replicas, "resume");
  const fs::path from_ranks = folder / "ranks", from_one = folder / "one";
  if (lead) {
    fs::create_directories(from_ranks);
    fs::create_directories(from_one);
  }
  Run straight;
  Differences tolerance;
  if (lead) {
    straight = train_run(corpus(), make, o);
    tolerance = tolerance_from(rounding_scale(corpus(), make, o, straight));
  }

  // Every rank, then one process. Only rank 0 observes: it stops the run (every rank stops at the
  // same update, as the flag is read collectively) and writes the checkpoint.
  std::atomic<bool> stop = false;
  StopAt stop_at(stop, half);
  std::optional<train::CheckpointWriter> writer;
  if (lead) writer.emplace(from_ranks.string(), 1);
  const std::vector<train::TrainObserver*> lead_observers =
      lead ? std::vector<train::TrainObserver*>{&stop_at, &*writer} : std::vector<train::TrainObserver*>{};
  const Run ranks_first = train_run(corpus(), make, o, {.group = &replicas, .observers = lead_observers, .stop = &stop});
  bool failed = !ranks_first.history.stopped;  // (only rank 0's observers are called: the losses are there)
  if (lead) {
    failed |= ranks_first.losses.size() != static_cast<size_t>(half);
    const train::Checkpoint checkpoint = train::load_checkpoint(writer->last_path());
    Run then_one = train_run(corpus(), make, o, {.resume = &checkpoint});
    then_one.losses.insert(then_one.losses.begin(), ranks_first.losses.begin(), ranks_first.losses.end());
    failed |= !within(fmt::format("{} ranks for {} updates, then one process", replicas.size(), half),
                      differences(then_one, straight), tolerance);
  }

  // One process, then every rank.
  Run one_first;
  if (lead) {
    stop = false;
    StopAt stop_again(stop, half);
    train::CheckpointWriter one_writer(from_one.string(), 1);
    one_first = train_run(corpus(), make, o, {.observers = {&stop_again, &one_writer}, .stop = &stop});
    failed |= !one_first.history.stopped;
  }
  replicas.sum_scalar(0);  // every rank waits for the checkpoint
  const train::Checkpoint checkpoint = train::load_checkpoint(train::checkpoint_path(from_one.string(), half));
  Run then_ranks = train_run(corpus(), make, o, {.group = &replicas, .resume = &checkpoint});
  const bool replicas_equal = bitwise_equal_across_ranks(then_ranks.weights);
  failed |= !replicas_equal;
  if (lead) {
    then_ranks.losses.insert(then_ranks.losses.begin(), one_first.losses.begin(), one_first.losses.end());
    failed |= !within(fmt::format("one process for {} updates, then {} ranks", half, replicas.size()),
                      differences(then_ranks, straight), tolerance);
    fmt::print("parameters bitwise equal across ranks after resuming: {}\n", replicas_equal ? "yes" : "NO");
  }
  const int result = verdict(replicas, failed);
  if (lead) fs::remove_all(folder);
  return result;
}

}  // namespace heed::mpi_check
