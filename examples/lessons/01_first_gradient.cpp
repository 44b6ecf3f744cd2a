// Lesson 1: a first tensor, and a gradient checked by hand.
//
// A tensor is a block of numbers with a shape. Mark one with set_requires_grad() and every op on it
// is recorded; backward() then walks the record in reverse and leaves d(result)/d(tensor) in
// tensor.grad(). Here we compute the gradient of a tiny loss with pencil and paper as well, and
// check that heed agrees.
//
//   ./build/bin/lesson_01_first_gradient        (the argument, if any, is ignored: it is instant)
//
// Next: lesson 2 (broadcasting). Code to open: core/tensor.h, core/autograd.h, ops/elementwise.cpp.
#include <cmath>
#include <cstdio>

#include <heed/heed.h>

using namespace heed;

int main() {
  // A 2 × 3 matrix from a list of numbers, row by row. Its shape is (2, 3); its strides (3, 1):
  // one step along a row moves 1 element in memory, one step down a column moves 3.
  Tensor x = from_vector({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  fmt::print("x = {}\nshape {}, strides {}\n", x, x.shape(), x.strides());

  // A view shares x's memory: transposing swaps the strides, nothing is copied.
  Tensor xt = ops::transpose(x, 0, 1);
  fmt::print("x transposed: shape {}, strides {}, same storage: {}\n", xt.shape(), xt.strides(),
             xt.storage().get() == x.storage().get());

  // The loss L = Σ_i (w_i · x_i − 1)², for one row x = (1, 2, 3) and weights w we differentiate.
  Tensor w = from_vector({0.5f, -1.f, 2.f}).set_requires_grad();
  Tensor row = ops::select(x, 0, 0);                         // (3): 1, 2, 3
  Tensor loss = ops::sum(ops::pow(w * row - 1.f, 2.f));      // a scalar
  loss.backward();                                            // fills w.grad()

  // By hand: dL/dw_i = 2 (w_i x_i − 1) x_i.
  const std::vector<float> wv = w.to_vector(), xv = row.to_vector(), grad = w.grad().to_vector();
  bool agree = true;
  for (size_t i = 0; i < 3; ++i) {
    const float by_hand = 2.f * (wv[i] * xv[i] - 1.f) * xv[i];
    fmt::print("dL/dw[{}]: backward {:8.4f}   by hand {:8.4f}\n", i, grad[i], by_hand);
    agree = agree && std::fabs(grad[i] - by_hand) < 1e-5f;
  }
  fmt::print("loss {:.4f}; backward and the hand-derived gradient {}\n", loss.item(), agree ? "agree" : "DIFFER");
  return agree ? 0 : 1;
}
