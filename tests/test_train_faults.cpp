// Checkpoints under faults (train/checkpoint.h, core/atomic_file.h): a save killed at many points
// (every byte of the header, a spread through the data, before and after the rename), directly
// and through CheckpointWriter, leaves the previous checkpoint loadable and unchanged (or the new
// one complete), never a half-written file at a checkpoint's name, and temporaries that resume
// ignores and the next save removes. A full disk (the hook, RLIMIT_FSIZE) or an unwritable folder
// during training is a heed::Error with the last checkpoint whole. A resume from a checkpoint whose
// optimizer, schedule or model part does not fit fails naming the file and the key, and leaves the
// model unchanged.
#include <signal.h>
#include <sys/resource.h>

#include <limits>

#include "file_test_util.h"
#include "heed/core/kernels.h"
#include "heed/train/checkpoint_writer.h"
#include "heed/train/model_dir.h"
#include "heed/train/trainer.h"
#include "test_util.h"
#include "train_test_util.h"

namespace heed {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::expect_same;
using testing::FaultGuard;
using testing::files_in;
using testing::int64_scalar;
using testing::read_bytes;
using testing::run_in_child;
using testing::TempFolder;

// A small checkpoint whose every tensor depends on `step`.
train::Checkpoint checkpoint_at(int64_t step) {
  const float shift = static_cast<float>(step);
  train::Checkpoint c;
  c.model = {{"encoder.weight", ops::add(testing::iota({24, 16}), shift)}, {"decoder.bias", ops::mul(ones({16}), shift)}};
  c.optimizer = {{"lr", full({}, 1e-3f * shift)}, {"state.0.step", int64_scalar(step)},
                 {"state.0.exp_avg", ops::mul(testing::iota({24, 16}), shift)},
                 {"state.0.exp_avg_sq", ops::add(testing::iota({24, 16}), 2 * shift)}};
  c.schedule = {{"step", int64_scalar(step)}};
  c.rng = {.seed = 4, .offset = static_cast<uint64_t>(100 * step)};
  c.step = step;
  c.epoch = step / 3;
  c.batch = step % 3;
  c.history.steps = {{.step = step, .total_steps = 100, .epoch = c.epoch, .loss = 1.0 / shift}};
  c.settings = {{"lr", "0.001"}, {"seed", "4"}};
  return c;
}

void expect_same(const train::Checkpoint& actual, const train::Checkpoint& expected) {
  expect_same(actual.model, expected.model);
  expect_same(actual.optimizer, expected.optimizer);
  expect_same(actual.schedule, expected.schedule);
  EXPECT_EQ(actual.step, expected.step);
  EXPECT_EQ(actual.epoch, expected.epoch);
  EXPECT_EQ(actual.batch, expected.batch);
  EXPECT_EQ(actual.rng.offset, expected.rng.offset);
  ASSERT_EQ(actual.history.steps.size(), expected.history.steps.size());
  EXPECT_EQ(actual.history.steps[0].loss, expected.history.steps[0].loss);
  EXPECT_EQ(actual.settings, expected.settings);
}

// Where to kill a save of `bytes` (a safetensors file): after every byte of the length and the
// header, and at `spread` points through the data, its last byte included.
std::vector<uint64_t> kill_points(const std::string& bytes, uint64_t spread) {
  uint64_t header_end = 8;
  for (int i = 0; i < 8; ++i) header_end += static_cast<uint64_t>(static_cast<unsigned char>(bytes[static_cast<size_t>(i)])) << (8 * i);
  std::vector<uint64_t> points;
  for (uint64_t at = 0; at <= header_end; ++at) points.push_back(at);
  for (uint64_t i = 1; i <= spread; ++i) points.push_back(header_end + (bytes.size() - header_end) * i / spread);
  return points;
}

// Every name in `folder` is a checkpoint or a temporary.
void expect_only_checkpoints_and_temporaries(const fs::path& folder, const std::vector<std::string>& checkpoints) {
  std::vector<std::string> kept;
  for (const std::string& name : files_in(folder))
    if (name.find(".tmp-") == std::string::npos) kept.push_back(name);
  EXPECT_EQ(kept, checkpoints);
}

TEST(CheckpointFaults, ASaveKilledAnywhereLeavesTheOldCheckpointOrTheNewOne) {
  TempFolder folder;
  const std::string path = folder.file("checkpoint.safetensors");
  const train::Checkpoint old_checkpoint = checkpoint_at(10), new_checkpoint = checkpoint_at(20);
  train::save_checkpoint(new_checkpoint, folder.file("reference"));
  const std::string new_bytes = read_bytes(folder.file("reference"));
  fs::remove(folder.file("reference"));
  train::save_checkpoint(old_checkpoint, path);
  const std::string old_bytes = read_bytes(path);

  auto save_killed = [&](const std::string& fault) {
    return run_in_child([&] {
      set_write_fault(fault);
      train::save_checkpoint(new_checkpoint, path);
    });
  };
  const std::vector<uint64_t> points = kill_points(new_bytes, 40);
  for (uint64_t at : points) {
    ASSERT_EQ(save_killed(fmt::format("abort-after={}", at)), kWriteFaultExitStatus) << at;
    ASSERT_EQ(read_bytes(path), old_bytes) << "killed after " << at << " bytes";
  }
  ASSERT_EQ(save_killed("abort-before-rename"), kWriteFaultExitStatus);
  expect_same(train::load_checkpoint(path), old_checkpoint);
  expect_only_checkpoints_and_temporaries(folder.path(), {"checkpoint.safetensors"});
  EXPECT_EQ(files_in(folder.path()).size(), points.size() + 2);  // a temporary per death

  ASSERT_EQ(save_killed("abort-after-rename"), kWriteFaultExitStatus);
  EXPECT_EQ(read_bytes(path), new_bytes);
  expect_same(train::load_checkpoint(path), new_checkpoint);

  train::save_checkpoint(old_checkpoint, folder.file("another.safetensors"));  // removes the dead writers' temporaries
  EXPECT_EQ(files_in(folder.path()), (std::vector<std::string>{"another.safetensors", "checkpoint.safetensors"}));
}

TEST(CheckpointFaults, AWriterKilledMidSaveKeepsTheLatestCheckpointsForResume) {
  TempFolder folder;
  const std::string dir = folder.path().string();
  train::CheckpointWriter writer(dir, 2);
  for (int64_t step : {1, 2}) writer.on_checkpoint(checkpoint_at(step));
  const train::Checkpoint next = checkpoint_at(3);
  train::save_checkpoint(next, folder.file("reference"));
  const std::string next_bytes = read_bytes(folder.file("reference"));
  fs::remove(folder.file("reference"));

  auto save_killed = [&](const std::string& fault) {
    return run_in_child([&] {
      set_write_fault(fault);
      train::CheckpointWriter(dir, 2).on_checkpoint(next);
    });
  };
  std::vector<std::string> faults = {"abort-before-rename"};
  for (uint64_t at : kill_points(next_bytes, 20))
    if (at % 37 == 0 || at > next_bytes.size() / 2) faults.push_back(fmt::format("abort-after={}", at));
  for (const std::string& fault : faults) {
    ASSERT_EQ(save_killed(fault), kWriteFaultExitStatus) << fault;
    ASSERT_EQ(train::checkpoint_steps(dir), (std::vector<int64_t>{1, 2})) << fault;  // temporaries are not checkpoints
  }
  expect_same(train::load_checkpoint(train::checkpoint_path(dir, 2)), checkpoint_at(2));
  expect_only_checkpoints_and_temporaries(folder.path(), {"checkpoint-1.safetensors", "checkpoint-2.safetensors"});

  // Killed after the rename, before the pruning: the new checkpoint is complete and the latest.
  ASSERT_EQ(save_killed("abort-after-rename"), kWriteFaultExitStatus);
  ASSERT_EQ(train::checkpoint_steps(dir), (std::vector<int64_t>{1, 2, 3}));
  expect_same(train::load_checkpoint(train::checkpoint_path(dir, 3)), next);

  writer.on_checkpoint(checkpoint_at(4));  // prunes to the last two, removes the temporaries
  EXPECT_EQ(files_in(folder.path()), (std::vector<std::string>{"checkpoint-3.safetensors", "checkpoint-4.safetensors"}));
}

train::TrainOptions short_run(int64_t steps) {
  return {.steps = steps, .max_tokens = 48, .lr = 5e-3f, .warmup = 2, .log_every = 1, .eval_every = 0,
          .checkpoint_every = 2, .seed = 4};
}

// Lowers the file-size limit (as `ulimit -f` would) from update `at` on; restores it when destroyed.
struct FileSizeLimitFrom : train::TrainObserver {
  int64_t at;
  rlimit old_limit{};
  void (*old_handler)(int);
  explicit FileSizeLimitFrom(int64_t a) : at(a), old_handler(::signal(SIGXFSZ, SIG_IGN)) {
    ::getrlimit(RLIMIT_FSIZE, &old_limit);
  }
  ~FileSizeLimitFrom() override {
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    ::signal(SIGXFSZ, old_handler);
  }
  void on_step(const train::StepRecord& running) override {
    if (running.step != at) return;
    rlimit small = old_limit;
    small.rlim_cur = 4096;
    ::setrlimit(RLIMIT_FSIZE, &small);
  }
};

// Trains with checkpoints every 2 updates into a fresh folder; `fail` makes the save of step 4
// fail with `reason`. The run must stop with that error and the checkpoint of step 2 stay whole.
template <class Fail>
void expect_failed_save_keeps_the_last_checkpoint(Fail fail, const char* reason) {
  const auto pairs = testing::reversal_pairs(40, 4, 1);
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  TempFolder folder;
  const std::string dir = folder.path().string();
  train::Trainer trainer(translator, short_run(6));
  train::CheckpointWriter writer(dir, 2);
  trainer.add_observer(writer);
  fail(trainer, [&] {
    expect_error([&] { trainer.fit(pairs, {}); },
                 {"nn::save", train::checkpoint_path(dir, 4).c_str(), reason});
  });
  EXPECT_EQ(files_in(folder.path()), std::vector<std::string>{"checkpoint-2.safetensors"});
  const train::Checkpoint kept = train::load_checkpoint(train::checkpoint_path(dir, 2));
  EXPECT_EQ(kept.step, 2);
  EXPECT_EQ(kept.model.size(), translator.model().state_dict().size());
}

TEST(CheckpointFaults, AFullDiskDuringTrainingStopsWithAnErrorAndKeepsTheLastCheckpoint) {
  expect_failed_save_keeps_the_last_checkpoint(
      [](train::Trainer&, auto run) {
        FaultGuard fault("enospc-after=1000,match=checkpoint-,skip=1");
        run();
      },
      "No space left on device");
  expect_failed_save_keeps_the_last_checkpoint(
      [](train::Trainer& trainer, auto run) {
        FileSizeLimitFrom limit(3);
        trainer.add_observer(limit);
        run();
      },
      "File too large");
}

TEST(CheckpointFaults, AnUnwritableFolderIsRefusedBeforeTraining) {
  TempFolder folder;
  const std::string file = folder.file("a_file");
  std::ofstream(file) << "x";
  const std::string under_a_file = file + "/checkpoints";
  expect_error([&] { train::CheckpointWriter(under_a_file, 2); }, {"CheckpointWriter", under_a_file.c_str(), "Not a directory"});
  expect_error([&] { train::CheckpointWriter("/proc/self", 2); }, {"CheckpointWriter", "/proc/self", "cannot create files"});
}

// A checkpoint of a tiny LSTM after 2 updates, as load_checkpoint reads it from `dir`.
train::Checkpoint trained_checkpoint(const std::vector<data::SentencePair>& pairs, const std::string& dir) {
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  train::Trainer trainer(translator, short_run(2));
  train::CheckpointWriter writer(dir, 1);
  trainer.add_observer(writer);
  trainer.fit(pairs, {});
  return train::load_checkpoint(writer.last_path());
}

TEST(ResumeFaults, ACheckpointThatDoesNotFitIsRefusedAndChangesNothing) {
  const auto pairs = testing::reversal_pairs(40, 4, 1);
  TempFolder folder;
  const train::Checkpoint good = trained_checkpoint(pairs, folder.path().string());
  const std::string file = train::checkpoint_path(folder.path().string(), 2);
  ASSERT_EQ(good.source, file);
  ASSERT_TRUE(good.optimizer.contains("state.0.exp_avg") && good.optimizer.contains("state.1.exp_avg_sq"));
  const std::string first_weight = good.model.begin()->first;

  struct Case {
    const char* what;
    std::function<void(train::Checkpoint&)> spoil;
    std::vector<const char*> expected;
  };
  const std::vector<Case> cases = {
      {"optimizer buffer of the wrong shape", [](train::Checkpoint& c) { c.optimizer["state.0.exp_avg"] = zeros({3}); },
       {"optimizer", "state.0.exp_avg", "shape [3]"}},
      {"missing optimizer buffer", [](train::Checkpoint& c) { c.optimizer.erase("state.1.exp_avg_sq"); },
       {"optimizer", "state.1", "incomplete"}},
      {"optimizer ahead of the checkpoint", [](train::Checkpoint& c) { c.optimizer["state.0.step"] = int64_scalar(9); },
       {"optimizer.state.0.step", "is 9", "step 2"}},
      {"missing schedule step", [](train::Checkpoint& c) { c.schedule.clear(); }, {"schedule", "'step'"}},
      {"schedule at another step", [](train::Checkpoint& c) { c.schedule["step"] = int64_scalar(5); },
       {"schedule.step", "is 5", "step 2"}},
      {"another learning rate", [](train::Checkpoint& c) { c.settings["lr"] = "0.5"; },
       {"made with lr 0.5"}},
      {"missing model weight", [&](train::Checkpoint& c) { c.model.erase(first_weight); },
       {"model", first_weight.c_str()}},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.what);
    train::Checkpoint bad = good;
    test.spoil(bad);
    train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm, 99);
    nn::StateDict before;
    for (const auto& [name, tensor] : translator.model().state_dict()) before[name] = contiguous_copy(tensor);
    train::Trainer trainer(translator, short_run(4));
    try {
      trainer.fit(pairs, {}, &bad);
      ADD_FAILURE() << "the resume was accepted";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(file), std::string::npos) << message;
      for (const char* part : test.expected) EXPECT_NE(message.find(part), std::string::npos) << message;
    }
    expect_same(translator.model().state_dict(), before);
  }
  // The unspoilt checkpoint resumes.
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm, 99);
  EXPECT_EQ(train::Trainer(translator, short_run(4)).fit(pairs, {}, &good).steps.back().step, 4);
}

