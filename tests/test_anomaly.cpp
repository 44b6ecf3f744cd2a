// Anomaly mode (core/anomaly.h): the first op whose forward output or gradient is NaN or Inf is
// named with its shapes and module path; off, nothing is checked; the trainer stops on a NaN loss
// before the optimizer step (train/nan_guard.h).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "heed/train/trainer.h"
#include "test_util.h"
#include "train_test_util.h"

namespace heed {

using testing::expect_error;
using testing::leaf;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Writes NaN into the first element of the parameter called `name`.
void poison(const nn::Module& model, const std::string& name) {
  for (const auto& [parameter_name, parameter] : model.named_parameters())
    if (parameter_name == name) {
      parameter.mutable_data<float>()[0] = kNaN;
      return;
    }
  FAIL() << "no parameter " << name;
}

bool all_finite(const Tensor& t) {
  for (float v : t.to_vector<float>())
    if (!std::isfinite(v)) return false;
  return true;
}

models::TransformerConfig tiny_transformer() {
  return {.source_vocab_size = 11, .target_vocab_size = 13, .d_model = 8, .nhead = 2, .num_encoder_layers = 2,
          .num_decoder_layers = 2, .dim_feedforward = 16, .dropout = 0.0f};
}

}  // namespace

TEST(Anomaly, ForwardNanNamesTheOpAndTheShapes) {
  DetectAnomalyGuard anomaly;
  Tensor x = from_vector({1.0f, -2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  expect_error([&] { ops::log(x); }, {"anomaly: log produced NaN in its forward output of shape [2, 3]", "(inputs [2, 3])"});
  Tensor zero = zeros({4});
  zero.set_requires_grad(true);
  expect_error([&] { ops::div(zero, zeros({4})); }, {"anomaly: div produced NaN", "shape [4]", "(inputs [4], [4])"});
}

TEST(Anomaly, ForwardPlusInfIsReportedButMaskingWithMinusInfIsNot) {
  DetectAnomalyGuard anomaly;
  expect_error([] { ops::exp(full({3}, 100.0)); }, {"exp produced +Inf", "shape [3]"});
  Tensor scores = leaf({2, 3});
  Tensor mask = from_vector(std::vector<int64_t>{0, 1, 0, 0, 0, 1}, {2, 3});
  Tensor masked = ops::masked_fill(scores, mask, -std::numeric_limits<float>::infinity());
  Tensor probabilities = ops::softmax(masked, 1);
  EXPECT_TRUE(all_finite(probabilities));
  ops::sum(probabilities).backward();  // -Inf logits have zero gradient: nothing to report
  EXPECT_TRUE(all_finite(scores.grad()));
}

TEST(Anomaly, AnInputThatAlreadyHoldsNanIsPointedOut) {
  DetectAnomalyGuard anomaly;
  Tensor weight = from_vector({1.0f, kNaN, 2.0f, 3.0f}, {2, 2});
  expect_error([&] { ops::matmul(ones({1, 2}), weight); },
               {"matmul produced NaN", "shape [1, 2]", "(inputs [1, 2], [2, 2] already holding NaN)"});
}

TEST(Anomaly, BackwardInfFromSqrtAtZeroNamesTheGradient) {
  DetectAnomalyGuard anomaly;
  Tensor x = zeros({3});
  x.set_requires_grad(true);
  Tensor y = ops::sum(ops::sqrt(x));  // forward is finite: sqrt(0) = 0
  expect_error([&] { y.backward(); }, {"anomaly: sqrt produced +Inf in the gradient for input 0 of sqrt (shape [3])"});
}

TEST(Anomaly, BackwardOfACustomOpNamesTheModuleItRanIn) {
  DetectAnomalyGuard anomaly;
  Tensor a = leaf({2, 2}), b = leaf({2, 2});
  Tensor out;
  {
    AnomalyScope encoder("encoder");
    AnomalyScope layer("layers", 2);
    out = ops::mul(a, 1.0f);
    record("poisoned_grad", out, {a, b}, [](const Tensor& g, NeedsGrad) {
      return std::vector<Tensor>{g, full(g.shape(), std::nan(""))};
    });
  }
  EXPECT_EQ(anomaly_module_path(), nullptr);  // the scopes are closed: backward below runs outside them
  expect_error([&] { ops::sum(out).backward(); },
               {"anomaly: poisoned_grad produced NaN in the gradient for input 1 of poisoned_grad (shape [2, 2])",
                "in module encoder.layers.2"});
}

TEST(Anomaly, TransformerReportsTheLayerWhoseWeightIsNan) {
  manual_seed(1);
  models::Transformer model(tiny_transformer());
  Tensor src = from_vector(std::vector<int64_t>{4, 5, 6, 7, 8, 9}, {2, 3});
  Tensor tgt = from_vector(std::vector<int64_t>{1, 4, 5, 1, 6, 7}, {2, 3});
  EXPECT_TRUE(all_finite(model.forward(src, tgt)));
  poison(model, "encoder.layers.1.linear1.weight");
  {
    DetectAnomalyGuard anomaly;
    expect_error([&] { model.forward(src, tgt); },
                 {"anomaly: linear produced NaN", "already holding NaN", "in module encoder.layers.1"});
  }
  models::Transformer other(tiny_transformer());
  poison(other, "decoder.layers.1.self_attn.out_proj.weight");
  DetectAnomalyGuard anomaly;
  expect_error([&] { other.forward(src, tgt); }, {"produced NaN", "in module decoder.layers.1.self_attn"});
}

TEST(Anomaly, LstmSeq2SeqReportsTheDecoderLayer) {
  manual_seed(2);
  models::LSTMSeq2Seq model(testing::tiny_lstm(11, 13));
  Tensor src = from_vector(std::vector<int64_t>{4, 5, 6, 7, 8, 9}, {2, 3});
  Tensor tgt = from_vector(std::vector<int64_t>{1, 4, 5, 1, 6, 7}, {2, 3});
  poison(model, "decoder.0.weight_hh");
  DetectAnomalyGuard anomaly;
  expect_error([&] { model.forward(src, tgt); }, {"produced NaN", "in module decoder.0"});
}

TEST(Anomaly, OffChecksNothingAndRecordsNoPath) {
  ASSERT_FALSE(detect_anomaly());
  Tensor x = from_vector({-1.0f, 4.0f}, {2});
  x.set_requires_grad(true);
  Tensor y;
  {
    AnomalyScope scope("encoder");
    EXPECT_EQ(anomaly_module_path(), nullptr);
    y = ops::log(x);  // NaN, silently, as without anomaly mode
  }
  EXPECT_TRUE(std::isnan(y.to_vector<float>()[0]));
  EXPECT_EQ(y.grad_fn()->module_path, nullptr);
  ops::sum(ops::sqrt(y)).backward();  // NaN gradients flow without a report
  EXPECT_TRUE(std::isnan(x.grad().to_vector<float>()[0]));
}

TEST(Anomaly, GuardRestoresThePreviousSetting) {
  ASSERT_FALSE(detect_anomaly());
  {
    DetectAnomalyGuard on;
    EXPECT_TRUE(detect_anomaly());
    {
      DetectAnomalyGuard off(false);
      EXPECT_FALSE(detect_anomaly());
    }
    EXPECT_TRUE(detect_anomaly());
  }
  EXPECT_FALSE(detect_anomaly());
}

namespace {

// After update `at`, writes NaN into one weight (as a diverging run would) and keeps a copy of
// every parameter as it was then.
struct PoisonAfter : train::TrainObserver {
  const nn::Module& model;
  int64_t at;
  std::vector<std::vector<float>> snapshot;
  PoisonAfter(const nn::Module& m, int64_t step) : model(m), at(step) {}
  void on_step(const train::StepRecord& record) override {
    if (record.step != at) return;
    poison(model, "generator.weight");
    for (const Tensor& p : model.parameters()) snapshot.push_back(p.to_vector<float>());
  }
};

void expect_weights_unchanged(const nn::Module& model, const std::vector<std::vector<float>>& snapshot) {
  const std::vector<Tensor> parameters = model.parameters();
  ASSERT_EQ(parameters.size(), snapshot.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    const std::vector<float> now = parameters[i].to_vector<float>();
    for (size_t j = 0; j < now.size(); ++j) {
      const float before = snapshot[i][j];
      ASSERT_TRUE(now[j] == before || (std::isnan(now[j]) && std::isnan(before))) << "parameter " << i << "[" << j << "]";
    }
  }
}

train::TrainOptions quick(int64_t steps) {
  return {.steps = steps, .max_tokens = 256, .lr = 1e-2f, .warmup = 10, .label_smoothing = 0.0f, .log_every = 10,
          .eval_every = 0, .eval_sentences = 50, .seed = 4};
}

}  // namespace

TEST(Anomaly, TrainerStopsOnANanLossBeforeTheOptimizerStep) {
  const auto pairs = testing::reversal_pairs(60);
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  PoisonAfter poisoner(translator.model(), 3);
  train::Trainer trainer(translator, quick(10));
  trainer.add_observer(poisoner);
  expect_error([&] { trainer.fit(pairs, {}); },
               {"Trainer::fit: update 4: the loss is ", "nan;", "weights keep their values from update 3", "--detect-anomaly"});
  ASSERT_FALSE(poisoner.snapshot.empty());
  expect_weights_unchanged(translator.model(), poisoner.snapshot);
}

TEST(Anomaly, TrainerInAnomalyModeNamesTheUpdateAndTheOp) {
  const auto pairs = testing::reversal_pairs(60);
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_transformer);
  PoisonAfter poisoner(translator.model(), 2);
  train::Trainer trainer(translator, quick(10));
  trainer.add_observer(poisoner);
  DetectAnomalyGuard anomaly;
  expect_error([&] { trainer.fit(pairs, {}); },
               {"Trainer::fit: update 3: training stopped before the optimizer step: anomaly: linear produced NaN",
                "already holding NaN"});
  expect_weights_unchanged(translator.model(), poisoner.snapshot);
}

}  // namespace heed
