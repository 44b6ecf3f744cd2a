// Dropout and the activation functions as modules, for Sequential and for printouts.
#pragma once

#include "heed/nn/module.h"
#include "heed/ops/dropout.h"
#include "heed/ops/elementwise.h"

namespace heed::nn {

// Zeroes each element with probability p while training (scaling the rest by 1/(1−p)); the
// identity in eval mode.
class Dropout : public Module {
 public:
  explicit Dropout(float probability = 0.5f) : p(probability) {
    HEED_CHECK(p >= 0.0f && p <= 1.0f, "Dropout", "p = {}; expected a probability in [0, 1]", p);
  }
  Tensor forward(const Tensor& x) const { return ops::dropout(x, p, is_training()); }
  std::string describe() const override { return fmt::format("Dropout(p={})", p); }
  float p;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) const { return ops::relu(x); }
  std::string describe() const override { return "ReLU()"; }
};

class GELU : public Module {
 public:
  Tensor forward(const Tensor& x) const { return ops::gelu(x); }
  std::string describe() const override { return "GELU()"; }
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) const { return ops::tanh(x); }
  std::string describe() const override { return "Tanh()"; }
};

}  // namespace heed::nn
