// nn::Sequential: modules applied one after another, named "0", "1", ... as in PyTorch.
//
//   nn::Sequential mlp;
//   mlp.push_back(nn::Linear(4, 16)).push_back(nn::ReLU()).push_back(nn::Linear(16, 2));
//   Tensor y = mlp.forward(x);
//
// Any module whose forward takes and returns one Tensor can be added.
#pragma once

#include <functional>

#include "heed/nn/module.h"

namespace heed::nn {

class Sequential : public Module {
 public:
  template <std::derived_from<Module> M>
  Sequential& push_back(M&& module) {
    return push_back(std::make_shared<M>(std::move(module)));
  }
  template <std::derived_from<Module> M>
  Sequential& push_back(std::shared_ptr<M> module) {
    auto held = register_module(std::to_string(steps_.size()), std::move(module));
    steps_.push_back([held](const Tensor& x) { return held->forward(x); });
    return *this;
  }

  Tensor forward(Tensor x) const {
    for (const auto& step : steps_) x = step(x);
    return x;
  }
  size_t size() const { return steps_.size(); }
  std::string describe() const override { return "Sequential"; }

 private:
  std::vector<std::function<Tensor(const Tensor&)>> steps_;
};

}  // namespace heed::nn
