#include "heed/nn/module.h"

#include <cxxabi.h>

#include <set>
#include <typeinfo>
#include <unordered_set>

#include "heed/core/autograd.h"
#include "heed/core/kernels.h"

namespace heed::nn {

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_parameters()) out.push_back(tensor);
  return out;
}

Named<Tensor> Module::named_parameters() const {
  Named<Tensor> parameters, buffers;
  collect("", parameters, buffers);
  return parameters;
}

Named<Tensor> Module::named_buffers() const {
  Named<Tensor> parameters, buffers;
  collect("", parameters, buffers);
  return buffers;
}

// Depth-first, registration order; a tensor shared by two modules is listed once, under the name
// it was first reached by (so a tied embedding is trained and saved once).
void Module::collect(const std::string& prefix, Named<Tensor>& parameters, Named<Tensor>& buffers) const {
  std::unordered_set<const TensorImpl*> seen;
  for (auto& list : {&parameters, &buffers})
    for (auto& [name, tensor] : *list) seen.insert(tensor.impl());
  for (auto& [name, tensor] : parameters_)
    if (seen.insert(tensor.impl()).second) parameters.emplace_back(prefix + name, tensor);
  for (auto& [name, tensor] : buffers_)
    if (seen.insert(tensor.impl()).second) buffers.emplace_back(prefix + name, tensor);
  for (auto& [name, child] : children_) child->collect(prefix + name + ".", parameters, buffers);
}

int64_t Module::parameter_count() const {
  int64_t count = 0;
  for (const Tensor& p : parameters()) count += p.numel();
  return count;
}

void Module::train(bool training) {
  training_ = training;
  for (auto& [name, child] : children_) child->train(training);
}

void Module::zero_grad() {
  for (const Tensor& p : parameters()) p.set_grad(Tensor());
}

StateDict Module::state_dict() const {
  Named<Tensor> parameters, buffers;
  collect("", parameters, buffers);
  StateDict state(parameters.begin(), parameters.end());
  state.insert(buffers.begin(), buffers.end());
  return state;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict own = state_dict();
  std::vector<std::string> missing, unexpected;
  for (auto& [name, tensor] : own) {
    auto found = state.find(name);
    if (found == state.end()) {
      missing.push_back(name);
      continue;
    }
    const Tensor& value = found->second;
    HEED_CHECK(value.defined() && value.shape() == tensor.shape() && value.dtype() == tensor.dtype(),
               "load_state_dict", "'{}': the module has {} of shape {}, the state dict {} of shape {}",
               name, dtype_name(tensor.dtype()), tensor.shape(),
               value.defined() ? dtype_name(value.dtype()) : "nothing",
               value.defined() ? value.shape() : Shape{});
  }
  for (auto& [name, tensor] : state)
    if (!own.contains(name)) unexpected.push_back(name);
  HEED_CHECK(!strict || (missing.empty() && unexpected.empty()), "load_state_dict",
             "keys do not match: missing {}, unexpected {}; pass strict=false to load the ones that match",
             missing, unexpected);
  NoGradGuard no_grad;  // checks passed: now write
  for (auto& [name, tensor] : own) {
    auto found = state.find(name);
    if (found != state.end()) copy_into(tensor, found->second);
  }
}

std::string Module::describe() const {
  const char* mangled = typeid(*this).name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  std::string name = status == 0 ? demangled.get() : mangled;
  size_t template_start = name.find('<');
  size_t last_colon = name.rfind("::", template_start);
  return last_colon == std::string::npos ? name : name.substr(last_colon + 2);
}

std::string Module::to_string() const {
  std::string out;
  print(out, "", "");
  return out;
}

// One line per module (its description and parameter count, descendants included), then its own
// tensors with their shapes, then its children, each level indented two more spaces.
void Module::print(std::string& out, const std::string& name, const std::string& indent) const {
  out += fmt::format("{}{}{}  [{} parameters]\n", indent, name.empty() ? "" : name + ": ", describe(),
                     parameter_count());
  for (auto& [tensor_name, tensor] : parameters_)
    out += fmt::format("{}  {} {}\n", indent, tensor_name, tensor.shape());
  for (auto& [tensor_name, tensor] : buffers_)
    out += fmt::format("{}  {} {} (buffer)\n", indent, tensor_name, tensor.shape());
  for (auto& [child_name, child] : children_) child->print(out, child_name, indent + "  ");
}

void Module::check_new_name(const std::string& name) const {
  HEED_CHECK(!name.empty() && name.find('.') == std::string::npos, "register",
             "name '{}' must be non-empty and contain no '.' (dots join the names of nested modules)", name);
  auto taken = [&name](const auto& list) {
    for (auto& [existing, item] : list)
      if (existing == name) return true;
    return false;
  };
  HEED_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), "register",
             "'{}' is already registered in this {}", name, describe());
}

Tensor Module::register_parameter(std::string name, Tensor value, bool requires_grad) {
  check_new_name(name);
  check_dtype(value, Dtype::Float32, "register_parameter", name.c_str());
  HEED_CHECK(value.is_leaf(), "register_parameter",
             "'{}' was produced by an op ('{}'); a parameter must be a leaf: detach() it first", name,
             value.grad_fn()->op);
  value.set_requires_grad(requires_grad);
  parameters_.emplace_back(std::move(name), value);
  return value;
}

Tensor Module::register_buffer(std::string name, Tensor value) {
  check_new_name(name);
  HEED_CHECK(value.defined(), "register_buffer", "'{}' is an undefined tensor", name);
  buffers_.emplace_back(std::move(name), value);
  return value;
}

void Module::add_child(std::string name, std::shared_ptr<Module> child) {
  check_new_name(name);
  HEED_CHECK(child != nullptr, "register_module", "'{}' is a null module", name);
  child->train(training_);
  children_.emplace_back(std::move(name), std::move(child));
}

}  // namespace heed::nn
