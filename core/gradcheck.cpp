#include "heed/core/gradcheck.h"

#include <cmath>

#include "heed/core/autograd.h"
#include "heed/core/kernels.h"
#include "heed/core/random.h"

namespace heed {
namespace {

constexpr size_t kMismatchesReported = 5;
constexpr uint64_t kWeightSeed = 0x6772616463686563ULL;  // fixed, so gradcheck never moves the user's RNG

// S = Σ r · y in double.
double weighted_sum(const Tensor& y, const std::vector<float>& weights) {
  std::vector<float> values = y.to_vector<float>();
  double total = 0;
  for (size_t i = 0; i < values.size(); ++i) total += static_cast<double>(weights[i]) * values[i];
  return total;
}

// Storage offset of the element with row-major position `flat` in `t`.
int64_t storage_position(const Tensor& t, int64_t flat) {
  int64_t position = t.offset();
  for (size_t d = t.shape().size(); d-- > 0;) {
    position += (flat % t.shape()[d]) * t.strides()[d];
    flat /= t.shape()[d];
  }
  return position;
}


}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const std::string& op,
                          GradcheckOptions options) {
  for (const Tensor& input : inputs) {
    if (!input.defined() || !input.requires_grad()) continue;
    for (size_t d = 0; d < input.shape().size(); ++d)
      HEED_CHECK(input.strides()[d] != 0 || input.shape()[d] == 1, "gradcheck",
                 "input of shape {} has stride 0 in dim {} (a broadcast view); pass a dense tensor",
                 input.shape(), d);
    input.set_grad(Tensor());
  }

  Tensor output = f(inputs);
  check_dtype(output, Dtype::Float32, "gradcheck", "f's output");
  std::vector<float> weights(static_cast<size_t>(output.numel()));
  for (size_t i = 0; i < weights.size(); ++i)
    weights[i] = 2.0f * uniform_from_bits(random_bits(kWeightSeed, i)) - 1.0f;
  HEED_CHECK(output.requires_grad(), "gradcheck",
             "{}'s output does not require grad: no input requires grad, or the op recorded nothing", op);
  Tensor weight_tensor = Tensor::empty(output.shape());
  std::copy(weights.begin(), weights.end(), weight_tensor.mutable_data<float>());
  backward(output, weight_tensor);

  GradcheckResult result;
  size_t mismatches = 0;
  NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& input = inputs[k];
    if (!input.defined() || !input.requires_grad()) continue;
    Tensor analytic = input.grad();
    std::vector<float> received = analytic.defined() ? contiguous_copy(analytic).to_vector<float>()
                                                     : std::vector<float>(static_cast<size_t>(input.numel()), 0.0f);
    float* storage = static_cast<float*>(input.storage()->data());
    for (int64_t i = 0; i < input.numel(); ++i) {
      float& element = storage[storage_position(input, i)];
      const float original = element;
      element = static_cast<float>(original + options.eps);
      double plus = weighted_sum(f(inputs), weights);
      element = static_cast<float>(original - options.eps);
      double minus = weighted_sum(f(inputs), weights);
      element = original;
      // The step actually taken, after rounding to float: divide by it, not by 2 eps.
      double step = static_cast<double>(static_cast<float>(original + options.eps)) -
                    static_cast<double>(static_cast<float>(original - options.eps));
      double expected = (plus - minus) / step;
      double got = received[static_cast<size_t>(i)];
      if (std::fabs(got - expected) > options.atol + options.rtol * std::fabs(expected)) {
        result.ok = false;
        if (mismatches++ < kMismatchesReported)
          result.message += fmt::format("gradcheck {}: input {} (shape {}) at {}: expected {:.6g} (finite "
                                        "differences), received {:.6g} (backward)\n",
                                        op, k, input.shape(), unravel_index(i, input.shape()), expected, got);
      }
    }
    input.set_grad(Tensor());
  }
  if (mismatches > kMismatchesReported)
    result.message += fmt::format("... and {} more mismatches\n", mismatches - kMismatchesReported);
  return result;
}

}  // namespace heed
