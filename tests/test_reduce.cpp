// Reductions: sum, mean, max and argmax over dims (keepdim, several dims, all), sum_to, NaN
// handling, gradcheck on dense and strided leaves, and the errors.
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::iota;
using testing::leaf;
using testing::transposed_leaf;
using Inputs = std::vector<Tensor>;

TEST(Reduce, SumOverDims) {
  Tensor x = iota({2, 3, 4});  // x[i, j, k] = 12i + 4j + k
  EXPECT_EQ(ops::sum(x).item(), 276.f);  // 0 + 1 + ... + 23
  EXPECT_EQ(ops::sum(x).dim(), 0);
  // over k: 4(12i + 4j) + 6
  EXPECT_TRUE(all_close(ops::sum(x, {2}), from_vector({6.f, 22.f, 38.f, 54.f, 70.f, 86.f}, {2, 3})));
  EXPECT_EQ(ops::sum(x, {2}, true).shape(), (Shape{2, 3, 1}));
  // over i and k (not adjacent): 2·4·4j + 4·12 + 2·6 = 32j + 60
  EXPECT_TRUE(all_close(ops::sum(x, {0, -1}), from_vector({60.f, 92.f, 124.f})));
  EXPECT_EQ(ops::sum(x, {0, 2}, true).shape(), (Shape{1, 3, 1}));
  // over i: 2(4j + k) + 12
  EXPECT_TRUE(all_close(ops::sum(x, {0}), ops::add(ops::mul(iota({3, 4}), 2.f), 12.f)));
}

TEST(Reduce, SumOfAStridedView) {
  Tensor x = ops::transpose(iota({3, 4}), 0, 1);  // (4, 3): x[k, j] = 4j + k
  EXPECT_TRUE(all_close(ops::sum(x, {1}), from_vector({12.f, 15.f, 18.f, 21.f})));
}

TEST(Reduce, LongRowSumIsTheSameForAnyThreadCount) {
  manual_seed(5);
  Tensor x = randn({1 << 20});
  int threads = num_threads();
  omp_set_num_threads(1);
  float serial = ops::sum(x).item();
  omp_set_num_threads(2);
  float parallel = ops::sum(x).item();
  omp_set_num_threads(threads);
  EXPECT_EQ(serial, parallel);
  double exact = 0;
  for (float v : x.to_vector<float>()) exact += v;
  EXPECT_NEAR(serial, exact, 1e-3 * std::sqrt(static_cast<double>(x.numel())));
}

// Summing many rows into a short one (a bias gradient, (B·T, N) -> (N)) splits the rows into
// blocks: the sums match the exact ones and do not depend on the thread count. The column count
// is not a multiple of the vector width and the row count not a multiple of the block.
TEST(Reduce, ManyRowsIntoAShortRowIsTheSameForAnyThreadCount) {
  manual_seed(6);
  const int64_t rows = 1000, columns = 131;
  Tensor x = randn({rows, columns});
  int threads = num_threads();
  omp_set_num_threads(1);
  Tensor serial = ops::sum(x, {0});
  omp_set_num_threads(2);
  Tensor parallel = ops::sum(x, {0});
  omp_set_num_threads(threads);
  EXPECT_TRUE(all_close(parallel, serial, 0, 0));
  const std::vector<float> values = x.to_vector<float>();
  std::vector<float> exact(columns);
  for (int64_t c = 0; c < columns; ++c) {
    double total = 0;
    for (int64_t r = 0; r < rows; ++r) total += values[static_cast<size_t>(r * columns + c)];
    exact[static_cast<size_t>(c)] = static_cast<float>(total);
  }
  EXPECT_TRUE(all_close(serial, from_vector(exact), 1e-4, 1e-4));
}

TEST(Reduce, Mean) {
  Tensor x = iota({2, 3});
  EXPECT_FLOAT_EQ(ops::mean(x).item(), 2.5f);
  EXPECT_TRUE(all_close(ops::mean(x, {0}), from_vector({1.5f, 2.5f, 3.5f})));
  EXPECT_TRUE(all_close(ops::mean(x, {1}, true), from_vector({1.f, 4.f}, {2, 1})));
}

