// Learning-rate schedules: PyTorch's StepLR, CosineAnnealingLR and LambdaLR (with the Noam and
// warmup-cosine formulas written in tests/golden/make_golden_optim.py), the formulas at chosen
// points computed here by hand, how a schedule drives its optimizer, and its state dict.
#include <cmath>
#include <memory>
#include <numbers>

#include "golden.h"
#include "heed/optim/schedule.h"
#include "heed/optim/sgd.h"

namespace heed {
namespace {

using testing::expect_error;
using testing::golden_cases;
using testing::Json;

std::vector<Tensor> one_parameter() { return {zeros({1}, {.requires_grad = true})}; }

std::unique_ptr<optim::Schedule> make_schedule(optim::Optimizer& optimizer, const Json& c) {
  const std::string kind = c.at("schedule").get<std::string>();
  const Json& s = c.at("settings");
  if (kind == "noam")
    return std::make_unique<optim::NoamSchedule>(
        optimizer, optim::NoamOptions{.d_model = s.at("d_model").get<int64_t>(),
                                      .warmup_steps = s.at("warmup_steps").get<int64_t>(),
                                      .factor = s.at("factor").get<double>()});
  if (kind == "warmup_cosine")
    return std::make_unique<optim::WarmupCosineSchedule>(
        optimizer, optim::WarmupCosineOptions{.base_lr = s.at("base_lr").get<double>(),
                                              .warmup_steps = s.at("warmup_steps").get<int64_t>(),
                                              .total_steps = s.at("total_steps").get<int64_t>(),
                                              .min_lr = s.at("min_lr").get<double>()});
  return std::make_unique<optim::StepDecaySchedule>(
      optimizer, optim::StepDecayOptions{.base_lr = s.at("base_lr").get<double>(),
                                         .step_size = s.at("step_size").get<int64_t>(),
                                         .gamma = s.at("gamma").get<double>()});
}

TEST(Schedule, MatchesPyTorchSchedulers) {
  for (const Json& c : golden_cases("schedule")) {
    const std::string name = c.at("name").get<std::string>();
    optim::SGD sgd(one_parameter(), {.lr = 123.0f});
    auto schedule = make_schedule(sgd, c);
    const std::vector<double> lrs = c.at("lrs").get<std::vector<double>>();
    for (size_t t = 0; t < lrs.size(); ++t) {
      if (t > 0) schedule->step();
      EXPECT_NEAR(schedule->lr_at(static_cast<int64_t>(t)), lrs[t], 1e-12 * lrs[t]) << name << ", t = " << t;
      EXPECT_NEAR(sgd.lr(), lrs[t], 1e-7 * lrs[t]) << name << ", t = " << t;  // float32 in the optimizer
    }
    EXPECT_EQ(schedule->steps_taken(), static_cast<int64_t>(lrs.size()) - 1);
  }
}

TEST(Schedule, NoamByHand) {
  optim::SGD sgd(one_parameter());
  optim::NoamSchedule noam(sgd, {.d_model = 64, .warmup_steps = 100, .factor = 2.0});
  // Warmup: lr ∝ n (n = t + 1); the peak at n = warmup is factor / √(d_model · warmup) = 2 / 80.
  EXPECT_DOUBLE_EQ(noam.lr_at(99), 2.0 / 80.0);
  EXPECT_DOUBLE_EQ(noam.lr_at(0), 2.0 / 80.0 / 100.0);
  EXPECT_DOUBLE_EQ(noam.lr_at(49), 2.0 / 80.0 / 2.0);
  // Then 1/√n: four times the updates, half the rate.
  EXPECT_DOUBLE_EQ(noam.lr_at(399), 2.0 / 80.0 / 2.0);
  EXPECT_DOUBLE_EQ(noam.lr_at(9999), 2.0 / 8.0 / 100.0);
  EXPECT_FLOAT_EQ(sgd.lr(), static_cast<float>(2.0 / 80.0 / 100.0));  // set on construction
}

TEST(Schedule, WarmupCosineByHand) {
  optim::SGD sgd(one_parameter());
  optim::WarmupCosineSchedule schedule(sgd, {.base_lr = 0.4, .warmup_steps = 4, .total_steps = 24, .min_lr = 0.1});
  EXPECT_DOUBLE_EQ(schedule.lr_at(0), 0.1);  // 0.4 · 1/4
  EXPECT_DOUBLE_EQ(schedule.lr_at(1), 0.2);
  EXPECT_DOUBLE_EQ(schedule.lr_at(3), 0.4);   // the peak, on update 4 ...
  EXPECT_DOUBLE_EQ(schedule.lr_at(4), 0.4);   // ... and 5, where the cosine starts
  EXPECT_DOUBLE_EQ(schedule.lr_at(14), 0.25);  // halfway down: (0.4 + 0.1) / 2
  EXPECT_NEAR(schedule.lr_at(9), 0.1 + 0.3 * (1 + std::cos(std::numbers::pi / 4)) / 2, 1e-15);
  EXPECT_DOUBLE_EQ(schedule.lr_at(24), 0.1);
  EXPECT_DOUBLE_EQ(schedule.lr_at(1000), 0.1);  // stays at min_lr
}

TEST(Schedule, StepDecayByHand) {
  optim::SGD sgd(one_parameter());
  optim::StepDecaySchedule schedule(sgd, {.base_lr = 0.5, .step_size = 10, .gamma = 0.5});
  EXPECT_DOUBLE_EQ(schedule.lr_at(9), 0.5);
  EXPECT_DOUBLE_EQ(schedule.lr_at(10), 0.25);
  EXPECT_DOUBLE_EQ(schedule.lr_at(35), 0.0625);
}

TEST(Schedule, StepSetsTheRateOfTheNextUpdate) {
  optim::SGD sgd(one_parameter(), {.lr = 99.0f});
  optim::StepDecaySchedule schedule(sgd, {.base_lr = 1.0, .step_size = 2, .gamma = 0.1});
  EXPECT_EQ(sgd.lr(), 1.0f);
  schedule.step();
  EXPECT_EQ(sgd.lr(), 1.0f);
  schedule.step();
  EXPECT_EQ(sgd.lr(), 0.1f);
  EXPECT_EQ(schedule.steps_taken(), 2);
}

TEST(Schedule, StateDictRestoresTheCountAndTheRate) {
  optim::SGD sgd(one_parameter());
  optim::NoamSchedule noam(sgd, {.d_model = 16, .warmup_steps = 5});
  for (int i = 0; i < 7; ++i) noam.step();
  nn::StateDict state = noam.state_dict();
  EXPECT_EQ(state.size(), 1u);
  EXPECT_EQ(state.at("step").item<int64_t>(), 7);
  EXPECT_EQ(state.at("step").dtype(), Dtype::Int64);

  optim::SGD fresh_sgd(one_parameter());
  optim::NoamSchedule fresh(fresh_sgd, {.d_model = 16, .warmup_steps = 5});
  fresh.load_state_dict(state);
  EXPECT_EQ(fresh.steps_taken(), 7);
  EXPECT_EQ(fresh_sgd.lr(), sgd.lr());
  EXPECT_EQ(fresh_sgd.lr(), static_cast<float>(noam.lr_at(7)));

  expect_error([&] { fresh.load_state_dict({}); }, {"load_state_dict", "'step'"});
  expect_error([&] { fresh.load_state_dict({{"step", scalar_tensor(3)}}); }, {"int64 scalar"});
  EXPECT_EQ(fresh.steps_taken(), 7);
}

TEST(Schedule, RejectsBadSettings) {
  optim::SGD sgd(one_parameter());
  expect_error([&] { optim::NoamSchedule(sgd, {.d_model = 0}); }, {"NoamSchedule", "d_model 0"});
  expect_error([&] { optim::NoamSchedule(sgd, {.warmup_steps = 0}); }, {"NoamSchedule", "warmup_steps 0"});
  expect_error([&] { optim::WarmupCosineSchedule(sgd, {.warmup_steps = 10, .total_steps = 10}); },
               {"WarmupCosineSchedule", "warmup_steps 10, total_steps 10"});
  expect_error([&] { optim::WarmupCosineSchedule(sgd, {.base_lr = 0.1, .min_lr = 0.2}); }, {"min_lr 0.2"});
  expect_error([&] { optim::StepDecaySchedule(sgd, {.step_size = 0}); }, {"StepDecaySchedule", "step_size 0"});
  expect_error([&] { optim::StepDecaySchedule(sgd, {.gamma = -1}); }, {"gamma -1"});
  optim::StepDecaySchedule schedule(sgd, {});
  expect_error([&] { schedule.lr_at(-1); }, {"StepDecaySchedule", "lr_at(-1)"});
}

}  // namespace
}  // namespace heed
