// The MPI tests (CTest label `mpi`): run under mpirun, one scenario per invocation.
//
//   heed_mpi_check correctness   50 updates of a small Transformer on every rank against the same
//                                run in one process: losses at every update and final weights
//                                within tolerance, parameters bitwise equal across ranks; with
//                                large batches and many buckets, then with batches of 1 to 3
//                                sentence pairs (some ranks often without rows) and one bucket
//   heed_mpi_check tiny          the same for the benchmark's tiny Transformer (1.3M parameters)
//   heed_mpi_check resume        a checkpoint written by every rank resumed in one process, and one
//                                written by one process resumed on every rank
//   heed_mpi_check mismatch      rank 1 builds another model: heed::Error naming rank 1 on every rank
//   heed_mpi_check rank-dies     rank 1 is killed at update 5: the job ends (mpirun), no hang
//   heed_mpi_check rank-hangs    rank 1 stops answering at update 5: rank 0's all-reduce times
//                                out (HEED_MPI_TIMEOUT) and ends the job with an error naming it
// The first three are in agreement.cpp, with why and how closely the runs agree. Exit 0 when the
// scenario behaved as stated (the fault scenarios are checked by their output). Any number of
// ranks from 2 up.
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
#include "mpi_check.h"

namespace heed::mpi_check {

models::TransformerConfig small_transformer(int64_t source_vocab, int64_t target_vocab, int64_t feed_forward) {
  return {.source_vocab_size = source_vocab, .target_vocab_size = target_vocab, .d_model = 32, .nhead = 4,
          .num_encoder_layers = 2, .num_decoder_layers = 2, .dim_feedforward = feed_forward, .dropout = 0.0f,
          .activation = nn::Activation::GELU};
}

const std::vector<data::SentencePair>& corpus() {
  static const std::vector<data::SentencePair> pairs = testing::reversal_pairs(600, 8);
  return pairs;
}

train::TrainOptions options() {
  return {.steps = 50, .max_tokens = 600, .lr = 3e-3f, .warmup = 10, .label_smoothing = 0.1f, .clip_norm = 1.0f,
          .log_every = 1, .seed = 5};
}

// Moves every weight one ulp up or down, as a fixed hash of its index says: the smallest change a
// float32 weight can take, in no direction in particular.
void nudge_by_one_ulp(nn::Module& model) {
  NoGradGuard no_grad;
  for (const Tensor& parameter : model.parameters()) {
    float* w = parameter.mutable_data<float>();  // a parameter is dense
    for (int64_t i = 0; i < parameter.numel(); ++i) {
      const bool up = (random_bits(17, static_cast<uint64_t>(i)) & 1) != 0;
      w[i] = std::nextafter(w[i], up ? INFINITY : -INFINITY);
    }
  }
}

Run train_run(const std::vector<data::SentencePair>& pairs, const MakeConfig& make, const train::TrainOptions& o,
              const RunSetup& setup) {
  train::Translator translator = testing::tiny_translator(pairs, make);
  if (setup.nudge_initial_weights) nudge_by_one_ulp(translator.model());
  train::Trainer trainer(translator, o);
  if (setup.group != nullptr) trainer.distribute(*setup.group);
  if (setup.stop != nullptr) trainer.stop_on(*setup.stop);
  testing::LossLog log;
  trainer.add_observer(log);
  for (train::TrainObserver* observer : setup.observers) trainer.add_observer(*observer);
  Run run;
  const auto start = std::chrono::steady_clock::now();
  run.history = trainer.fit(pairs, {}, setup.resume);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.losses = std::move(log.losses);
  for (const auto& [name, parameter] : translator.model().named_parameters()) {
    const std::vector<float> values = parameter.to_vector<float>();
    run.weights.insert(run.weights.end(), values.begin(), values.end());
    run.parameters.emplace_back(name, parameter.numel());
  }
  return run;
}

bool bitwise_equal_across_ranks(const std::vector<float>& values) {
  std::vector<float> rank0 = values;
  MPI_Bcast(rank0.data(), static_cast<int>(rank0.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
  int same = std::memcmp(rank0.data(), values.data(), values.size() * sizeof(float)) == 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return same == 1;
}

}  // namespace heed::mpi_check

namespace {

using namespace heed;
using namespace heed::mpi_check;

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
  if (replicas.size() < 2) {
    fmt::print(stderr, "heed_mpi_check: run under mpirun with 2 or more ranks (got {})\n", replicas.size());
    return 2;
  }
  if (scenario == "correctness") return correctness();
  if (scenario == "tiny") return tiny_transformer(replicas);
  if (scenario == "resume") return resume_across_rank_counts(replicas);
  if (scenario == "mismatch") return mismatch(replicas);
  if (scenario == "rank-dies") return fault(replicas, FaultyReplicas::Fault::Die);
  if (scenario == "rank-hangs") return fault(replicas, FaultyReplicas::Fault::Hang);
  fmt::print(stderr, "heed_mpi_check: unknown scenario '{}' (correctness, tiny, resume, mismatch, rank-dies, rank-hangs)\n", scenario);
  return 2;
}
