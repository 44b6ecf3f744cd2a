#include "heed/nn/layer_norm.h"

#include "heed/core/factories.h"
#include "heed/ops/norm.h"

namespace heed::nn {

LayerNorm::LayerNorm(Shape shape, LayerNormOptions options) : normalized_shape(std::move(shape)), eps(options.eps) {
  HEED_CHECK(!normalized_shape.empty() && numel(normalized_shape) > 0, "LayerNorm",
             "normalized_shape {}; expected at least one dim, none empty", normalized_shape);
  if (options.elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    bias = register_parameter("bias", zeros(normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& x) const { return ops::layer_norm(x, normalized_shape, weight, bias, eps); }

std::string LayerNorm::describe() const {
  return fmt::format("LayerNorm({}, eps={}, elementwise_affine={})", normalized_shape, eps, weight.defined());
}

}  // namespace heed::nn
