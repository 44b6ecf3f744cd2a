#include "heed/core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "heed/core/factories.h"
#include "heed/core/kernels.h"

namespace heed {
namespace {

thread_local bool grad_mode = true;

// A gradient we may write into: dense, and nobody else holds its handle or its storage.
bool exclusively_owned(const Tensor& t) {
  return t.is_contiguous() && t.impl_ptr().use_count() == 1 && t.storage().use_count() == 1;
}

// Adds `incoming` to the running sum `sum`, in place when that is safe.
void accumulate(Tensor& sum, Tensor incoming) {
  if (!sum.defined()) {
    sum = std::move(incoming);
  } else if (exclusively_owned(sum)) {
    add_into(sum, incoming);
  } else if (exclusively_owned(incoming)) {
    add_into(incoming, sum);
    sum = std::move(incoming);
  } else {
    Tensor fresh = contiguous_copy(sum);
    add_into(fresh, incoming);
    sum = std::move(fresh);
  }
}

// A leaf's .grad() is read by optimizers and users: keep it dense and owned by the leaf.
void accumulate_into_leaf(TensorImpl& leaf, Tensor incoming) {
  if (!leaf.grad.defined())
    leaf.grad = exclusively_owned(incoming) ? std::move(incoming) : contiguous_copy(incoming);
  else
    add_into(leaf.grad, incoming);
}

// Depth-first post-order of the nodes reachable from `root`, without recursion: each stack entry
// is a node and the index of the next input edge to explore.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> visited{root.get()};
  std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next_edge] = stack.back();
    if (next_edge < node->inputs.size()) {
      const std::shared_ptr<Node>& child = node->inputs[next_edge++].node;
      if (child && visited.insert(child.get()).second) stack.emplace_back(child, 0);
    } else {
      order.push_back(std::move(node));
      stack.pop_back();
    }
  }
  return order;  // inputs before the nodes that use them; root last
}

// For backward's on_leaf_ready: how many edges of the ordered graph still lead to each leaf, and
// whether a node that ran its backward has reached it in this pass. A leaf is ready when its
// count reaches zero: every node that could add to its .grad() (by returning a gradient, or in
// place through NeedsGrad) is done.
class LeafReadiness {
 public:
  LeafReadiness(const std::vector<std::shared_ptr<Node>>& order, const LeafGradReady& on_ready) : on_ready_(on_ready) {
    if (!on_ready_) return;
    for (const auto& node : order)
      for (const Edge& edge : node->inputs)
        if (edge.leaf) ++remaining_[edge.leaf.get()].edges;
  }
  // `node` has run its backward (ran) or was skipped because no gradient reached it.
  void done_with(const Node& node, bool ran) {
    if (!on_ready_) return;
    for (const Edge& edge : node.inputs) {
      if (!edge.leaf) continue;
      Count& count = remaining_[edge.leaf.get()];
      count.reached = count.reached || ran;
      if (--count.edges == 0 && count.reached) on_ready_(Tensor(edge.leaf));
    }
  }

 private:
  struct Count {
    int64_t edges = 0;
    bool reached = false;
  };
  const LeafGradReady& on_ready_;
  std::unordered_map<TensorImpl*, Count> remaining_;
};

// The leaves' .grad() as they were before a backward pass, so that a pass that throws midway can
// put every one back: backward is all or nothing. A leaf without a gradient (the usual case, after
// zero_grad) costs nothing to keep; one that already holds a sum is copied.
class LeafGradsBefore {
 public:
  explicit LeafGradsBefore(const std::vector<std::shared_ptr<Node>>& order) {
    for (const auto& node : order)
      for (const Edge& edge : node->inputs)
        if (edge.leaf && grads_.try_emplace(edge.leaf.get()).second && edge.leaf->grad.defined())
          grads_[edge.leaf.get()] = contiguous_copy(edge.leaf->grad);
  }
  void restore() {
    for (auto& [leaf, grad] : grads_) leaf->grad = std::move(grad);
  }

 private:
  std::unordered_map<TensorImpl*, Tensor> grads_;  // the leaves live as long as the nodes' edges
};

// Runs one node's backward and sends each input's gradient on: into the pending sum of the node
// that made the input, or into the leaf's .grad().
void run_node_backward(Node& current, Tensor grad, bool retain_graph, bool anomaly) {
  HEED_CHECK(current.backward != nullptr, "backward",
             "the graph through '{}' was already freed by an earlier backward(); pass "
             "retain_graph=true to the first backward() to run backward twice",
             current.op);
  std::vector<Tensor> input_grads;
  try {
    input_grads = current.backward(grad, NeedsGrad(current.inputs));
  } catch (const Error& error) {
    error.rethrow_with_context(fmt::format("backward of '{}': ", current.op));
  }
  if (!retain_graph) current.backward = nullptr;  // frees the saved tensors now
  for (size_t i = 0; i < current.inputs.size(); ++i) {
    Edge& edge = current.inputs[i];
    if (!edge.needs_grad() || i >= input_grads.size() || !input_grads[i].defined()) continue;
    Tensor input_grad = std::move(input_grads[i]);
    HEED_CHECK(input_grad.shape() == edge.shape, "backward",
               "'{}' returned a gradient of shape {} for input {} of shape {}", current.op,
               input_grad.shape(), i, edge.shape);
    if (anomaly) check_gradient_anomaly(current.op, current.module_path.get(), i, input_grad);
    if (edge.node)
      accumulate(edge.node->pending_grad, std::move(input_grad));
    else
      accumulate_into_leaf(*edge.leaf, std::move(input_grad));
  }
}

}  // namespace

