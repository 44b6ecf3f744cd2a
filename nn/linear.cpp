#include "heed/nn/linear.h"

#include <cmath>

#include "heed/core/factories.h"
#include "heed/nn/init.h"
#include "heed/ops/matmul.h"

namespace heed::nn {

Linear::Linear(int64_t in_features, int64_t out_features, LinearOptions options) {
  HEED_CHECK(in_features > 0 && out_features > 0, "Linear", "in_features {} and out_features {}; expected both > 0",
             in_features, out_features);
  weight = register_parameter("weight", Tensor::empty({out_features, in_features}));
  init::kaiming_uniform_(weight, std::sqrt(5.0f));
  if (options.bias) {
    float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
    bias = register_parameter("bias", Tensor::empty({out_features}));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) const { return ops::linear(x, weight, bias); }

std::string Linear::describe() const {
  return fmt::format("Linear(in_features={}, out_features={}, bias={})", weight.size(1), weight.size(0),
                     bias.defined());
}

}  // namespace heed::nn
