// train::Trainer (train/trainer.h): a small LSTM learns to reverse symbol sequences; the same seed
// gives the same run bit for bit; observers hear every log and validation; bad options are refused.
#include <gtest/gtest.h>

#include "heed/train/trainer.h"
#include "test_util.h"
#include "train_test_util.h"

namespace heed {

using testing::expect_error;

namespace {

struct Counter : train::TrainObserver {
  int starts = 0, steps = 0, logs = 0, validations = 0, ends = 0;
  void on_start(const train::TrainOptions&, int64_t) override { ++starts; }
  void on_step(const train::StepRecord&) override { ++steps; }
  void on_log(const train::StepRecord&) override { ++logs; }
  void on_validation(const train::ValidationRecord&, const train::TrainHistory&) override { ++validations; }
  void on_end(const train::TrainHistory&) override { ++ends; }
};

train::TrainOptions quick(int64_t steps) {
  return {.steps = steps, .max_tokens = 256, .lr = 1e-2f, .warmup = 10, .label_smoothing = 0.0f, .log_every = 10,
          .eval_every = 0, .eval_sentences = 50, .seed = 4};
}

}  // namespace

TEST(TrainTrainer, SmallLstmLearnsToReverse) {
  const auto train_pairs = testing::reversal_pairs(400, 4, 1), valid_pairs = testing::reversal_pairs(50, 4, 2);
  train::Translator translator = testing::tiny_translator(train_pairs, testing::tiny_lstm);
  train::TrainOptions options = quick(300);
  options.eval_every = 150;
  train::Trainer trainer(translator, options);
  Counter counter;
  trainer.add_observer(counter);
  const train::TrainHistory history = trainer.fit(train_pairs, valid_pairs);
  EXPECT_EQ(counter.starts, 1);
  EXPECT_EQ(counter.steps, 300);
  EXPECT_EQ(counter.logs, 30);
  EXPECT_EQ(counter.validations, 2);
  EXPECT_EQ(counter.ends, 1);
  ASSERT_EQ(history.steps.size(), 30u);
  ASSERT_EQ(history.validations.size(), 2u);
  EXPECT_EQ(history.validations[1].step, 300);
  EXPECT_EQ(history.validations[1].sentences, 50);
  EXPECT_EQ(history.validations[1].samples.size(), 2u);
  EXPECT_EQ(history.validations[1].samples[0].source, valid_pairs[0].first);
  EXPECT_LT(history.steps.back().loss, history.steps.front().loss / 4);
  EXPECT_NEAR(history.validations[1].perplexity, std::exp(history.validations[1].loss), 1e-6);
  EXPECT_GT(history.validations[1].exact_match, 0.8) << "valid loss " << history.validations[1].loss;
  EXPECT_FALSE(translator.model().is_training());
  // The learning rate peaked at lr after warmup, then fell as 1/sqrt(step).
  EXPECT_NEAR(history.steps[0].lr, 1e-2 * 10 / 10, 1e-6);  // step 10 used the rate of update 10: the peak
  EXPECT_NEAR(history.steps[3].lr, 1e-2 * std::sqrt(10.0 / 40.0), 1e-6);
}

TEST(TrainTrainer, TheSameSeedGivesTheSameRun) {
  const auto pairs = testing::reversal_pairs(100);
  auto run = [&](uint64_t seed) {
    train::Translator translator = testing::tiny_translator(pairs, [](int64_t s, int64_t t) {
      models::LSTMSeq2SeqConfig c = testing::tiny_lstm(s, t);
      c.dropout = 0.2f;  // dropout draws from the generator too
      return c;
    });
    train::TrainOptions options = quick(30);
    options.seed = seed;
    return train::Trainer(translator, options).fit(pairs, {});
  };
  const train::TrainHistory a = run(4), b = run(4), c = run(5);
  ASSERT_EQ(a.steps.size(), 3u);
  EXPECT_TRUE(a.validations.empty());
  for (size_t i = 0; i < a.steps.size(); ++i) EXPECT_EQ(a.steps[i].loss, b.steps[i].loss) << i;
  EXPECT_NE(a.steps.back().loss, c.steps.back().loss);
}

TEST(TrainTrainer, WithoutClippingTheNormIsStillRecorded) {
  const auto pairs = testing::reversal_pairs(50);
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  train::TrainOptions options = quick(10);
  options.clip_norm = 0;
  const train::TrainHistory history = train::Trainer(translator, options).fit(pairs, {});
  ASSERT_EQ(history.steps.size(), 1u);
  EXPECT_GT(history.steps[0].grad_norm, 0);
  EXPECT_TRUE(std::isfinite(history.steps[0].grad_norm));
}

TEST(TrainTrainer, RefusesBadOptions) {
  const auto pairs = testing::reversal_pairs(10);
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  auto with = [](auto change) {
    train::TrainOptions options = quick(10);
    change(options);
    return options;
  };
  expect_error([&] { train::Trainer(translator, with([](auto& o) { o.steps = 0; })); }, {"steps", "got 0"});
  expect_error([&] { train::Trainer(translator, with([](auto& o) { o.lr = -1; })); }, {"lr"});
  expect_error([&] { train::Trainer(translator, with([](auto& o) { o.warmup = 0; })); }, {"warmup"});
  expect_error([&] { train::Trainer(translator, with([](auto& o) { o.label_smoothing = 1; })); }, {"label_smoothing"});
  expect_error([&] { train::Trainer(translator, with([](auto& o) { o.eval_decode.beam_size = 0; })); }, {"beam"});
  expect_error([&] { train::Trainer(translator, quick(10)).fit({}, {}); }, {"no training pairs"});
}

}  // namespace heed
