#include "heed/optim/adam.h"

#include <algorithm>
#include <cmath>

#include "heed/core/parallel.h"

namespace heed::optim {
namespace {

// The settings of one Adam(W) update of one parameter, as the element loop uses them.
struct AdamStep {
  float beta1, beta2, one_minus_beta1, one_minus_beta2, eps;
  float l2;                    // Adam's weight decay (added to the gradient), else 0
  float decay;                 // AdamW's factor 1 − lr·weight_decay, else 1
  float step_size;             // lr / (1 − β1^t)
  float bias_correction2_sqrt; // √(1 − β2^t)
  bool amsgrad;
};

AdamStep settings(float lr, std::array<float, 2> betas, float eps, bool amsgrad, int64_t step) {
  const double t = static_cast<double>(step);
  return {.beta1 = betas[0],
          .beta2 = betas[1],
          .one_minus_beta1 = 1.0f - betas[0],
          .one_minus_beta2 = 1.0f - betas[1],
          .eps = eps,
          .l2 = 0,
          .decay = 1,
          .step_size = static_cast<float>(lr / (1.0 - std::pow(static_cast<double>(betas[0]), t))),
          .bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(betas[1]), t))),
          .amsgrad = amsgrad};
}

// Elements [lo, hi) of the update. A plain function of values: the compiler can see that no
// store into p, m or v changes the settings, and vectorises the loop (a lambda reading them from
// its closure does not get vectorised).
template <bool kAmsgrad>
void adam_range(const AdamStep s, float* p, const float* g, float* m, float* v, float* v_max, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; ++i) {
    float gi = g[i];
    if (s.l2 != 0) gi += s.l2 * p[i];
    const float mi = s.beta1 * m[i] + s.one_minus_beta1 * gi;
    const float vi = s.beta2 * v[i] + s.one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float second_moment = vi;
    if constexpr (kAmsgrad) second_moment = v_max[i] = std::max(v_max[i], vi);
    const float denom = std::sqrt(second_moment) / s.bias_correction2_sqrt + s.eps;
    p[i] = s.decay * p[i] - s.step_size * mi / denom;
  }
}

// One fused pass over the parameter, its gradient and its buffers [exp_avg, exp_avg_sq
// (, max_exp_avg_sq)], split across threads; the formulas are in adam.h.
void adam_update(const AdamStep& s, const Tensor& parameter, const Tensor& grad, std::vector<Tensor>& buffers) {
  float* p = parameter.mutable_data<float>();
  const float* g = grad.data<float>();
  float* m = buffers[0].mutable_data<float>();
  float* v = buffers[1].mutable_data<float>();
  float* v_max = s.amsgrad ? buffers[2].mutable_data<float>() : nullptr;
  parallel_for(0, parameter.numel(), kElementwiseGrain, [&](int64_t lo, int64_t hi) {
    if (s.amsgrad) adam_range<true>(s, p, g, m, v, v_max, lo, hi);
    else adam_range<false>(s, p, g, m, v, v_max, lo, hi);
  });
}

std::vector<std::string> adam_buffer_names(bool amsgrad) {
  if (amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

// The checks PyTorch makes on Adam's and AdamW's settings, as one message (empty when all pass).
std::string bad_setting(std::array<float, 2> betas, float eps, float weight_decay) {
  if (!(betas[0] >= 0 && betas[0] < 1)) return fmt::format("beta1 {}; expected 0 <= beta1 < 1", betas[0]);
  if (!(betas[1] >= 0 && betas[1] < 1)) return fmt::format("beta2 {}; expected 0 <= beta2 < 1", betas[1]);
  if (!(eps >= 0 && std::isfinite(eps))) return fmt::format("eps {}; expected a finite value >= 0", eps);
  if (!(weight_decay >= 0 && std::isfinite(weight_decay)))
    return fmt::format("weight_decay {}; expected a finite value >= 0", weight_decay);
  return {};
}

}  // namespace

Adam::Adam(std::vector<Tensor> parameters, AdamOptions options)
    : Optimizer(std::move(parameters), options.lr, "Adam"), options_(options) {
  std::string problem = bad_setting(options.betas, options.eps, options.weight_decay);
  check_setting(problem.empty(), problem);
}

std::vector<std::string> Adam::buffer_names() const { return adam_buffer_names(options_.amsgrad); }

void Adam::update(const Tensor& parameter, const Tensor& grad, ParamState& state) {
  AdamStep s = settings(lr(), options_.betas, options_.eps, options_.amsgrad, state.step);
  s.l2 = options_.weight_decay;
  adam_update(s, parameter, grad, state.buffers);
}

AdamW::AdamW(std::vector<Tensor> parameters, AdamWOptions options)
    : Optimizer(std::move(parameters), options.lr, "AdamW"), options_(options) {
  std::string problem = bad_setting(options.betas, options.eps, options.weight_decay);
  check_setting(problem.empty(), problem);
}

std::vector<std::string> AdamW::buffer_names() const { return adam_buffer_names(options_.amsgrad); }

void AdamW::update(const Tensor& parameter, const Tensor& grad, ParamState& state) {
  AdamStep s = settings(lr(), options_.betas, options_.eps, options_.amsgrad, state.step);
  s.decay = static_cast<float>(1.0 - static_cast<double>(lr()) * options_.weight_decay);
  adam_update(s, parameter, grad, state.buffers);
}

}  // namespace heed::optim
