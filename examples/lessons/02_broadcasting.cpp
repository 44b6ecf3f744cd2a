// Lesson 2: broadcasting, forward and backward.
//
// Adding a (3, 1) column to a (1, 4) row gives a (3, 4) table: each size-1 dim is stretched to
// match the other (NumPy's rule), without copying. In backward the stretch is undone: an input
// used in 4 places receives the sum of those 4 gradients, so its gradient has its own shape again.
//
//   ./build/bin/lesson_02_broadcasting          (the argument, if any, is ignored: it is instant)
//
// Next: lesson 3 (a module and an optimizer step). Code to open: core/shape.h (the rule),
// ops/elementwise.cpp and ops/reduce.h (sum_to: the backward of a broadcast is a sum).
#include <cmath>
#include <cstdio>

#include <heed/heed.h>

using namespace heed;

int main() {
  Tensor column = from_vector({1.f, 2.f, 3.f}, {3, 1}).set_requires_grad();
  Tensor row = from_vector({10.f, 20.f, 30.f, 40.f}, {1, 4}).set_requires_grad();
  Tensor table = column + row;  // (3, 4): table[i][j] = column[i] + row[j]
  fmt::print("column (3, 1) + row (1, 4) =\n{}\n", table);

  // Weight each cell by its position so the gradients differ: L = Σ_ij (i·4 + j) · table[i][j].
  Tensor weights = ops::reshape(arange(0.0, 12.0), {3, 4});
  Tensor loss = ops::sum(table * weights);
  loss.backward();

  // dL/dcolumn[i] = Σ_j weights[i][j] (a row sum); dL/drow[j] = Σ_i weights[i][j] (a column sum).
  fmt::print("column.grad() {} (shape {}) should be the row sums of the weights {}\n", column.grad(),
             column.grad().shape(), ops::sum(weights, {1}, true));
  fmt::print("row.grad()    {} (shape {}) should be the column sums {}\n", row.grad(), row.grad().shape(),
             ops::sum(weights, {0}, true));
  const bool ok = column.grad().to_vector() == ops::sum(weights, {1}, true).to_vector() &&
                  row.grad().to_vector() == ops::sum(weights, {0}, true).to_vector();
  fmt::print("{}\n", ok ? "broadcast gradients sum back to each input's shape" : "MISMATCH");
  return ok ? 0 : 1;
}
