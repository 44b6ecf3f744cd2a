// The MPI tests (CTest label `mpi`): run under mpirun with 2 ranks, one scenario per invocation.
//
//   heed_mpi_check correctness   50 updates of a small Transformer on 2 ranks against the same run
//                                in one process: losses at every update and final weights within
//                                the tolerances below, and parameters bitwise equal across ranks;
//                                with large batches and many buckets, then with batches of 1 to 3
//                                sentence pairs (rank 1 often without rows) and one bucket
//   heed_mpi_check mismatch      rank 1 builds another model: heed::Error naming rank 1 on every rank
//   heed_mpi_check rank-dies     rank 1 is killed at update 5: the job ends (mpirun), no hang
//   heed_mpi_check rank-hangs    rank 1 stops answering at update 5: rank 0's all-reduce times
//                                out (HEED_MPI_TIMEOUT) and ends the job with an error naming it
// Exit 0 when the scenario behaved as stated (the fault scenarios are checked by their output).
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <heed/heed.h>

#include "../train_test_util.h"

using namespace heed;

namespace {

// A small Transformer (d_model 32, 4 heads, 2 + 2 layers, feed-forward 64: about 40 thousand
// parameters, smaller than train/benchmark.h's tiny so that 2 x 50 updates take seconds), no dropout.
models::TransformerConfig small_transformer(int64_t source_vocab, int64_t target_vocab, int64_t feed_forward = 64) {
  return {.source_vocab_size = source_vocab, .target_vocab_size = target_vocab, .d_model = 32, .nhead = 4,
          .num_encoder_layers = 2, .num_decoder_layers = 2, .dim_feedforward = feed_forward, .dropout = 0.0f};
}

const std::vector<data::SentencePair>& corpus() {
  static const std::vector<data::SentencePair> pairs = testing::reversal_pairs(600, 8);
  return pairs;
}

train::TrainOptions options() {
  return {.steps = 50, .max_tokens = 600, .lr = 3e-3f, .warmup = 10, .label_smoothing = 0.1f, .clip_norm = 1.0f,
          .log_every = 1, .seed = 5};
}

std::vector<float> flat_parameters(const models::Seq2Seq& model) {
  std::vector<float> values;
  for (const Tensor& parameter : model.parameters()) {
    const std::vector<float> part = parameter.to_vector<float>();
    values.insert(values.end(), part.begin(), part.end());
  }
  return values;
}

struct WeightDifferences {
  double weights = 0;         // the largest |a - b| over every weight but the key biases
  double largest_weight = 0;  // the largest |b| there
  double key_biases = 0;      // the largest |a - b| over the key biases (in_proj_bias[E : 2E])
};

// Compares two runs' flat_parameters of `model`'s layout.
WeightDifferences compare_weights(const models::Seq2Seq& model, const std::vector<float>& a, const std::vector<float>& b) {
  WeightDifferences diff;
  size_t at = 0;
  for (const auto& [name, parameter] : model.named_parameters()) {
    const bool in_proj_bias = name.ends_with("in_proj_bias");
    const int64_t third = parameter.numel() / 3;  // in_proj_bias is (3E): query, key and value biases
    for (int64_t i = 0; i < parameter.numel(); ++i, ++at) {
      const double d = std::abs(static_cast<double>(a[at]) - static_cast<double>(b[at]));
      if (in_proj_bias && i >= third && i < 2 * third) {
        diff.key_biases = std::max(diff.key_biases, d);
      } else {
        diff.weights = std::max(diff.weights, d);
        diff.largest_weight = std::max(diff.largest_weight, static_cast<double>(std::abs(b[at])));
      }
    }
  }
  return diff;
}

// Forwards to MpiReplicas; on rank 1, at the start of update `fault_update`, dies or stops answering.
class FaultyReplicas final : public train::ReplicaGroup {
 public:
  enum class Fault { Die, Hang };
  FaultyReplicas(dist::MpiReplicas& inner, Fault fault, int fault_update)
      : inner_(inner), fault_(fault), fault_update_(fault_update) {}
  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  void check_same_model(const std::vector<std::pair<std::string, Tensor>>& named) override {
    inner_.check_same_model(named);
  }
  void broadcast_parameters(const std::vector<Tensor>& parameters) override { inner_.broadcast_parameters(parameters); }
  double sum_scalar(double value) override { return inner_.sum_scalar(value); }
  void start_gradients(const std::vector<Tensor>& parameters) override {
    if (rank() == 1 && ++updates_ == fault_update_) {
      fmt::print(stderr, "rank 1: {} at update {}\n", fault_ == Fault::Die ? "dying" : "hanging", updates_);
      if (fault_ == Fault::Die) kill(getpid(), SIGKILL);
      std::this_thread::sleep_for(std::chrono::seconds(120));
    }
    inner_.start_gradients(parameters);
  }
  void gradient_ready(const Tensor& parameter) override { inner_.gradient_ready(parameter); }
  void finish_gradients() override { inner_.finish_gradients(); }
  [[noreturn]] void abort(const std::string& message) override { inner_.abort(message); }

