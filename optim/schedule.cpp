#include "heed/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace heed::optim {

// ---- Schedule ----

void Schedule::step() {
  ++steps_;
  optimizer_.set_lr(static_cast<float>(lr_at(steps_)));
}

void Schedule::check_step(int64_t t, const char* schedule) {
  HEED_CHECK(t >= 0, schedule, "lr_at({}); expected a step count >= 0", t);
}

nn::StateDict Schedule::state_dict() const {
  Tensor count = Tensor::empty({}, Dtype::Int64);
  *count.mutable_data<int64_t>() = steps_;
  return {{"step", count}};
}

void Schedule::load_state_dict(const nn::StateDict& state) {
  auto count = state.find("step");
  HEED_CHECK(state.size() == 1 && count != state.end(), "load_state_dict",
             "a schedule's state dict holds exactly one key, 'step'; got {} keys", state.size());
  const Tensor& value = count->second;
  HEED_CHECK(value.defined() && value.dtype() == Dtype::Int64 && value.dim() == 0 && value.item<int64_t>() >= 0,
             "load_state_dict", "a schedule's 'step' must be an int64 scalar >= 0");
  steps_ = value.item<int64_t>();
  optimizer_.set_lr(static_cast<float>(lr_at(steps_)));
}

// ---- Noam ----

NoamSchedule::NoamSchedule(Optimizer& optimizer, NoamOptions options) : Schedule(optimizer), options_(options) {
  HEED_CHECK(options.d_model > 0 && options.warmup_steps > 0 && options.factor > 0 && std::isfinite(options.factor),
             "NoamSchedule", "d_model {}, warmup_steps {}, factor {}; expected all > 0", options.d_model,
             options.warmup_steps, options.factor);
  start();
}

double NoamSchedule::lr_at(int64_t t) const {
  check_step(t, "NoamSchedule");
  const double n = static_cast<double>(t) + 1, warmup = static_cast<double>(options_.warmup_steps);
  return options_.factor / std::sqrt(static_cast<double>(options_.d_model)) *
         std::min(1 / std::sqrt(n), n / (warmup * std::sqrt(warmup)));
}

// ---- warmup then cosine ----

WarmupCosineSchedule::WarmupCosineSchedule(Optimizer& optimizer, WarmupCosineOptions options)
    : Schedule(optimizer), options_(options) {
  HEED_CHECK(options.warmup_steps >= 0 && options.total_steps > options.warmup_steps, "WarmupCosineSchedule",
             "warmup_steps {}, total_steps {}; expected 0 <= warmup_steps < total_steps", options.warmup_steps,
             options.total_steps);
  HEED_CHECK(options.min_lr >= 0 && options.min_lr <= options.base_lr && std::isfinite(options.base_lr),
             "WarmupCosineSchedule", "base_lr {}, min_lr {}; expected 0 <= min_lr <= base_lr", options.base_lr,
             options.min_lr);
  start();
}

double WarmupCosineSchedule::lr_at(int64_t t) const {
  check_step(t, "WarmupCosineSchedule");
  const auto& [base, warmup, total, min_lr] = options_;
  if (t < warmup) return base * static_cast<double>(t + 1) / static_cast<double>(warmup);
  const double progress = std::min(1.0, static_cast<double>(t - warmup) / static_cast<double>(total - warmup));
  return min_lr + (base - min_lr) * (1 + std::cos(std::numbers::pi * progress)) / 2;
}

// ---- step decay ----

StepDecaySchedule::StepDecaySchedule(Optimizer& optimizer, StepDecayOptions options)
    : Schedule(optimizer), options_(options) {
  HEED_CHECK(options.step_size > 0 && options.gamma > 0 && std::isfinite(options.gamma) && options.base_lr >= 0 &&
                 std::isfinite(options.base_lr),
             "StepDecaySchedule", "base_lr {}, step_size {}, gamma {}; expected base_lr >= 0, step_size > 0, gamma > 0",
             options.base_lr, options.step_size, options.gamma);
  start();
}

double StepDecaySchedule::lr_at(int64_t t) const {
  check_step(t, "StepDecaySchedule");
  return options_.base_lr * std::pow(options_.gamma, static_cast<double>(t / options_.step_size));
}

}  // namespace heed::optim
