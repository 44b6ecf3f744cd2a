// optim::Optimizer: what every optimizer shares. It holds the parameters to train (from
// module.parameters()), one state per parameter (a step count and named buffers such as Adam's
// exp_avg), the learning rate, and the state dict that lets training resume exactly.
//
//   optim::Adam opt(model.parameters(), {.lr = 1e-3, .betas = {0.9, 0.98}, .eps = 1e-9});
//   opt.zero_grad();  loss.backward();  opt.step();
//
// step() checks every gradient, then updates each parameter that has one (a parameter whose grad
// is undefined is skipped, as in PyTorch: its state does not advance). Each update is one fused
// loop over the parameter, its gradient and its buffers, split across threads, under no-grad.
// The optimizers are in optim/sgd.h and optim/adam.h; schedules that drive the learning rate in
// optim/schedule.h; gradient clipping in optim/clip.h.
//
// Hyper-parameters are float32, like the tensors they act on: the learning rate then survives a
// trip through a state dict (and a safetensors file) bit for bit.
#pragma once

#include <string>
#include <vector>

#include "heed/nn/module.h"

namespace heed::optim {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter that has a gradient.
  void step();
  // Drops every parameter's gradient (the next backward starts from nothing), as Module::zero_grad.
  void zero_grad();

  float lr() const { return lr_; }
  // Sets the learning rate of the next steps (schedules call this); must be >= 0.
  void set_lr(float lr);

  const std::vector<Tensor>& parameters() const { return parameters_; }
  // The number of updates parameter i has received (0 until its first gradient arrives).
  int64_t steps_taken(size_t parameter) const { return state_.at(parameter).step; }

  // What training changes, by name: "lr" (float32, shape []) and, for each parameter i that has
  // been updated, "state.<i>.step" (int64, shape []) and "state.<i>.<buffer>" (the parameter's
  // shape), e.g. "state.3.exp_avg". The buffers share storage with the optimizer's: save the
  // dict before the next step. Hyper-parameters other than lr come from the constructor.
  nn::StateDict state_dict() const;
  // Replaces the state with a copy of `state`. The keys, shapes and dtypes must be exactly those
  // state_dict() would give for this optimizer's parameters; everything is checked before
  // anything is written, so on error the optimizer is unchanged.
  void load_state_dict(const nn::StateDict& state);

 protected:
  // What an optimizer keeps per parameter: the updates done so far, and its buffers, in the
  // order of buffer_names() (allocated as zeros before the first update).
  struct ParamState {
    int64_t step = 0;
    std::vector<Tensor> buffers;
  };

  // `name` ("Adam", ...) prefixes error messages. Checks that every parameter is a defined,
  // dense float32 leaf that requires grad, listed once.
  Optimizer(std::vector<Tensor> parameters, float lr, const char* name);

  // The buffers this optimizer keeps per parameter ("exp_avg", ...).
  virtual std::vector<std::string> buffer_names() const = 0;
  // One update of a dense parameter from its dense gradient; state.step already counts it.
  // Called under no-grad, after every input was checked: it must not throw.
  virtual void update(const Tensor& parameter, const Tensor& grad, ParamState& state) = 0;

  // Throws naming this optimizer unless `condition` holds; for hyper-parameter checks.
  void check_setting(bool condition, const std::string& message) const;

 private:
  const char* name_;
  std::vector<Tensor> parameters_;
  std::vector<ParamState> state_;
  float lr_;
};

}  // namespace heed::optim