 private:
  dist::MpiReplicas& inner_;
  Fault fault_;
  int fault_update_;
  int updates_ = 0;
};

// Whether every rank holds exactly the same bytes.
bool bitwise_equal_across_ranks(const std::vector<float>& values) {
  std::vector<float> rank0 = values;
  MPI_Bcast(rank0.data(), static_cast<int>(rank0.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
  int same = std::memcmp(rank0.data(), values.data(), values.size() * sizeof(float)) == 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return same == 1;
}

// One comparison of 2 ranks against one process; 0 when they agree.
int compare_with_one_process(dist::MpiReplicas& replicas, const train::TrainOptions& o, const std::string& label) {
  const int rank = replicas.rank();
  train::Translator distributed = testing::tiny_translator(corpus(), [](int64_t s, int64_t t) { return small_transformer(s, t); });
  train::Trainer trainer(distributed, o);
  trainer.distribute(replicas);
  const auto start = std::chrono::steady_clock::now();
  const train::TrainHistory history = trainer.fit(corpus(), {});
  const double distributed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<float> weights = flat_parameters(distributed.model());
  const bool replicas_equal = bitwise_equal_across_ranks(weights);
  int failed = replicas_equal ? 0 : 1;
  if (rank == 0) {
    fmt::print("{}, {} gradient buckets: {} ranks, {} updates in {:.2f} s; parameters bitwise equal across ranks: {}\n",
               label, replicas.buckets().size(), replicas.size(), history.steps.size(), distributed_seconds,
               replicas_equal ? "yes" : "NO");
    // The same run in one process: the same initial weights (seed 3) and the same global batches.
    train::Translator single = testing::tiny_translator(corpus(), [](int64_t s, int64_t t) { return small_transformer(s, t); });
    const train::TrainHistory reference = train::Trainer(single, o).fit(corpus(), {});
    const std::vector<float> reference_weights = flat_parameters(single.model());
    double loss_diff = 0;
    for (size_t i = 0; i < reference.steps.size(); ++i)
      loss_diff = std::max(loss_diff, std::abs(history.steps[i].loss - reference.steps[i].loss) / reference.steps[i].loss);
    const WeightDifferences diff = compare_weights(single.model(), weights, reference_weights);
    // Tolerances: splitting a batch changes only the order in which float32 sums are formed (the
    // loss, each weight's gradient; a few ulps each), and Adam carries such differences on from
    // update to update. Measured: losses 8e-8 relative, weights 2.4e-7 (2 ulps of the largest) with
    // batches of 600 tokens; 1.5e-7 and 2e-6 with batches of 24 (Adam eps 1e-6, see correctness).
    // The key biases are the exception: softmax over the keys ignores a bias added to every key,
    // so their true gradient is 0 and the computed one is rounding noise, which Adam (m / √v)
    // turns into steps of up to lr: they drift apart in both runs alike, bounded by lr · steps.
    const double loss_tolerance = 1e-5, weight_tolerance = 1e-5, key_bias_bound = o.lr * static_cast<double>(o.steps);
    fmt::print("loss at update 1 {:.6f}, update {} {:.6f} (one process: {:.6f})\n", history.steps.front().loss,
               history.steps.size(), history.steps.back().loss, reference.steps.back().loss);
    fmt::print("largest relative loss difference over {} updates: {:.3g} (tolerance {:.0e})\n", reference.steps.size(),
               loss_diff, loss_tolerance);
    fmt::print("largest weight difference: {:.3g} (largest weight {:.3g}; tolerance {:.0e})\n", diff.weights,
               diff.largest_weight, weight_tolerance);
    fmt::print("largest key-bias difference: {:.3g} (their gradient is rounding noise; bound lr x steps = {:.3g})\n",
               diff.key_biases, key_bias_bound);
    if (history.steps.size() != reference.steps.size() || loss_diff > loss_tolerance ||
        diff.weights > weight_tolerance || diff.key_biases > key_bias_bound)
      failed = 1;
  }
  // Rank 1 waits here while rank 0 trains the reference: sum_scalar polls without holding a core.
  return replicas.sum_scalar(failed) > 0 ? 1 : 0;
}

int correctness() {
  // Batches of about 600 tokens (dozens of sentence pairs), the gradients in buckets of 16 KiB
  // (several, started as backward finishes them)...
  dist::MpiReplicas small_buckets({.bucket_bytes = 16 << 10});
  const int many_rows = compare_with_one_process(small_buckets, options(), "batches of 600 tokens");
  // ...and batches of 1 to 3 pairs, so that rank 1 often has none, with one bucket. With so few
  // tokens, some gradients are of the size of rounding errors (a ReLU unit just turning on), and
  // Adam with eps 1e-9 turns any of them into a step of about lr: one rounding difference then
  // moves a weight by 1e-4 (measured: losses 2e-3 apart after 50 updates). Adam's eps 1e-6
  // keeps such steps small, and then the runs agree as closely as above (docs/distributed.md).
  train::TrainOptions tiny_batches = options();
  tiny_batches.max_tokens = 24;
  tiny_batches.eps = 1e-6f;
  dist::MpiReplicas one_bucket;
  const int few_rows = compare_with_one_process(one_bucket, tiny_batches, "batches of 24 tokens, Adam eps 1e-6");
  return many_rows + few_rows > 0 ? 1 : 0;
}

int mismatch(dist::MpiReplicas& replicas) {
  const int64_t feed_forward = replicas.rank() == 1 ? 96 : 64;
  train::Translator translator = testing::tiny_translator(
      corpus(), [&](int64_t s, int64_t t) { return small_transformer(s, t, feed_forward); });
  train::Trainer trainer(translator, options());
  trainer.distribute(replicas);
  try {
    trainer.fit(corpus(), {});
  } catch (const Error& error) {
    const bool names_rank = std::string(error.what()).find("rank 1's model differs") != std::string::npos;
    fmt::print("rank {}: {}\n", replicas.rank(), error.what());
    return names_rank ? 0 : 1;
  }
  fmt::print(stderr, "rank {}: the mismatched model was not detected\n", replicas.rank());
  return 1;
}

int fault(dist::MpiReplicas& replicas, FaultyReplicas::Fault kind) {
  FaultyReplicas faulty(replicas, kind, 5);
  train::Translator translator = testing::tiny_translator(corpus(), [](int64_t s, int64_t t) { return small_transformer(s, t); });
  train::Trainer trainer(translator, options());
  trainer.distribute(faulty);
  trainer.fit(corpus(), {});
  fmt::print(stderr, "rank {}: training ended normally despite the fault\n", replicas.rank());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  dist::MpiSession mpi;
  const std::string scenario = argc > 1 ? argv[1] : "";
  dist::MpiReplicas replicas;
  if (replicas.size() != 2) {
    fmt::print(stderr, "heed_mpi_check: run under mpirun -np 2 (got {} ranks)\n", replicas.size());
    return 2;
  }
  if (scenario == "correctness") return correctness();
  if (scenario == "mismatch") return mismatch(replicas);
  if (scenario == "rank-dies") return fault(replicas, FaultyReplicas::Fault::Die);
  if (scenario == "rank-hangs") return fault(replicas, FaultyReplicas::Fault::Hang);
  fmt::print(stderr, "heed_mpi_check: unknown scenario '{}' (correctness, mismatch, rank-dies, rank-hangs)\n", scenario);
  return 2;
}
