#include "heed/optim/optimizer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"

namespace heed::optim {

Optimizer::Optimizer(std::vector<Tensor> parameters, float lr, const char* name)
    : name_(name), parameters_(std::move(parameters)), state_(parameters_.size()), lr_(0) {
  HEED_CHECK(!parameters_.empty(), name_, "got an empty parameter list");
  std::unordered_set<const TensorImpl*> seen;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& p = parameters_[i];
    HEED_CHECK(p.defined(), name_, "parameter {} is an undefined tensor", i);
    HEED_CHECK(p.dtype() == Dtype::Float32, name_, "parameter {} of shape {} holds {}; expected float32", i,
               p.shape(), dtype_name(p.dtype()));
    HEED_CHECK(p.requires_grad() && p.is_leaf(), name_,
               "parameter {} of shape {} {}; expected a leaf that requires grad (it would never get a gradient)",
               i, p.shape(), p.requires_grad() ? "was produced by an op" : "does not require grad");
    HEED_CHECK(p.is_contiguous(), name_, "parameter {} of shape {} is not contiguous (strides {}); expected a dense tensor",
               i, p.shape(), p.strides());
    HEED_CHECK(seen.insert(p.impl()).second, name_, "parameter {} of shape {} is listed twice; it would be updated twice",
               i, p.shape());
  }
  set_lr(lr);
}

void Optimizer::check_setting(bool condition, const std::string& message) const {
  HEED_CHECK(condition, name_, "{}", message);
}

void Optimizer::set_lr(float lr) {
  check_setting(lr >= 0 && std::isfinite(lr), fmt::format("learning rate {}; expected a finite value >= 0", lr));
  lr_ = lr;
}

void Optimizer::zero_grad() {
  for (const Tensor& p : parameters_) p.set_grad(Tensor());
}

void Optimizer::step() {
  for (size_t i = 0; i < parameters_.size(); ++i) {  // check everything before writing anything
    const Tensor grad = parameters_[i].grad();
    HEED_CHECK(!grad.defined() || grad.dtype() == Dtype::Float32, name_,
               "the gradient of parameter {} (shape {}) holds {}; expected float32", i, grad.shape(),
               dtype_name(grad.dtype()));
  }
  NoGradGuard no_grad;
  const std::vector<std::string> names = buffer_names();
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor grad = parameters_[i].grad();
    if (!grad.defined()) continue;
    ParamState& state = state_[i];
    if (state.step == 0) {
      state.buffers.clear();
      for (size_t b = 0; b < names.size(); ++b) state.buffers.push_back(zeros(parameters_[i].shape()));
    }
    ++state.step;
    update(parameters_[i], dense(grad), state);
  }
}

// ---- state dicts ----

namespace {

Tensor int64_scalar(int64_t value) {
  Tensor t = Tensor::empty({}, Dtype::Int64);
  *t.mutable_data<int64_t>() = value;
  return t;
}

// "state.12.exp_avg" -> (12, "exp_avg"); false for any other form.
bool parse_state_key(const std::string& key, size_t& index, std::string& field) {
  constexpr std::string_view prefix = "state.";
  if (!key.starts_with(prefix)) return false;
  const char* first = key.data() + prefix.size();
  const char* last = key.data() + key.size();
  auto [end, error] = std::from_chars(first, last, index);
  if (error != std::errc() || end == last || *end != '.' || (*first == '0' && end - first > 1)) return false;
  field.assign(end + 1, last);
  return !field.empty();
}

}  // namespace

nn::StateDict Optimizer::state_dict() const {
  nn::StateDict out;
  out["lr"] = scalar_tensor(lr_);
  const std::vector<std::string> names = buffer_names();
  for (size_t i = 0; i < state_.size(); ++i) {
    if (state_[i].step == 0) continue;
    const std::string prefix = fmt::format("state.{}.", i);
    out[prefix + "step"] = int64_scalar(state_[i].step);
    for (size_t b = 0; b < names.size(); ++b) out[prefix + names[b]] = state_[i].buffers[b];
  }
  return out;
}

void Optimizer::load_state_dict(const nn::StateDict& state) {
  const char* op = "load_state_dict";
  const std::vector<std::string> names = buffer_names();
  auto lr = state.find("lr");
  HEED_CHECK(lr != state.end(), op, "{}: the state dict has no 'lr'", name_);
  HEED_CHECK(lr->second.defined() && lr->second.dtype() == Dtype::Float32 && lr->second.dim() == 0, op,
             "{}: 'lr' must be a float32 scalar (shape [])", name_);
  const float new_lr = lr->second.item<float>();
  HEED_CHECK(new_lr >= 0 && std::isfinite(new_lr), op, "{}: 'lr' is {}; expected a finite value >= 0", name_, new_lr);
  // First pass: every key is known and well-formed.
  std::vector<ParamState> loaded(parameters_.size());
  std::vector<size_t> fields_seen(parameters_.size(), 0);
  for (const auto& [key, value] : state) {
    if (key == "lr") continue;
    size_t i = 0;
    std::string field;
    HEED_CHECK(parse_state_key(key, i, field), op, "{}: unexpected key '{}'; expected 'lr' or 'state.<i>.<name>'",
               name_, key);
    HEED_CHECK(i < parameters_.size(), op, "{}: '{}' is for parameter {}, but the optimizer has {} parameters",
               name_, key, i, parameters_.size());
    HEED_CHECK(value.defined(), op, "{}: '{}' is an undefined tensor", name_, key);
    ++fields_seen[i];
    if (field == "step") {
      HEED_CHECK(value.dtype() == Dtype::Int64 && value.dim() == 0 && value.item<int64_t>() >= 1, op,
                 "{}: '{}' must be an int64 scalar >= 1", name_, key);
      loaded[i].step = value.item<int64_t>();
      continue;
    }
    auto known = std::find(names.begin(), names.end(), field);
    HEED_CHECK(known != names.end(), op, "{}: unexpected key '{}'; its buffers are {}", name_, key, names);
    const Tensor& p = parameters_[i];
    HEED_CHECK(value.dtype() == Dtype::Float32 && value.shape() == p.shape(), op,
               "{}: '{}' is {} of shape {}; parameter {} is float32 of shape {}", name_, key,
               dtype_name(value.dtype()), value.shape(), i, p.shape());
  }
  // Second pass: each parameter's state is complete (a step and every buffer) or absent.
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (fields_seen[i] == 0) continue;
    HEED_CHECK(loaded[i].step >= 1 && fields_seen[i] == names.size() + 1, op,
               "{}: the state of parameter {} is incomplete; expected 'state.{}.step' and the buffers {}", name_,
               i, i, names);
  }
  // Checks passed: copy the values in.
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (loaded[i].step == 0) continue;
    for (const std::string& field : names)
      loaded[i].buffers.push_back(contiguous_copy(state.at(fmt::format("state.{}.{}", i, field))));
  }
  state_ = std::move(loaded);
  lr_ = new_lr;
}

}  // namespace heed::optim
