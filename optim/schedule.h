// Learning-rate schedules: a schedule sets its optimizer's learning rate before every update.
//
//   optim::Adam opt(model.parameters());
//   optim::NoamSchedule schedule(opt, {.d_model = 512, .warmup_steps = 4000});  // sets lr_at(0)
//   for (...) { opt.zero_grad(); loss.backward(); opt.step(); schedule.step(); }
//
// Steps are counted as PyTorch's schedulers count them: lr_at(t) is the rate of the update that
// follows t earlier updates, so lr_at(0) is the first update's. Constructing a schedule sets
// lr_at(0); each step() counts one update and sets lr_at(steps_taken()). lr_at is a pure function
// of t, for tests and plots. A schedule keeps a reference to its optimizer, which must outlive it.
#pragma once

#include "heed/optim/optimizer.h"

namespace heed::optim {

class Schedule {
 public:
  virtual ~Schedule() = default;
  Schedule(const Schedule&) = delete;
  Schedule& operator=(const Schedule&) = delete;

  // The learning rate after t updates (t >= 0).
  virtual double lr_at(int64_t t) const = 0;
  // Counts one optimizer update and sets the rate of the next.
  void step();
  int64_t steps_taken() const { return steps_; }

  // {"step": int64 scalar}: the updates counted so far.
  nn::StateDict state_dict() const;
  // Restores the count and sets the optimizer's rate to lr_at(count). Call it after the
  // optimizer's own load_state_dict.
  void load_state_dict(const nn::StateDict& state);

 protected:
  explicit Schedule(Optimizer& optimizer) : optimizer_(optimizer) {}
  // Sets the first update's rate; each schedule's constructor calls it once its settings are checked.
  void start() { optimizer_.set_lr(static_cast<float>(lr_at(0))); }
  // Throws naming the schedule unless t >= 0.
  static void check_step(int64_t t, const char* schedule);

 private:
  Optimizer& optimizer_;
  int64_t steps_ = 0;
};

// "Attention Is All You Need", eq. 3, with n = t + 1 (the paper counts updates from 1):
//   lr = factor · d_model^−0.5 · min(n^−0.5, n · warmup_steps^−1.5)
// rises linearly for warmup_steps updates, peaks there at factor · (d_model · warmup_steps)^−0.5,
// then decays as 1/√n. Like LambdaLR(opt, λ) with base lr 1 and λ(t) the formula.
struct NoamOptions {
  int64_t d_model = 512;
  int64_t warmup_steps = 4000;
  double factor = 1.0;
};

class NoamSchedule : public Schedule {
 public:
  NoamSchedule(Optimizer& optimizer, NoamOptions options);
  double lr_at(int64_t t) const override;

 private:
  NoamOptions options_;
};

// Linear warmup to base_lr, then half a cosine down to min_lr:
//   t < warmup_steps:  base_lr · (t + 1) / warmup_steps          (reaches base_lr on update warmup_steps)
//   otherwise:         min_lr + (base_lr − min_lr) · (1 + cos(π·p)) / 2,
//                      p = min(1, (t − warmup_steps) / (total_steps − warmup_steps))
// so the peak is used for two updates (t = warmup_steps − 1 and warmup_steps), and min_lr from
// t = total_steps on. Without warmup this is PyTorch's CosineAnnealingLR(T_max = total_steps,
// eta_min = min_lr) up to t = total_steps (which then rises again; this stays at min_lr).
struct WarmupCosineOptions {
  double base_lr = 1e-3;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1000;
  double min_lr = 0;
};

class WarmupCosineSchedule : public Schedule {
 public:
  WarmupCosineSchedule(Optimizer& optimizer, WarmupCosineOptions options);
  double lr_at(int64_t t) const override;

 private:
  WarmupCosineOptions options_;
};

// Step decay, PyTorch's StepLR: lr = base_lr · gamma^⌊t / step_size⌋.
struct StepDecayOptions {
  double base_lr = 1e-3;
  int64_t step_size = 1000;
  double gamma = 0.1;
};

class StepDecaySchedule : public Schedule {
 public:
  StepDecaySchedule(Optimizer& optimizer, StepDecayOptions options);
  double lr_at(int64_t t) const override;

 private:
  StepDecayOptions options_;
};

}  // namespace heed::optim
