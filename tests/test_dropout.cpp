// dropout: eval and p = 0 pass the input through, p = 1 zeroes, the kept fraction and scaling,
// reproducibility from the seed alone (also across thread counts), gradcheck, and the errors.
#include <omp.h>

#include "test_util.h"
#include "heed/ops/dropout.h"

namespace heed {
namespace {

using testing::all_close;
using testing::leaf;
using Inputs = std::vector<Tensor>;

TEST(Dropout, EvalAndZeroPReturnTheInput) {
  Tensor x = leaf({3, 4});
  EXPECT_EQ(ops::dropout(x, 0.5f, /*training=*/false).impl(), x.impl());
  EXPECT_EQ(ops::dropout(x, 0.0f, /*training=*/true).impl(), x.impl());
}

TEST(Dropout, POneGivesZeros) {
  Tensor x = leaf({3, 4});
  Tensor y = ops::dropout(x, 1.0f, true);
  EXPECT_TRUE(all_close(y, zeros({3, 4}), 0, 0));
  ops::sum(y).backward();
  EXPECT_TRUE(all_close(x.grad(), zeros({3, 4}), 0, 0));
}

TEST(Dropout, KeepsAboutOneMinusPAndScalesTheKept) {
  manual_seed(50);
  const float p = 0.3f;
  const int64_t n = 200000;
  std::vector<float> y = ops::dropout(full({n}, 2.0), p, true).to_vector();
  int64_t kept = 0;
  for (float v : y) {
    if (v != 0.0f) {
      ++kept;
      EXPECT_FLOAT_EQ(v, 2.0f / (1.0f - p));
    }
  }
  // The kept fraction has a standard deviation of sqrt(p (1 − p) / n) ≈ 0.001.
  EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 0.005);
}

TEST(Dropout, SameSeedSameMask) {
  Tensor x = ones({1000});
  manual_seed(51);
  Tensor first = ops::dropout(x, 0.5f, true);
  Tensor second = ops::dropout(x, 0.5f, true);  // the generator has moved on: a new mask
  manual_seed(51);
  Tensor again = ops::dropout(x, 0.5f, true);
  EXPECT_TRUE(all_close(again, first, 0, 0));
  EXPECT_FALSE(all_close(second, first, 0, 0));
}

TEST(Dropout, MaskDoesNotDependOnTheThreadCount) {
  const int threads = omp_get_max_threads();
  Tensor x = ones({100000});  // several grains, so two threads split the work
  omp_set_num_threads(1);
  manual_seed(52);
  Tensor one_thread = ops::dropout(x, 0.4f, true);
  omp_set_num_threads(2);
  manual_seed(52);
  Tensor two_threads = ops::dropout(x, 0.4f, true);
  omp_set_num_threads(threads);
  EXPECT_TRUE(all_close(two_threads, one_thread, 0, 0));
}

TEST(DropoutGrad, Gradcheck) {
  manual_seed(53);
  // f re-seeds, so every evaluation draws the same mask
  auto f = [](const Inputs& in) {
    manual_seed(7);
    return ops::dropout(in[0], 0.4f, true);
  };
  EXPECT_GRADCHECK(f, (Inputs{leaf({4, 5})}), "dropout");
  Tensor strided = make_view(leaf({5, 4}).detach(), {4, 5}, {1, 4}, 0);
  strided.set_requires_grad();
  EXPECT_GRADCHECK(f, (Inputs{strided}), "dropout of a transposed view");
}

TEST(Dropout, Errors) {
  EXPECT_THROW(ops::dropout(ones({3}), -0.1f, true), Error);
  EXPECT_THROW(ops::dropout(ones({3}), 1.5f, false), Error);
  EXPECT_THROW(ops::dropout(arange(3), 0.5f, true), Error);
}

}  // namespace
}  // namespace heed
