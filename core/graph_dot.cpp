// heed::to_dot: a breadth-first walk over the recorded graph, emitting each node once.
#include "heed/core/graph_dot.h"

#include <fmt/format.h>

#include <deque>
#include <unordered_map>

#include "heed/core/autograd.h"

namespace heed {
namespace {

// "(2, 3)", "()" for a scalar.
std::string shape_text(const Shape& shape) { return fmt::format("({})", fmt::join(shape, ", ")); }

// Text safe inside a DOT double-quoted string.
std::string dot_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

class DotWriter {
 public:
  explicit DotWriter(const std::vector<std::pair<std::string, Tensor>>& names) {
    for (const auto& [name, tensor] : names)
      if (tensor.defined()) names_.emplace(tensor.impl(), name);
  }

  std::string write(const Tensor& root) {
    HEED_CHECK(root.defined(), "to_dot", "the root is an undefined tensor");
    out_ = "digraph heed {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
    if (!root.grad_fn()) {
      leaf_id(root.impl(), root.shape(), root.requires_grad());
    } else {
      op_id(root.grad_fn().get(), root.shape());
      while (!pending_.empty()) {
        const Node* node = pending_.front();
        pending_.pop_front();
        const std::string consumer = op_ids_.at(node);
        for (const Edge& edge : node->inputs) {
          const std::string producer = edge.node   ? op_id(edge.node.get(), edge.shape)
                                       : edge.leaf ? leaf_id(edge.leaf.get(), edge.shape, true)
                                                   : constant_id();
          out_ += fmt::format("  {} -> {};\n", producer, consumer);
        }
      }
    }
    return out_ + "}\n";
  }

 private:
  std::string next_id() { return fmt::format("n{}", count_++); }

  // The op's node, emitted and queued for its inputs the first time it is met.
  std::string op_id(const Node* node, const Shape& output_shape) {
    auto found = op_ids_.find(node);
    if (found != op_ids_.end()) return found->second;
    const std::string id = next_id();
    op_ids_.emplace(node, id);
    pending_.push_back(node);
    out_ += fmt::format("  {} [shape=box, style=filled, fillcolor=\"#dbe8f6\", label=\"{}\\n{}\"];\n", id,
                        dot_escape(node->op), shape_text(output_shape));
    return id;
  }

  std::string leaf_id(const TensorImpl* leaf, const Shape& shape, bool requires_grad) {
    auto found = leaf_ids_.find(leaf);
    if (found != leaf_ids_.end()) return found->second;
    const std::string id = next_id();
    leaf_ids_.emplace(leaf, id);
    auto name = names_.find(leaf);
    const std::string title = name != names_.end() ? dot_escape(name->second) + "\\n" : "";
    out_ += fmt::format("  {} [shape=ellipse, style=filled, fillcolor=\"{}\", label=\"{}{}\\nrequires_grad={}\"];\n",
                        id, requires_grad ? "#fde9c8" : "#eeeeee", title, shape_text(shape), requires_grad);
    return id;
  }

  // An input that needs no gradient: its Edge keeps neither a handle nor a shape.
  std::string constant_id() {
    const std::string id = next_id();
    out_ += fmt::format(
        "  {} [shape=ellipse, style=filled, fillcolor=\"#eeeeee\", label=\"constant\\nrequires_grad=false\"];\n", id);
    return id;
  }

  std::unordered_map<const TensorImpl*, std::string> names_;
  std::unordered_map<const Node*, std::string> op_ids_;
  std::unordered_map<const TensorImpl*, std::string> leaf_ids_;
  std::deque<const Node*> pending_;
  std::string out_;
  int64_t count_ = 0;
};

}  // namespace

std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& names) {
  return DotWriter(names).write(root);
}

}  // namespace heed
