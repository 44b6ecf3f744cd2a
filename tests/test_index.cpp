// Indexing ops: index_select, embedding, masked_fill and where. Values, errors, hand-computed
// gradients (repeated ids accumulate, padding rows stay zero), determinism across thread counts,
// and gradcheck on dense and non-contiguous leaves.
#include "test_util.h"

#include <cmath>
#include <limits>

#include "heed/ops/index.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::iota;
using testing::leaf;
using testing::transposed_leaf;
using Inputs = std::vector<Tensor>;


Tensor ids(std::vector<int64_t> values, Shape shape = {}) { return from_vector(values, std::move(shape)); }



// ---- index_select ----

TEST(IndexSelect, PicksEntriesAlongADim) {
  Tensor x = iota({3, 4});
  EXPECT_TRUE(all_close(ops::index_select(x, 0, ids({2, 0, 2})),
                        from_vector({8.f, 9.f, 10.f, 11.f, 0.f, 1.f, 2.f, 3.f, 8.f, 9.f, 10.f, 11.f}, {3, 4})));
  EXPECT_TRUE(all_close(ops::index_select(x, -1, ids({3, 1})), from_vector({3.f, 1.f, 7.f, 5.f, 11.f, 9.f}, {3, 2})));
  EXPECT_EQ(ops::index_select(arange(5), 0, ids({4, 4, 0})).to_vector<int64_t>(), (std::vector<int64_t>{4, 4, 0}));
}

TEST(IndexSelect, RepeatedIndicesAccumulateGradient) {
  Tensor x = zeros({3, 2}).set_requires_grad();
  Tensor y = ops::index_select(x, 0, ids({2, 0, 2}));
  y.backward(from_vector({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {3, 2}));
  EXPECT_TRUE(all_close(x.grad(), from_vector({3.f, 4.f, 0.f, 0.f, 6.f, 8.f}, {3, 2})));
}

TEST(IndexSelect, Errors) {
  Tensor x = zeros({3, 4});
  expect_error([&] { ops::index_select(x, 0, ids({0, 3})); }, {"index_select", "index 3", "position 1", "[3, 4]"});
  expect_error([&] { ops::index_select(x, 1, ids({-1})); }, {"index_select", "index -1"});
  expect_error([&] { ops::index_select(x, 0, ids({0, 1}, {1, 2})); }, {"index_select", "[1, 2]", "1 dim"});
  EXPECT_THROW(ops::index_select(x, 0, from_vector({0.f})), Error);
  EXPECT_THROW(ops::index_select(x, 2, ids({0})), Error);
}

TEST(IndexSelectGrad, DenseAndStrided) {
  manual_seed(21);
  auto rows = [](const Inputs& in) { return ops::index_select(in[0], 0, ids({2, 0, 2, 1})); };
  auto columns = [](const Inputs& in) { return ops::index_select(in[0], 1, ids({3, 3, 0})); };
  for (const Tensor& x : {leaf({3, 4}), transposed_leaf(3, 4)}) {
    EXPECT_GRADCHECK(rows, (Inputs{x}), "index_select dim 0");
    EXPECT_GRADCHECK(columns, (Inputs{x}), "index_select dim 1");
  }
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::index_select(in[0], 1, ids({1, 1, 0})); },
                   (Inputs{leaf({2, 3, 4})}), "index_select middle dim");
}

// ---- embedding ----

TEST(Embedding, LooksUpRowsForIdsOfAnyShape) {
  Tensor weight = iota({4, 3});
  Tensor out = ops::embedding(weight, ids({1, 3, 0, 1}, {2, 2}));
  EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
  EXPECT_TRUE(all_close(out, from_vector({3.f, 4.f, 5.f, 9.f, 10.f, 11.f, 0.f, 1.f, 2.f, 3.f, 4.f, 5.f}, {2, 2, 3})));
  EXPECT_EQ(ops::embedding(weight, ids({2}, {1})).shape(), (Shape{1, 3}));
}

