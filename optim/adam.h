// optim::Adam and optim::AdamW, step for step as PyTorch 1.13's. Per parameter p, gradient g,
// at step t (counted per parameter from 1):
//
//   g = g + weight_decay·p                      Adam only: L2 decay folded into the gradient
//   p = p·(1 − lr·weight_decay)                 AdamW only: decoupled decay (Loshchilov & Hutter)
//   m = β1·m + (1 − β1)·g                       exp_avg
//   v = β2·v + (1 − β2)·g²                      exp_avg_sq
//   v̂ = max(v̂, v) with amsgrad, else v         max_exp_avg_sq
//   p = p − lr/(1 − β1^t) · m / (√v̂ / √(1 − β2^t) + eps)
//
// The bias corrections (1 − β^t) are computed once per parameter in double, as PyTorch does in
// Python; the loop over elements is float32, one pass over p, g, m, v (and v̂).
#pragma once

#include <array>

#include "heed/optim/optimizer.h"

namespace heed::optim {

struct AdamOptions {
  float lr = 1e-3f;
  std::array<float, 2> betas = {0.9f, 0.999f};
  float eps = 1e-8f;
  float weight_decay = 0;  // L2: added to the gradient
  bool amsgrad = false;
};

struct AdamWOptions {
  float lr = 1e-3f;
  std::array<float, 2> betas = {0.9f, 0.999f};
  float eps = 1e-8f;
  float weight_decay = 1e-2f;  // decoupled: shrinks the parameter by lr·weight_decay each step
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> parameters, AdamOptions options = {});
  const AdamOptions& options() const { return options_; }

 private:
  std::vector<std::string> buffer_names() const override;
  void update(const Tensor& parameter, const Tensor& grad, ParamState& state) override;

  AdamOptions options_;
};

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<Tensor> parameters, AdamWOptions options = {});
  const AdamWOptions& options() const { return options_; }

 private:
  std::vector<std::string> buffer_names() const override;
  void update(const Tensor& parameter, const Tensor& grad, ParamState& state) override;

  AdamWOptions options_;
};

}  // namespace heed::optim
