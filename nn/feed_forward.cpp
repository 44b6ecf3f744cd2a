#include "heed/nn/feed_forward.h"

#include "heed/ops/elementwise.h"

namespace heed::nn {

FeedForward::FeedForward(int64_t d_model, int64_t d_ff, FeedForwardOptions options)
    : linear1(register_module("linear1", Linear(d_model, d_ff))),
      dropout(register_module("dropout", Dropout(options.dropout))),
      linear2(register_module("linear2", Linear(d_ff, d_model))),
      activation(options.activation) {}

Tensor FeedForward::forward(const Tensor& x) const {
  Tensor hidden = linear1->forward(x);  // (..., d_ff)
  hidden = activation == FeedForwardActivation::ReLU ? ops::relu(hidden) : ops::gelu(hidden);
  hidden = dropout->forward(hidden);    // (..., d_ff)
  return linear2->forward(hidden);      // (..., d_model)
}

std::string FeedForward::describe() const {
  return fmt::format("FeedForward(d_model={}, d_ff={}, dropout={}, activation={})", linear1->weight.size(1),
                     linear1->weight.size(0), dropout->p,
                     activation == FeedForwardActivation::ReLU ? "relu" : "gelu");
}

}  // namespace heed::nn