TEST(Embedding, OutOfRangeIdNamesIdPositionAndV) {
  Tensor weight = zeros({4, 3});
  expect_error([&] { ops::embedding(weight, ids({1, 2, 9, 0}, {2, 2})); },
               {"embedding", "id 9", "position [1, 0]", "V = 4"});
  expect_error([&] { ops::embedding(weight, ids({-1})); }, {"embedding", "id -1", "position [0]"});
  EXPECT_THROW(ops::embedding(weight, from_vector({1.f})), Error);
  EXPECT_THROW(ops::embedding(zeros({4}), ids({1})), Error);
  EXPECT_THROW(ops::embedding(weight, ids({1}), 4), Error);
}

TEST(Embedding, RepeatedIdsAccumulateGradient) {
  Tensor weight = zeros({4, 2}).set_requires_grad();
  Tensor out = ops::embedding(weight, ids({1, 1, 2}));
  out.backward(from_vector({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {3, 2}));
  EXPECT_TRUE(all_close(weight.grad(), from_vector({0.f, 0.f, 4.f, 6.f, 5.f, 6.f, 0.f, 0.f}, {4, 2})));
}

TEST(Embedding, PaddingRowIsReadButGetsNoGradient) {
  for (int64_t padding_idx : {1, -3}) {  // -3 is row 1 of 4
    Tensor weight = iota({4, 2}).detach().set_requires_grad();
    Tensor out = ops::embedding(weight, ids({1, 2, 1}), padding_idx);
    EXPECT_TRUE(all_close(out, from_vector({2.f, 3.f, 4.f, 5.f, 2.f, 3.f}, {3, 2})));
    out.backward(from_vector({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {3, 2}));
    EXPECT_TRUE(all_close(weight.grad(), from_vector({0.f, 0.f, 0.f, 0.f, 3.f, 4.f, 0.f, 0.f}, {4, 2})));
  }
}

TEST(Embedding, BackwardIsTheSameWhateverTheThreadCount) {
  manual_seed(22);
  const int64_t V = 50, D = 64, N = 2048;  // many repeats of each id; enough columns to split
  Tensor id = randint(0, V, {N});
  Tensor g = randn({N, D});
  auto grad_with_threads = [&](int threads) {
    set_num_threads(threads);
    Tensor weight = zeros({V, D}).set_requires_grad();
    ops::embedding(weight, id).backward(g);
    return weight.grad().to_vector<float>();
  };
  const int original = num_threads();
  std::vector<float> one = grad_with_threads(1), two = grad_with_threads(2);
  set_num_threads(original);
  EXPECT_EQ(one, two);
  // Against a plain loop adding rows in order.
  std::vector<float> expected(static_cast<size_t>(V * D), 0.0f);
  std::vector<int64_t> id_values = id.to_vector<int64_t>();
  std::vector<float> g_values = g.to_vector<float>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < D; ++j) expected[id_values[n] * D + j] += g_values[n * D + j];
  EXPECT_EQ(one, expected);
}

TEST(EmbeddingGrad, DenseAndTransposedWeight) {
  manual_seed(23);
  auto f = [](const Inputs& in) { return ops::embedding(in[0], ids({4, 0, 4, 2, 1, 4}, {2, 3})); };
  EXPECT_GRADCHECK(f, (Inputs{leaf({5, 3})}), "embedding");
  EXPECT_GRADCHECK(f, (Inputs{transposed_leaf(5, 3)}), "embedding transposed weight");
}

// ---- masked_fill ----

TEST(MaskedFill, BroadcastsTheMaskAndTakesAnyDtype) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  Tensor x = iota({2, 3});
  Tensor filled = ops::masked_fill(x, ids({1, 0, 1}), -inf);
  std::vector<float> v = filled.to_vector<float>();
  EXPECT_EQ(v, (std::vector<float>{-inf, 1.f, -inf, -inf, 4.f, -inf}));
  EXPECT_TRUE(all_close(ops::masked_fill(x, from_vector({0.f, 0.5f}, {2, 1}), 7.f),
                        from_vector({0.f, 1.f, 2.f, 7.f, 7.f, 7.f}, {2, 3})));
  EXPECT_TRUE(all_close(ops::masked_fill(ops::masked_fill(x, ids({0, 0, 1, 1, 0, 0}, {2, 3}), 9.f), ids({0}, {1}), 1.f),
                        from_vector({0.f, 1.f, 9.f, 9.f, 4.f, 5.f}, {2, 3})));
}

