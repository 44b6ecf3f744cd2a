// Reverse-mode automatic differentiation: the recorded graph and the engine that walks it.
//
// When grad mode is on and an op's input requires grad, the op calls `record`, which hangs a Node
// on the op's output. The Node holds:
//   - one Edge per input: where that input's gradient goes (the Node that produced the input, or
//     the leaf tensor whose .grad() collects it);
//   - a backward function: given dL/d(output), it returns dL/d(input) for every input.
// A Node never holds its own output, and saved tensors are detached copies of the handles, so the
// graph has no reference cycles: it dies with the last tensor that can reach it.
//
// `backward(loss)` orders the graph once (iterative depth-first search, no recursion), then runs
// each Node's backward in reverse topological order, summing gradients that meet at a Node and
// adding gradients into the leaves' .grad(). Unless asked to retain it, each Node's saved tensors
// are freed as soon as its backward has run.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

#include "heed/core/anomaly.h"
#include "heed/core/tensor.h"

namespace heed {

// Grad mode: when off (inside a NoGradGuard), ops record nothing.
bool grad_mode_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

struct Edge {
  std::shared_ptr<Node> node;        // the op that produced this input, or
  std::shared_ptr<TensorImpl> leaf;  // the leaf tensor that collects this input's gradient
  Shape shape;                       // the input's shape: its gradient must have it too
  bool needs_grad() const { return node != nullptr || leaf != nullptr; }
};

// Tells a backward function which inputs need a gradient, so it can skip the others.
class NeedsGrad {
 public:
  explicit NeedsGrad(const std::vector<Edge>& edges) : edges_(edges) {}
  bool operator[](size_t input) const { return edges_[input].needs_grad(); }

  // The running sum of input `input`'s gradient, when the backward may add its gradient straight
  // into it instead of returning it: the leaf's .grad(), or the pending sum of the node that made
  // the input, once defined, dense and written by no one else, and with anomaly mode (which
  // checks each returned gradient) off. A weight used at every step of a recurrence gets its
  // gradient from every step; a GEMM with beta = 1 adds each one in place, with no temporary to
  // zero, fill and add. nullptr otherwise: return the gradient as usual. A backward that adds into
  // the sum returns an undefined Tensor for that input.
  Tensor* grad_sum(size_t input) const;

 private:
  const std::vector<Edge>& edges_;
};

// backward(grad_output, needs) -> one gradient per input, in the order the inputs were recorded.
// An input with needs[i] false may get an undefined Tensor.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output, NeedsGrad needs)>;

struct Node {
  const char* op;             // "matmul", "tanh", ...: for error messages and graph printouts
  std::vector<Edge> inputs;
  BackwardFn backward;        // empty once the graph has been freed
  Tensor pending_grad;        // sum of the gradients that reached this node in the current pass
  std::shared_ptr<const std::string> module_path;  // anomaly mode only: the AnomalyScope it ran in

  Node(const char* op_name, std::vector<Edge> edges, BackwardFn fn)
      : op(op_name), inputs(std::move(edges)), backward(std::move(fn)) {}
  ~Node();  // frees long chains iteratively, so a 100,000-op graph cannot overflow the stack
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
};

// A tensor an op keeps for its backward. It remembers the storage's version: if anything writes
// into the data before backward runs, get() throws instead of computing a wrong gradient.
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& tensor);
  const Tensor& get() const;

 private:
  Tensor data_;
  uint64_t version_ = 0;
};

// True when grad mode is on and any defined input requires grad.
bool should_record(std::span<const Tensor> inputs);

// Makes `output` the result of a recorded op: attaches a Node with an Edge per input. In anomaly
// mode it first checks the output (check_forward_anomaly) and keeps the module path in the Node.
void attach_node(const char* op, Tensor& output, std::span<const Tensor> inputs, BackwardFn backward);

// What every differentiable op calls after computing its forward. `backward` is only turned into
// a Node (and its captures kept) when some input requires grad. In anomaly mode the output is
// checked either way, so NaN is found in inference (NoGradGuard) and on constant inputs too.
template <class F>
void record(const char* op, Tensor& output, std::initializer_list<Tensor> inputs, F&& backward) {
  std::span<const Tensor> span(inputs.begin(), inputs.size());
  if (should_record(span)) attach_node(op, output, span, BackwardFn(std::forward<F>(backward)));
  else if (detect_anomaly()) check_forward_anomaly(op, output, span);
}

template <class F>
void record(const char* op, Tensor& output, const std::vector<Tensor>& inputs, F&& backward) {
  if (should_record(inputs)) attach_node(op, output, inputs, BackwardFn(std::forward<F>(backward)));
  else if (detect_anomaly()) check_forward_anomaly(op, output, inputs);
}

// Reverse-mode autodiff from `root`. A scalar root needs no grad_output (it defaults to 1); any
// other root needs a grad_output of its shape. Gradients add into the leaves' .grad(): call
// zero_grad (or set_grad(Tensor())) between steps. `retain_graph` keeps the saved tensors so
// backward can run through the same graph again. In anomaly mode every gradient a node returns is
// checked for NaN and Inf (check_gradient_anomaly).
//
// All or nothing: when a node's backward throws, every leaf's .grad() is put back as it was before
// the pass (a leaf that had a gradient is copied at the start for that), no sum is left pending in
// a node, and the error keeps its type (an AnomalyError stays one), its message prefixed with
// "backward of '<op>': ". With retain_graph the same backward may then run again; without it, the
// nodes that had run are freed, and a second backward() says so.
//
// `on_leaf_ready`, when given, is called once per leaf the pass reaches, as soon as every node
// that could add to its .grad() has run: its gradient is final for the pass (data-parallel
// training starts sending it while backward goes on). Leaves used several times fire once, after
// every contribution; leaves the pass never reaches never fire.
using LeafGradReady = std::function<void(const Tensor& leaf)>;
void backward(const Tensor& root, const Tensor& grad_output = Tensor(), bool retain_graph = false,
              const LeafGradReady& on_leaf_ready = {});

}  // namespace heed
