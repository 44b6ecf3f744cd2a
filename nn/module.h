// nn::Module: the base of every layer and model. It knows its parameters, buffers and child
// modules by name, so it can list them with dotted names ("encoder.layers.0.linear1.weight"),
// switch them between training and evaluation, and save or load them as a state dict.
//
//   struct Tagger : nn::Module {
//     std::shared_ptr<nn::Embedding> emb = register_module("emb", nn::Embedding(1000, 64));
//     std::shared_ptr<nn::Linear> head = register_module("head", nn::Linear(64, 10));
//     Tensor forward(const Tensor& ids) { return head->forward(emb->forward(ids)); }
//   };
//
// Modules are plain classes: `nn::Linear layer(3, 4);` is a working layer, and registering one
// moves it into a shared_ptr owned by its parent. A module cannot be copied (two copies would
// share parameter storage without saying so); it can be moved. `forward` is not virtual: each
// module takes the arguments it needs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "heed/core/tensor.h"

namespace heed::nn {

// Parameter and buffer values by dotted name, sorted by name.
using StateDict = std::map<std::string, Tensor>;

template <class T>
using Named = std::vector<std::pair<std::string, T>>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  // Every parameter of this module and its descendants, each once, in registration order.
  std::vector<Tensor> parameters() const;
  Named<Tensor> named_parameters() const;
  Named<Tensor> named_buffers() const;
  const Named<std::shared_ptr<Module>>& named_children() const { return children_; }
  int64_t parameter_count() const;

  // Training mode (the default) or evaluation mode, for this module and all its descendants.
  void train(bool training = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Drops every parameter's gradient (the next backward starts from nothing).
  void zero_grad();

  // Parameters and buffers by dotted name. The tensors share storage with the module's.
  StateDict state_dict() const;
  // Copies matching values into the module's tensors. Shapes and dtypes must match; with
  // `strict`, the keys must match exactly too. Everything is checked before anything is written:
  // on error the module is unchanged.
  void load_state_dict(const StateDict& state, bool strict = true);

  // One line for this module in printouts: "Linear(in_features=4, out_features=2, bias=true)".
  // The default is the class name.
  virtual std::string describe() const;
  // The module tree: each module with its parameter count, its tensors with their shapes.
  std::string to_string() const;

 protected:
  // Registers a tensor to train; returns a handle to the same tensor to keep as a member.
  Tensor register_parameter(std::string name, Tensor value, bool requires_grad = true);
  // Registers state that is saved and loaded but not trained (running statistics, tables).
  Tensor register_buffer(std::string name, Tensor value);
  // Registers a child module (moved in, or shared) and returns it.
  template <std::derived_from<Module> M>
  std::shared_ptr<M> register_module(std::string name, M&& module) {
    return register_module(std::move(name), std::make_shared<M>(std::move(module)));
  }
  template <std::derived_from<Module> M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }

 private:
  void add_child(std::string name, std::shared_ptr<Module> child);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, Named<Tensor>& parameters, Named<Tensor>& buffers) const;
  void print(std::string& out, const std::string& name, const std::string& indent) const;

  Named<Tensor> parameters_;
  Named<Tensor> buffers_;
  Named<std::shared_ptr<Module>> children_;
  bool training_ = true;
};

// A list of modules of one type, named "0", "1", ... like PyTorch's ModuleList.
template <std::derived_from<Module> M>
class ModuleList : public Module {
 public:
  ModuleList() = default;
  void push_back(M&& module) { push_back(std::make_shared<M>(std::move(module))); }
  void push_back(std::shared_ptr<M> module) {
    items_.push_back(register_module(std::to_string(items_.size()), std::move(module)));
  }
  size_t size() const { return items_.size(); }
  M& operator[](size_t i) const { return *items_.at(i); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  std::string describe() const override { return "ModuleList"; }

 private:
  std::vector<std::shared_ptr<M>> items_;
};

}  // namespace heed::nn
