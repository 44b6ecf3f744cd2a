// nn::FeedForward: the position-wise feed-forward block of a Transformer layer,
//   FFN(x) = linear2(dropout(activation(linear1(x))))
// applied to every position alone: d_model -> d_ff (the paper: 512 -> 2048) -> d_model. The
// submodules carry the names PyTorch's TransformerEncoderLayer gives them (linear1, dropout,
// linear2), so its state-dict keys "linear1.weight", ... match. The dropout after linear2 and the
// residual connection belong to the Transformer layer, as in PyTorch.
#pragma once

#include <memory>

#include "heed/nn/activation.h"
#include "heed/nn/linear.h"
#include "heed/nn/module.h"

namespace heed::nn {

enum class FeedForwardActivation { ReLU, GELU };

struct FeedForwardOptions {
  float dropout = 0.1f;  // PyTorch's Transformer default
  FeedForwardActivation activation = FeedForwardActivation::ReLU;
};

class FeedForward : public Module {
 public:
  FeedForward(int64_t d_model, int64_t d_ff, FeedForwardOptions options = {});
  // x (..., d_model) -> (..., d_model)
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;

  std::shared_ptr<Linear> linear1;  // d_model -> d_ff
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;  // d_ff -> d_model
  FeedForwardActivation activation;
};

}  // namespace heed::nn
