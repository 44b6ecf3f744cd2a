// Lesson 3: a Module, its parameters, and what one optimizer step does.
//
// A Module owns named parameters (tensors that require grad) and child modules. Training repeats
// four lines: zero the gradients, compute the loss, backward, step. Here a two-layer network learns
// y = sin(x) on [−3, 3], and we look inside the first step: the recorded graph (heed::to_dot) and
// how far Adam moves each parameter (about lr, against the gradient's sign, on its first step).
//
//   ./build/bin/lesson_03_module_and_optimizer        (500 updates, about a second)
//   ./build/bin/lesson_03_module_and_optimizer 20     (20 updates)
//
// Next: lesson 4 (attention). Code to open: nn/module.h, nn/linear.cpp, optim/adam.cpp.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <heed/heed.h>

using namespace heed;

struct SineNet : nn::Module {
  std::shared_ptr<nn::Linear> hidden = register_module("hidden", nn::Linear(1, 32));
  std::shared_ptr<nn::Linear> out = register_module("out", nn::Linear(32, 1));
  Tensor forward(const Tensor& x) const {      // x (N, 1)
    return out->forward(ops::tanh(hidden->forward(x)));  // (N, 1)
  }
};

int main(int argc, char** argv) {
  const int64_t updates = argc > 1 ? std::atoll(argv[1]) : 500;
  manual_seed(0);
  SineNet model;
  for (const auto& [name, p] : model.named_parameters()) fmt::print("parameter {:<14} shape {}\n", name, p.shape());

  std::vector<float> xs, ys;
  for (int i = 0; i < 60; ++i) {
    xs.push_back(-3.0f + 0.1f * static_cast<float>(i));
    ys.push_back(std::sin(xs.back()));
  }
  Tensor x = from_vector(xs, {60, 1});  // (60, 1)
  Tensor y = from_vector(ys, {60, 1});  // (60, 1), the target
  const float lr = 0.01f;
  optim::Adam optimizer(model.parameters(), {.lr = lr});

  float first_loss = 0, last_loss = 0;
  for (int64_t step = 1; step <= updates; ++step) {
    optimizer.zero_grad();                                   // gradients add up unless cleared
    Tensor loss = ops::mean(ops::pow(model.forward(x) - y, 2.f));
    if (step == 1) {
      fmt::print("\nThe graph backward will walk (Graphviz DOT; paste into `dot -Tsvg`):\n{}\n",
                 to_dot(loss, model.named_parameters()));
      first_loss = loss.item();
    }
    loss.backward();
    if (step == 1) {
      // Adam's first step: m = (1−β1)g, v = (1−β2)g², bias-corrected to g and g²: Δ = −lr·g/|g|.
      const float before = model.out->bias.item(), g = model.out->bias.grad().item();
      optimizer.step();
      fmt::print("out.bias: gradient {:+.4f}, moved by {:+.5f} (Adam's first step: −lr·sign(g) = {:+.5f})\n", g,
                 model.out->bias.item() - before, g > 0 ? -lr : lr);
    } else {
      optimizer.step();
    }
    last_loss = loss.item();
    if (step % 100 == 0) fmt::print("step {:4}  loss {:.5f}\n", step, last_loss);
  }
  fmt::print("mean squared error: {:.5f} at the start, {:.5f} after {} updates\n", first_loss, last_loss, updates);
  return last_loss < first_loss ? 0 : 1;
}
