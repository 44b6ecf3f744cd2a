// optim::SGD: stochastic gradient descent with optional momentum, Nesterov momentum and L2
// weight decay, step for step as PyTorch 1.13's torch.optim.SGD. Per parameter p, gradient g:
//
//   d = g + weight_decay·p
//   buf = d on the first step, else momentum·buf + (1 − dampening)·d     (when momentum ≠ 0)
//   d = d + momentum·buf with nesterov, else d = buf                      (when momentum ≠ 0)
//   p = p − lr·d
#pragma once

#include "heed/optim/optimizer.h"

namespace heed::optim {

struct SGDOptions {
  float lr = 1e-2f;
  float momentum = 0;
  float dampening = 0;
  float weight_decay = 0;
  bool nesterov = false;  // needs momentum > 0 and dampening == 0
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> parameters, SGDOptions options = {});
  const SGDOptions& options() const { return options_; }

 private:
  std::vector<std::string> buffer_names() const override;
  void update(const Tensor& parameter, const Tensor& grad, ParamState& state) override;

  SGDOptions options_;
};

}  // namespace heed::optim
