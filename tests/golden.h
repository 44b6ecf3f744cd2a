// Reading the PyTorch golden files in tests/golden/ (written by tests/golden/make_golden.py, which
// documents their layout) and checking an op against one of their cases.
#pragma once

#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "heed/nn/module.h"
#include "test_util.h"

namespace heed::testing {

using Json = nlohmann::json;
using NamedTensors = std::map<std::string, Tensor>;

// The cases of tests/golden/<name>.json.
inline Json golden_cases(const std::string& name) {
  std::ifstream in(std::string(HEED_GOLDEN_DIR) + "/" + name + ".json");
  if (!in) throw std::runtime_error("cannot open tests/golden/" + name + ".json; run make_golden.py");
  Json cases = Json::parse(in).at("cases");
  if (cases.empty()) throw std::runtime_error("tests/golden/" + name + ".json has no cases");
  return cases;
}

// A tensor stored as {"shape": [...], "data": [...]}: int64 when the data are integers.
inline Tensor golden_tensor(const Json& stored) {
  const Shape shape = stored.at("shape").get<Shape>();
  const Json& data = stored.at("data");
  if (!data.empty() && data[0].is_number_integer()) return from_vector(data.get<std::vector<int64_t>>(), shape);
  std::vector<float> values = data.get<std::vector<float>>();
  return shape.empty() ? scalar_tensor(values.at(0)) : from_vector(values, shape);
}

// The case's input tensors by name; the float ones are leaves that require grad.
inline NamedTensors golden_inputs(const Json& golden) {
  NamedTensors inputs;
  for (const auto& [input, stored] : golden.at("inputs").items()) {
    Tensor t = golden_tensor(stored);
    if (t.dtype() == Dtype::Float32) t.set_requires_grad();
    inputs[input] = t;
  }
  return inputs;
}

// Runs f on the case's inputs (the float ones as leaves requiring grad), compares the output with
// PyTorch's, runs backward with PyTorch's upstream gradient and compares every input's gradient.
inline void expect_matches_golden(const Json& golden, const std::function<Tensor(const NamedTensors&)>& f,
                                  double atol = 1e-5, double rtol = 1e-4) {
  const std::string name = golden.at("name").get<std::string>();
  NamedTensors inputs = golden_inputs(golden);
  Tensor output = f(inputs);
  EXPECT_TRUE(all_close(output, golden_tensor(golden.at("output")), atol, rtol)) << name << ": output";
  output.backward(golden_tensor(golden.at("upstream")));
  for (const auto& [input, stored] : golden.at("grads").items())
    EXPECT_TRUE(all_close(inputs.at(input).grad(), golden_tensor(stored), atol, rtol))
        << name << ": gradient of " << input;
}

// For a layer (cases written by run_module in make_golden.py): loads PyTorch's state_dict into
// `module` (strict), runs f on the inputs, compares the output, runs backward with PyTorch's
// upstream gradient and compares the gradients of the inputs and of every parameter.
inline void expect_module_matches_golden(const Json& golden, nn::Module& module,
                                         const std::function<Tensor(const NamedTensors&)>& f,
                                         double atol = 1e-5, double rtol = 1e-4) {
  const std::string name = golden.at("name").get<std::string>();
  nn::StateDict state;
  for (const auto& [key, stored] : golden.at("state").items()) state[key] = golden_tensor(stored);
  module.load_state_dict(state);
  module.zero_grad();
  NamedTensors inputs = golden_inputs(golden);
  Tensor output = f(inputs);
  EXPECT_TRUE(all_close(output, golden_tensor(golden.at("output")), atol, rtol)) << name << ": output";
  output.backward(golden_tensor(golden.at("upstream")));
  NamedTensors parameters;
  for (auto& [key, p] : module.named_parameters()) parameters[key] = p;
  for (const auto& [key, stored] : golden.at("grads").items()) {
    const Tensor& source = inputs.contains(key) ? inputs.at(key) : parameters.at(key);
    EXPECT_TRUE(all_close(source.grad(), golden_tensor(stored), atol, rtol)) << name << ": gradient of " << key;
  }
}

}  // namespace heed::testing
