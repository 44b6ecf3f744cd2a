// gradcheck: is an op's backward right? Compares it with finite differences.
//
// For a function f of some tensors, gradcheck draws a fixed random weight tensor r of f's output
// shape and studies the scalar S(x) = Σ r · f(x), accumulated in double precision:
//   analytic: backward(f(x), r) gives dS/dx for every input that requires grad;
//   numeric:  (S(x + eps e_i) - S(x - eps e_i)) / (2 eps), one element i at a time.
// Any element where they differ by more than atol + rtol * |numeric| is reported by op, input,
// index, expected (numeric) and received (analytic) value. float32 is precise enough to catch a
// gradient that is wrong by 10% or transposed (the tests prove it on deliberately broken ops).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "heed/core/tensor.h"

namespace heed {

struct GradcheckOptions {
  double eps = 1e-3;
  double atol = 1e-3;
  double rtol = 1e-2;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // the first mismatches, or "" when ok
  explicit operator bool() const { return ok; }
};

// Checks the inputs that require grad. Inputs may be strided views, but not broadcast (stride 0)
// ones: perturbing one stored element would move many logical elements at once.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const std::string& op,
                          GradcheckOptions options = {});

}  // namespace heed
