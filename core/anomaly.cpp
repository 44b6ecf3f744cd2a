// Anomaly mode: the module-path stack and the NaN/Inf scans behind record() and backward().
#include "heed/core/anomaly.h"

#include <cmath>
#include <vector>

#include "heed/core/kernels.h"

namespace heed {
namespace {

thread_local std::vector<std::shared_ptr<const std::string>> module_paths;
thread_local bool running_backward = false;

struct NonFinite {
  bool nan = false, positive_inf = false, negative_inf = false;
};

NonFinite scan(const Tensor& t) {
  NonFinite found;
  if (!t.defined() || t.dtype() != Dtype::Float32) return found;
  const Tensor values = dense(t);
  const float* data = values.data<float>();
  for (int64_t i = 0, n = values.numel(); i < n; ++i) {
    const float v = data[i];
    if (std::isnan(v)) found.nan = true;
    else if (std::isinf(v)) (v > 0 ? found.positive_inf : found.negative_inf) = true;
  }
  return found;
}

// "NaN", "+Inf", "NaN and -Inf", ...; empty when every value is finite.
std::string describe(const NonFinite& f) {
  std::string text;
  auto add = [&text](bool present, const char* name) {
    if (!present) return;
    if (!text.empty()) text += " and ";
    text += name;
  };
  add(f.nan, "NaN");
  add(f.positive_inf, "+Inf");
  add(f.negative_inf, "-Inf");
  return text;
}

std::string where(const std::string* module_path) {
  return module_path ? fmt::format("in module {}", *module_path) : std::string("outside every AnomalyScope");
}

}  // namespace

void AnomalyScope::push(std::string_view name) {
  std::string path = module_paths.empty() ? std::string(name) : *module_paths.back() + "." + std::string(name);
  module_paths.push_back(std::make_shared<const std::string>(std::move(path)));
  pushed_ = true;
}

AnomalyScope::~AnomalyScope() {
  if (pushed_) module_paths.pop_back();
}

std::shared_ptr<const std::string> anomaly_module_path() {
  return module_paths.empty() ? nullptr : module_paths.back();
}

AnomalyBackwardScope::AnomalyBackwardScope() : previous_(running_backward) { running_backward = true; }
AnomalyBackwardScope::~AnomalyBackwardScope() { running_backward = previous_; }

void check_forward_anomaly(const char* op, const Tensor& output, std::span<const Tensor> inputs) {
  if (running_backward) return;
  NonFinite found = scan(output);
  if (!found.nan && !found.positive_inf) return;
  found.negative_inf = false;  // allowed in forward outputs: masks write it on purpose
  std::string described_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i > 0) described_inputs += ", ";
    if (!inputs[i].defined()) {
      described_inputs += "undefined";
      continue;
    }
    described_inputs += fmt::format("{}", inputs[i].shape());
    const std::string bad = describe(scan(inputs[i]));
    if (!bad.empty()) described_inputs += fmt::format(" already holding {}", bad);
  }
  const std::shared_ptr<const std::string> path = anomaly_module_path();
  throw AnomalyError(fmt::format("anomaly: {} produced {} in its forward output of shape {} (inputs {}) {}", op,
                                 describe(found), output.shape(), described_inputs, where(path.get())));
}

void check_gradient_anomaly(const char* op, const std::string* module_path, size_t input, const Tensor& grad) {
  const std::string bad = describe(scan(grad));
  if (bad.empty()) return;
  throw AnomalyError(fmt::format("anomaly: {} produced {} in the gradient for input {} of {} (shape {}) {}", op, bad,
                                 input, op, grad.shape(), where(module_path)));
}

}  // namespace heed
