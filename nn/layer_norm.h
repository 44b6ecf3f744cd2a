// nn::LayerNorm: normalises over the last dims to mean 0 and variance 1, then scales by weight
// (ones at first) and shifts by bias (zeros at first), as PyTorch's LayerNorm.
#pragma once

#include "heed/nn/module.h"

namespace heed::nn {

struct LayerNormOptions {
  float eps = 1e-5f;
  bool elementwise_affine = true;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
  explicit LayerNorm(int64_t features, LayerNormOptions options = {}) : LayerNorm(Shape{features}, options) {}
  // x (..., *normalized_shape) -> same shape
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;

  Tensor weight;  // normalized_shape, undefined without elementwise_affine
  Tensor bias;
  Shape normalized_shape;
  float eps;
};

}  // namespace heed::nn
