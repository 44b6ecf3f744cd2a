// nn::Linear: y = x Wᵀ + b, the fully connected layer. PyTorch's layout and initialisation:
// weight (out_features, in_features) from kaiming_uniform(a = √5), i.e. U(±1/√in), bias U(±1/√in).
#pragma once

#include "heed/nn/module.h"

namespace heed::nn {

struct LinearOptions {
  bool bias = true;
};

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, LinearOptions options = {});
  // x (..., in_features) -> (..., out_features)
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;

  Tensor weight;  // (out_features, in_features)
  Tensor bias;    // (out_features), undefined without bias
};

}  // namespace heed::nn