TEST(ResumeFaults, AFileThatIsNotACheckpointIsAnErrorNamingTheField) {
  TempFolder folder;
  const std::string path = folder.file("checkpoint-1.safetensors");
  nn::save({{"model.w", ones({2})}}, path, {{"format", "pt"}});
  expect_error([&] { train::load_checkpoint(path); }, {"load_checkpoint", path.c_str(), "not a heed checkpoint"});
  nn::save({{"model.w", ones({2})}}, path, {{"format", "heed-checkpoint"}});
  expect_error([&] { train::load_checkpoint(path); }, {"load_checkpoint", path.c_str(), "\"step\" is missing"});
}

// A NaN or an infinity inside saved weights is a damaged file, named with its tensor when it is
// loaded: not a divergence of the resumed run, and never copied on into model.safetensors.
TEST(ResumeFaults, ANonFiniteWeightIsAnErrorNamingTheFileAndTheTensor) {
  TempFolder folder;
  const std::string path = folder.file("checkpoint-3.safetensors");
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    train::Checkpoint checkpoint = checkpoint_at(3);
    checkpoint.model["decoder.bias"] = contiguous_copy(checkpoint.model["decoder.bias"]);
    checkpoint.model["decoder.bias"].mutable_data<float>()[5] = bad;
    train::save_checkpoint(checkpoint, path);
    expect_error([&] { train::load_checkpoint(path); },
                 {"load_checkpoint", path.c_str(), "\"model.decoder.bias\"", "at element 5", "expected finite values"});
  }

  const auto pairs = testing::reversal_pairs(40, 4, 1);
  const train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  const std::string dir = folder.file("model");
  train::save_model_dir(translator, dir);
  nn::StateDict weights = nn::load(dir + "/model.safetensors");
  const std::string name = weights.begin()->first;
  weights[name].mutable_data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  nn::save(weights, dir + "/model.safetensors");
  expect_error([&] { train::load_model_dir(dir); },
               {"load_model_dir", (dir + "/model.safetensors").c_str(), ("\"" + name + "\"").c_str(), "nan"});
}

}  // namespace
}  // namespace heed