bool grad_mode_enabled() { return grad_mode; }

NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }

Node::~Node() {
  std::vector<std::shared_ptr<Node>> orphans;
  auto collect = [&orphans](std::vector<Edge>& edges) {
    for (Edge& edge : edges)
      if (edge.node && edge.node.use_count() == 1) orphans.push_back(std::move(edge.node));
  };
  collect(inputs);
  while (!orphans.empty()) {
    std::shared_ptr<Node> node = std::move(orphans.back());
    orphans.pop_back();
    collect(node->inputs);  // take its producers before it dies, so its destructor finds none
  }
}

Tensor* NeedsGrad::grad_sum(size_t input) const {
  const Edge& edge = edges_[input];
  Tensor* sum = edge.leaf ? &edge.leaf->grad : edge.node ? &edge.node->pending_grad : nullptr;
  if (sum == nullptr || !sum->defined() || sum->dtype() != Dtype::Float32 || detect_anomaly()) return nullptr;
  // A leaf's .grad() always takes gradients in place (accumulate_into_leaf); a node's pending sum
  // only while the engine is its one owner (accumulate).
  const bool writable = edge.leaf ? sum->is_contiguous() : exclusively_owned(*sum);
  return writable ? sum : nullptr;
}

SavedTensor::SavedTensor(const Tensor& tensor)
    : data_(tensor.detach()), version_(tensor.storage()->version()) {}

const Tensor& SavedTensor::get() const {
  HEED_CHECK(data_.storage()->version() == version_, "backward",
             "a tensor of shape {} saved for backward was modified in place afterwards (version {}, "
             "saved at version {}); compute on a copy instead of writing into it",
             data_.shape(), data_.storage()->version(), version_);
  return data_;
}

bool should_record(std::span<const Tensor> inputs) {
  if (!grad_mode) return false;
  for (const Tensor& input : inputs)
    if (input.defined() && input.requires_grad()) return true;
  return false;
}

void attach_node(const char* op, Tensor& output, std::span<const Tensor> inputs, BackwardFn backward) {
  const bool anomaly = detect_anomaly();
  if (anomaly) check_forward_anomaly(op, output, inputs);
  std::vector<Edge> edges(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.defined() || !input.requires_grad()) continue;
    if (input.grad_fn())
      edges[i].node = input.grad_fn();
    else
      edges[i].leaf = input.impl_ptr();
    edges[i].shape = input.shape();
  }
  TensorImpl& out = *output.impl();
  out.grad_fn = std::make_shared<Node>(op, std::move(edges), std::move(backward));
  if (anomaly) out.grad_fn->module_path = anomaly_module_path();
  out.requires_grad = true;
}

void backward(const Tensor& root, const Tensor& grad_output, bool retain_graph, const LeafGradReady& on_leaf_ready) {
  HEED_CHECK(root.requires_grad(), "backward",
             "the tensor of shape {} does not require grad and has no grad_fn; nothing to "
             "differentiate (did every input have requires_grad false, or was grad mode off?)",
             root.shape());
  Tensor seed = grad_output;
  if (!seed.defined()) {
    HEED_CHECK(root.numel() == 1, "backward",
               "the output has shape {}, not a scalar; pass a gradient of shape {} to backward()",
               root.shape(), root.shape());
    seed = ones(root.shape());
  }
  check_dtype(seed, Dtype::Float32, "backward", "grad_output");
  HEED_CHECK(seed.shape() == root.shape(), "backward",
             "grad_output has shape {} but the output has shape {}; expected equal shapes",
             seed.shape(), root.shape());

  NoGradGuard no_grad;  // backward's own arithmetic is not recorded
  AnomalyBackwardScope backward_scope;  // nor checked as forward outputs: its results are checked as gradients
  const bool anomaly = detect_anomaly();
  if (root.is_leaf()) {
    accumulate_into_leaf(*root.impl(), seed);
    if (on_leaf_ready) on_leaf_ready(root);
    return;
  }
  std::vector<std::shared_ptr<Node>> order = topological_order(root.grad_fn());
  LeafReadiness readiness(order, on_leaf_ready);
  LeafGradsBefore leaf_grads_before(order);
  root.grad_fn()->pending_grad = seed;
  try {
    for (auto node = order.rbegin(); node != order.rend(); ++node) {
      Node& current = **node;
      Tensor grad = std::move(current.pending_grad);
      current.pending_grad = Tensor();
      const bool reached = grad.defined();  // false: no path from root carried a gradient here
      if (reached) run_node_backward(current, std::move(grad), retain_graph, anomaly);
      readiness.done_with(current, reached);
    }
  } catch (...) {  // all or nothing: no sum is left in a node or a leaf, and the error keeps its type
    for (auto& node : order) node->pending_grad = Tensor();
    leaf_grads_before.restore();
    throw;
  }
  if (!retain_graph)
    for (auto& node : order) node->inputs.clear();
}

}  // namespace heed
