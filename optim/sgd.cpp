#include "heed/optim/sgd.h"

#include <cmath>

#include "heed/core/parallel.h"

namespace heed::optim {

SGD::SGD(std::vector<Tensor> parameters, SGDOptions options)
    : Optimizer(std::move(parameters), options.lr, "SGD"), options_(options) {
  auto finite_nonnegative = [](float x) { return x >= 0 && std::isfinite(x); };
  check_setting(finite_nonnegative(options.momentum), fmt::format("momentum {}; expected >= 0", options.momentum));
  check_setting(finite_nonnegative(options.dampening), fmt::format("dampening {}; expected >= 0", options.dampening));
  check_setting(finite_nonnegative(options.weight_decay),
                fmt::format("weight_decay {}; expected >= 0", options.weight_decay));
  check_setting(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
                fmt::format("nesterov needs momentum > 0 and dampening 0; got momentum {}, dampening {}",
                            options.momentum, options.dampening));
}

std::vector<std::string> SGD::buffer_names() const {
  if (options_.momentum == 0) return {};
  return {"momentum_buffer"};
}

namespace {

// The settings of one SGD update of one parameter, as the element loop uses them.
struct SGDStep {
  float lr, momentum, keep, weight_decay;  // keep = 1 − dampening
  bool nesterov, first_step;
};

// Elements [lo, hi) of the update; the formulas are in sgd.h. A plain function of values, so the
// compiler can see that no store changes the settings and vectorises the loop. buf is null
// without momentum.
void sgd_range(const SGDStep s, float* p, const float* g, float* buf, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; ++i) {
    float d = g[i];
    if (s.weight_decay != 0) d += s.weight_decay * p[i];
    if (buf != nullptr) {
      const float b = s.first_step ? d : s.momentum * buf[i] + s.keep * d;
      buf[i] = b;
      d = s.nesterov ? d + s.momentum * b : b;
    }
    p[i] -= s.lr * d;
  }
}

}  // namespace

void SGD::update(const Tensor& parameter, const Tensor& grad, ParamState& state) {
  const SGDStep s{.lr = lr(),
                  .momentum = options_.momentum,
                  .keep = 1.0f - options_.dampening,
                  .weight_decay = options_.weight_decay,
                  .nesterov = options_.nesterov,
                  .first_step = state.step == 1};
  float* p = parameter.mutable_data<float>();
  const float* g = grad.data<float>();
  float* buf = s.momentum != 0 ? state.buffers[0].mutable_data<float>() : nullptr;
  parallel_for(0, parameter.numel(), kElementwiseGrain,
               [&](int64_t lo, int64_t hi) { sgd_range(s, p, g, buf, lo, hi); });
}

}  // namespace heed::optim
