// README.md's example, compiled against an installed heed on every `make test` (see
// tests/install_consumer/check_install.cmake). It exits 1 if a gradient or the fit is wrong.
#include <heed/heed.h>

#include <cmath>

using namespace heed;

int main() {
  // Autograd: d/dx sum(x * x) = 2x.
  Tensor x = from_vector({1.f, -2.f, 0.5f}).set_requires_grad();
  ops::sum(x * x).backward();
  fmt::print("x = {}\ndx = {}\n", x, x.grad());

  // Gradient descent on raw tensors: recover w = 3, b = 2 from samples of y = 3x + 2.
  manual_seed(0);
  Tensor inputs = randn({64, 1});
  Tensor targets = inputs * 3.f + 2.f;
  Tensor w = zeros({1}, {.requires_grad = true});
  Tensor b = zeros({1}, {.requires_grad = true});
  for (int step = 0; step < 100; ++step) {
    Tensor loss = ops::mean(ops::pow(inputs * w + b - targets, 2.f));
    loss.backward();                                // fills w.grad() and b.grad()
    NoGradGuard no_grad;                            // the update is not part of any graph
    w = (w - 0.1f * w.grad()).set_requires_grad();  // new leaves: no old gradient to clear
    b = (b - 0.1f * b.grad()).set_requires_grad();
  }
  fmt::print("w = {:.4f}, b = {:.4f}\n", w.item(), b.item());

  bool gradient_ok = x.grad().to_vector() == std::vector<float>{2.f, -4.f, 1.f};
  bool fit_ok = std::fabs(w.item() - 3.f) < 1e-3f && std::fabs(b.item() - 2.f) < 1e-3f;
  return gradient_ok && fit_ok ? 0 : 1;
}
