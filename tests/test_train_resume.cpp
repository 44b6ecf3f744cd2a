// Exact resume (train/checkpoint.h, train/trainer.h): training 2N updates in one go, and N
// updates, a checkpoint file, fresh objects, N more, give bit-identical losses at every update and
// bit-identical weights, with dropout on, for the Transformer and the LSTM. Also: checkpoint files
// round-trip, keep the latest K, and a resume with other options is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "heed/nn/serialize.h"
#include "heed/train/checkpoint_writer.h"
#include "heed/train/trainer.h"
#include "test_util.h"
#include "train_test_util.h"

namespace heed {

using testing::expect_error;
using testing::LossLog;
using testing::StopAt;

namespace {

namespace fs = std::filesystem;

train::TrainOptions resumable(int64_t steps) {
  // Small batches: an epoch is several updates, so the stop falls inside one and the run crosses epochs.
  return {.steps = steps, .max_tokens = 48, .lr = 5e-3f, .warmup = 3, .label_smoothing = 0.1f, .log_every = 1,
          .eval_every = 0, .seed = 4};
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("heed_resume_{}_{}", name, ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

template <class MakeConfig>
void expect_exact_resume(MakeConfig make_config, const std::string& name) {
  const auto pairs = testing::reversal_pairs(60, 4, 1);
  const int64_t half = 7;

  train::Translator straight = testing::tiny_translator(pairs, make_config);
  train::Trainer one_go(straight, resumable(2 * half));
  LossLog all;
  one_go.add_observer(all);
  one_go.fit(pairs, {});
  ASSERT_EQ(all.losses.size(), static_cast<size_t>(2 * half));

  const fs::path dir = fresh_dir(name);
  train::Translator first = testing::tiny_translator(pairs, make_config);
  train::Trainer interrupted(first, resumable(2 * half));
  std::atomic<bool> stop = false;
  StopAt stop_at(stop, half);
  LossLog before;
  train::CheckpointWriter writer(dir.string(), 2);
  interrupted.add_observer(before);
  interrupted.add_observer(stop_at);
  interrupted.add_observer(writer);
  interrupted.stop_on(stop);
  EXPECT_TRUE(interrupted.fit(pairs, {}).stopped);
  ASSERT_EQ(writer.last_path(), train::checkpoint_path(dir.string(), half));

  // A different initialisation: everything must come from the checkpoint file.
  train::Translator second = testing::tiny_translator(pairs, make_config, 99);
  const train::Checkpoint checkpoint = train::load_checkpoint(writer.last_path());
  EXPECT_GT(checkpoint.batch, 0) << "the stop should fall inside an epoch";
  train::Trainer resumed(second, resumable(2 * half));
  LossLog after;
  resumed.add_observer(after);
  const train::TrainHistory history = resumed.fit(pairs, {}, &checkpoint);
  EXPECT_FALSE(history.stopped);
  EXPECT_GT(history.steps.back().epoch, 0) << "the run should cross an epoch";

  std::vector<double> joined = before.losses;
  joined.insert(joined.end(), after.losses.begin(), after.losses.end());
  EXPECT_EQ(joined, all.losses);
  ASSERT_EQ(history.steps.size(), static_cast<size_t>(2 * half));
  for (size_t i = 0; i < history.steps.size(); ++i) EXPECT_EQ(history.steps[i].loss, all.losses[i]) << i;
  const nn::StateDict expected = straight.model().state_dict(), got = second.model().state_dict();
  ASSERT_EQ(expected.size(), got.size());
  for (const auto& [key, tensor] : expected)
    EXPECT_EQ(got.at(key).template to_vector<float>(), tensor.template to_vector<float>()) << key;
  fs::remove_all(dir);
}

template <class Config>
auto with_dropout(Config (*make)(int64_t, int64_t)) {
  return [make](int64_t source, int64_t target) {
    Config config = make(source, target);
    config.dropout = 0.2f;
    return config;
  };
}

}  // namespace

TEST(TrainResume, TransformerResumesBitForBit) {
  expect_exact_resume(with_dropout(testing::tiny_transformer), "transformer");
}

TEST(TrainResume, LstmResumesBitForBit) { expect_exact_resume(with_dropout(testing::tiny_lstm), "lstm"); }

TEST(TrainResume, CheckpointStepsReadsOnlyCheckpointNames) {
  const fs::path dir = fresh_dir("names");
  for (const char* name : {"checkpoint-7.safetensors", "checkpoint-12.safetensors", "checkpoint-.safetensors",
                           "checkpoint--3.safetensors", "checkpoint-+3.safetensors", "checkpoint-4x.safetensors",
                           "checkpoint-5.safetensors.tmp", "xcheckpoint-6.safetensors",
                           "checkpoint-99999999999999999999.safetensors", "model.safetensors",
                           "checkpoint-00151.safetensors", "checkpoint-012.safetensors"}) {
    std::ofstream(dir / name) << "not read";
  }
  // Only the names checkpoint_path makes: a listed step is the file that will be read and named.
  EXPECT_EQ(train::checkpoint_steps(dir.string()), (std::vector<int64_t>{7, 12}));
  for (int64_t step : train::checkpoint_steps(dir.string()))
    EXPECT_TRUE(fs::exists(train::checkpoint_path(dir.string(), step))) << step;
  fs::remove_all(dir);
}

TEST(TrainResume, KeepsTheLatestCheckpointsAndRefusesOtherOptions) {
  const auto pairs = testing::reversal_pairs(30, 3, 1);
  const fs::path dir = fresh_dir("keep");
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  train::TrainOptions options = resumable(5);
  options.checkpoint_every = 2;
  train::Trainer trainer(translator, options);
  train::CheckpointWriter writer(dir.string(), 2);
  trainer.add_observer(writer);
  const train::TrainHistory history = trainer.fit(pairs, {});
  EXPECT_EQ(train::checkpoint_steps(dir.string()), (std::vector<int64_t>{4, 5}));

  const train::Checkpoint checkpoint = train::load_checkpoint(train::checkpoint_path(dir.string(), 4));
  EXPECT_EQ(checkpoint.step, 4);
  ASSERT_EQ(checkpoint.history.steps.size(), 4u);
  EXPECT_EQ(checkpoint.history.steps[3].loss, history.steps[3].loss);
  for (const auto& [name, value] : train::resume_settings(options)) EXPECT_EQ(checkpoint.settings.at(name), value);
  EXPECT_EQ(checkpoint.settings.at("training data").substr(0, 9), "30 pairs,");
  EXPECT_FALSE(checkpoint.optimizer.empty());
  EXPECT_EQ(checkpoint.schedule.at("step").item<int64_t>(), 4);

  options.lr = 1e-2f;
  train::Trainer other(translator, options);
  expect_error([&] { other.fit(pairs, {}, &checkpoint); }, {"Trainer::fit", "lr 0.005", "lr 0.01"});
  expect_error([&] { trainer.fit(testing::reversal_pairs(30, 3, 2), {}, &checkpoint); }, {"training data"});
  expect_error([] { train::load_checkpoint("/nonexistent/checkpoint-1.safetensors"); }, {"checkpoint-1.safetensors"});
  fs::remove_all(dir);
}

// Found while writing tests/fuzz/fuzz_safetensors.cpp: an integer field of the metadata written as a
// float ("step": 1e300) was converted to int64_t, undefined behaviour when it does not fit.
TEST(TrainResume, CheckpointIntegerFieldsMustBeIntegers) {
  const std::string path = (fs::temp_directory_path() / "heed_test_checkpoint_integers.safetensors").string();
  train::Checkpoint checkpoint;
  checkpoint.history.steps.push_back({.step = 1, .total_steps = 2, .epoch = 0});
  train::save_checkpoint(checkpoint, path);
  nn::Metadata good;
  const nn::StateDict state = nn::load(path, &good);
  ASSERT_NE(good.at("history").find("\"step\":1,"), std::string::npos) << good.at("history");
  for (const auto& [field, from, to] : {std::tuple{"history", "\"step\":1,", "\"step\":1e300,"},
                                        std::tuple{"interval", "\"tokens\":0", "\"tokens\":2.5"}}) {
    nn::Metadata metadata = good;
    std::string& text = metadata.at(field);
    text.replace(text.find(from), std::string_view(from).size(), to);
    nn::save(state, path, metadata);
    expect_error([&] { train::load_checkpoint(path); }, {"load_checkpoint", "malformed metadata", "expected an integer"});
  }
  fs::remove(path);
}

}  // namespace heed