TEST(MaskedFill, MaskThatCannotBroadcastNamesBothShapes) {
  expect_error([] { ops::masked_fill(zeros({2, 3}), ids({1, 0, 1, 0}), 0.f); }, {"masked_fill", "[4]", "[2, 3]"});
  expect_error([] { ops::masked_fill(zeros({3}), ids({1, 0, 1, 0, 0, 0}, {2, 3}), 0.f); },
               {"masked_fill", "[2, 3]", "[3]"});
}

TEST(MaskedFill, MaskedPositionsGetNoGradient) {
  Tensor x = from_vector({1.f, 2.f, 3.f}).set_requires_grad();
  ops::sum(ops::masked_fill(x, ids({0, 1, 0}), -std::numeric_limits<float>::infinity()) * 2.f).backward();
  EXPECT_TRUE(all_close(x.grad(), from_vector({2.f, 0.f, 2.f})));
}

TEST(MaskedFillGrad, DenseStridedAndBroadcastMasks) {
  manual_seed(24);
  Tensor row_mask = ids({1, 0, 0, 1}, {1, 4});
  Tensor column_mask = from_vector({0.f, 1.f, 0.f}, {3, 1});
  for (const Tensor& x : {leaf({3, 4}), transposed_leaf(3, 4)}) {
    EXPECT_GRADCHECK([&](const Inputs& in) { return ops::masked_fill(in[0], row_mask, -5.f); }, (Inputs{x}),
                     "masked_fill row");
    EXPECT_GRADCHECK([&](const Inputs& in) { return ops::masked_fill(in[0], column_mask, 0.f); }, (Inputs{x}),
                     "masked_fill column");
  }
}

// ---- where ----

TEST(Where, ChoosesAmongBroadcastOperands) {
  Tensor a = iota({2, 3});
  Tensor b = from_vector({-1.f});
  EXPECT_TRUE(all_close(ops::where(ids({1, 0}, {2, 1}), a, b),
                        from_vector({0.f, 1.f, 2.f, -1.f, -1.f, -1.f}, {2, 3})));
  EXPECT_TRUE(all_close(ops::where(from_vector({0.f, 2.f, 0.f}), a, b),
                        from_vector({-1.f, 1.f, -1.f, -1.f, 4.f, -1.f}, {2, 3})));
  EXPECT_EQ(ops::where(ids({1}, {1, 1, 1}), b, from_vector({5.f, 6.f})).shape(), (Shape{1, 1, 2}));
  EXPECT_THROW(ops::where(ids({1, 0}), a, b), Error);
}

TEST(Where, GradientsGoToTheChosenSideAndSumBack) {
  Tensor a = from_vector({1.f, 2.f, 3.f}).set_requires_grad();
  Tensor b = from_vector({0.f}).set_requires_grad();
  ops::sum(ops::where(ids({1, 0, 1}), a, b)).backward();
  EXPECT_TRUE(all_close(a.grad(), from_vector({1.f, 0.f, 1.f})));
  EXPECT_TRUE(all_close(b.grad(), from_vector({1.f})));
}

TEST(WhereGrad, DenseStridedAndBroadcast) {
  manual_seed(25);
  Tensor condition = ids({1, 0, 0, 1, 1, 0}, {3, 2});
  Tensor column_condition = from_vector({1.f, 0.f, 1.f}, {3, 1});
  auto f = [&](const Inputs& in) { return ops::where(condition, in[0], in[1]); };
  auto g = [&](const Inputs& in) { return ops::where(column_condition, in[0], in[1]); };
  EXPECT_GRADCHECK(f, (Inputs{leaf({3, 2}), leaf({3, 2})}), "where dense");
  EXPECT_GRADCHECK(f, (Inputs{transposed_leaf(3, 2), leaf({2})}), "where strided and row");
  EXPECT_GRADCHECK(g, (Inputs{leaf({1, 4}), transposed_leaf(3, 4)}), "where broadcast a");
}

}  // namespace
}  // namespace heed
