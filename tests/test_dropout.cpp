// dropout: eval and p = 0 pass the input through, p = 1 zeroes, the kept fraction and scaling,
// reproducibility from the seed alone (also across thread counts), gradcheck, and the errors.
#include <omp.h>

#include "test_util.h"
#include "heed/ops/dropout.h"
#include "heed/ops/dropout_mask.h"

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

// A draw depends on its counter alone: one call over a range equals two calls over its halves,
// also where the range crosses a multiple of 2³² (where the hash's key changes).
TEST(DropoutFactors, EachDrawDependsOnItsCounterOnly) {
  const uint64_t first = (uint64_t{5} << 32) - 1000;
  const int64_t n = 3000, split = 777;
  std::vector<float> whole(n), pieces(n);
  ops::dropout_factors(9, first, 0.25f, whole.data(), n);
  ops::dropout_factors(9, first, 0.25f, pieces.data(), split);
  ops::dropout_factors(9, first + split, 0.25f, pieces.data() + split, n - split);
  EXPECT_EQ(whole, pieces);
  std::vector<float> other_seed(n);
  ops::dropout_factors(10, first, 0.25f, other_seed.data(), n);
  EXPECT_NE(whole, other_seed);
}

// Kept fraction 1 − p, and neighbouring draws independent: pairs of kept neighbours make up
// (1 − p)², on both sides of a key change.
TEST(DropoutFactors, KeptFractionAndNeighboursLookIndependent) {
  const float p = 0.4f;
  for (uint64_t first : {uint64_t{0}, (uint64_t{7} << 32) - 100000}) {
    const int64_t n = 200000;
    std::vector<float> factors(n);
    ops::dropout_factors(3, first, p, factors.data(), n);
    int64_t kept = 0, kept_pairs = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (factors[i] == 0.0f) continue;
      EXPECT_FLOAT_EQ(factors[i], 1.0f / (1.0f - p));
      ++kept;
      if (i + 1 < n && factors[i + 1] != 0.0f) ++kept_pairs;
    }
    // standard deviations about 0.0011 for both fractions
    EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 0.006);
    EXPECT_NEAR(static_cast<double>(kept_pairs) / (n - 1), (1.0 - p) * (1.0 - p), 0.006);
  }
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