TEST(Reduce, MaxAndArgmax) {
  Tensor x = from_vector({3.f, 9.f, 9.f, -1.f, 2.f, 0.f, 7.f, 5.f}, {2, 4});
  EXPECT_EQ(ops::max(x).item(), 9.f);
  EXPECT_TRUE(all_close(ops::max(x, 1), from_vector({9.f, 7.f})));
  EXPECT_TRUE(all_close(ops::max(x, 0, true), from_vector({3.f, 9.f, 9.f, 5.f}, {1, 4})));
  EXPECT_EQ(ops::argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));  // first of the ties
  EXPECT_EQ(ops::argmax(x, 0).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 1}));
}

TEST(Reduce, MaxOfLongRowsFindsTheFirstMaximumInAnyBlock) {
  Tensor x = zeros({2, 1000});
  float* data = x.mutable_data<float>();
  data[777] = 5.f;           // row 0: a late maximum
  data[1000 + 3] = 2.f;      // row 1: an early maximum, repeated later
  data[1000 + 900] = 2.f;
  EXPECT_EQ(ops::argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{777, 3}));
  EXPECT_EQ(ops::argmax(full({1, 600}, -INFINITY), 1).item<int64_t>(), 0);
}

TEST(Reduce, MaxPropagatesNaN) {
  Tensor x = from_vector({1.f, NAN, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  std::vector<float> rows = ops::max(x, 1).to_vector<float>();
  EXPECT_TRUE(std::isnan(rows[0]));
  EXPECT_EQ(rows[1], 6.f);
  EXPECT_TRUE(std::isnan(ops::max(x, 0).to_vector<float>()[1]));
  EXPECT_EQ(ops::argmax(x, 1).to_vector<int64_t>()[0], 1);
}

TEST(Reduce, SumToUndoesBroadcasting) {
  Tensor g = ones({2, 3, 4});
  EXPECT_TRUE(all_close(ops::sum_to(g, {4}), full({4}, 6.0)));
  EXPECT_TRUE(all_close(ops::sum_to(g, {3, 1}), full({3, 1}, 8.0)));
  EXPECT_TRUE(all_close(ops::sum_to(g, {2, 1, 4}), full({2, 1, 4}, 3.0)));
  EXPECT_EQ(ops::sum_to(g, {2, 3, 4}).storage(), g.storage());  // nothing to reduce: no copy
}

TEST(ReduceGrad, SumMeanMax) {
  manual_seed(8);
  Tensor x = leaf({3, 4, 5});
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::sum(in[0]); }, (Inputs{x}), "sum all");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::sum(in[0], {1}); }, (Inputs{x}), "sum dim 1");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::sum(in[0], {0, 2}, true); }, (Inputs{x}), "sum dims 0,2 keepdim");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::mean(in[0], {-1}); }, (Inputs{x}), "mean last");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::mean(in[0]); }, (Inputs{x}), "mean all");
  // max: distinct values (random floats) keep away from ties, where max is not differentiable
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::max(in[0], 1); }, (Inputs{x}), "max dim 1");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::max(in[0], -1, true); }, (Inputs{x}), "max last keepdim");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::max(in[0]); }, (Inputs{x}), "max all");
}

TEST(ReduceGrad, StridedInputs) {
  manual_seed(9);
  Tensor t = transposed_leaf(4, 3);
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::sum(in[0], {0}); }, (Inputs{t}), "sum strided");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::mean(in[0], {1}, true); }, (Inputs{t}), "mean strided");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::max(in[0], 0); }, (Inputs{t}), "max strided");
}

TEST(Reduce, Errors) {
  expect_error([] { ops::sum(zeros({2, 3}), {2}); }, {"sum", "dim 2", "2 dims"});
  expect_error([] { ops::sum(zeros({2, 3}), {1, -1}); }, {"sum", "twice"});
  expect_error([] { ops::max(zeros({2, 0}), 1); }, {"max", "empty"});
  expect_error([] { ops::mean(zeros({0})); }, {"mean"});
  expect_error([] { ops::sum(arange(3)); }, {"sum", "int64"});
}

}  // namespace
}  // namespace heed
