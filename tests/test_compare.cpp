// ops::eq, ops::ne, ops::count_nonzero (ops/compare.h) and ops::select's values and errors (its
// gradcheck is with the other views' in test_shape.cpp).
#include "test_util.h"

#include "heed/ops/compare.h"
#include "heed/ops/shape.h"

namespace heed {
namespace {

using testing::expect_error;

TEST(Compare, EqAndNeOnIdsAndFloats) {
  Tensor ids = from_vector(std::vector<int64_t>{5, 0, 7, 0}, {2, 2});
  EXPECT_EQ(ops::eq(ids, 0).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0, 1}));
  EXPECT_EQ(ops::ne(ids, 0).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 1, 0}));
  EXPECT_EQ(ops::eq(ids, 0).shape(), (Shape{2, 2}));
  Tensor x = from_vector(std::vector<float>{0.5f, 1.0f, 1.0f}, {3});
  EXPECT_EQ(ops::eq(x, 1.0).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(ops::eq(x, 1.0).dtype(), Dtype::Int64);
}

TEST(Compare, EqReadsStridedInput) {
  Tensor ids = from_vector(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(ops::eq(ops::transpose(ids, 0, 1), 4).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0, 0, 0, 0}));
}

TEST(Compare, CountNonzeroAlongEachDim) {
  Tensor ids = from_vector(std::vector<int64_t>{4, 5, 0, 6, 0, 0}, {2, 3});
  EXPECT_EQ(ops::count_nonzero(ids, 1).to_vector<int64_t>(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(ops::count_nonzero(ids, 0).to_vector<int64_t>(), (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(ops::count_nonzero(ids, -1).shape(), (Shape{2}));
  expect_error([&] { ops::count_nonzero(ids, 2); }, {"count_nonzero"});
}

TEST(Select, PicksOneIndexAsAView) {
  Tensor x = testing::iota({2, 3, 4});
  Tensor column = ops::select(x, 1, 2);
  EXPECT_EQ(column.shape(), (Shape{2, 4}));
  EXPECT_EQ(column.to_vector<float>(), ops::squeeze(ops::narrow(x, 1, 2, 1), 1).to_vector<float>());
  EXPECT_EQ(ops::select(x, 1, -1).to_vector<float>(), column.to_vector<float>());
  expect_error([&] { ops::select(x, 1, 3); }, {"select", "index 3", "[2, 3, 4]"});
}

}  // namespace
}  // namespace heed
