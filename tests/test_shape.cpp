// Shape ops: values, that views share storage with the right offset and strides, views of views,
// the errors, and gradcheck of every op on dense and on non-contiguous leaves.
#include "test_util.h"

#include "heed/ops/shape.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::iota;
using testing::leaf;
using testing::transposed_leaf;
using Inputs = std::vector<Tensor>;

// A float32 leaf of shape (2, 3, 4) that reads every other element of its storage, from offset 1.
Tensor stepped_leaf() {
  Tensor base = leaf({2, 3, 8}).detach();
  Tensor t = make_view(base, {2, 3, 4}, {24, 8, 2}, 1);
  t.set_requires_grad();
  return t;
}

// ---- reshape and view ----

TEST(Reshape, ContiguousInputGivesAViewOfTheSameStorage) {
  Tensor x = iota({2, 3});
  Tensor y = ops::reshape(x, {3, 2});
  EXPECT_EQ(y.storage(), x.storage());
  EXPECT_EQ(y.strides(), (Shape{2, 1}));
  EXPECT_EQ(y.offset(), 0);
  EXPECT_TRUE(all_close(y, from_vector({0.f, 1.f, 2.f, 3.f, 4.f, 5.f}, {3, 2})));
  EXPECT_EQ(ops::reshape(x, {-1, 2}).shape(), (Shape{3, 2}));
  EXPECT_EQ(ops::reshape(x, {-1}).shape(), (Shape{6}));
  EXPECT_EQ(ops::reshape(x, {1, 6, 1}).shape(), (Shape{1, 6, 1}));
}

TEST(Reshape, TransposedInputIsCopiedInRowMajorOrder) {
  Tensor x = ops::transpose(iota({2, 3}), 0, 1);  // [[0, 3], [1, 4], [2, 5]]
  Tensor y = ops::reshape(x, {6});
  EXPECT_NE(y.storage(), x.storage());
  EXPECT_TRUE(y.is_contiguous());
  EXPECT_TRUE(all_close(y, from_vector({0.f, 3.f, 1.f, 4.f, 2.f, 5.f})));
}

TEST(Reshape, StridedInputStaysAViewWhenTheStridesAllowIt) {
  // (2, 4, 3) with strides (12, 1, 4): splitting the stride-1 dim of size 4 into (2, 2) needs no copy.
  Tensor x = ops::transpose(iota({2, 3, 4}), 1, 2);
  Tensor y = ops::reshape(x, {2, 2, 2, 3});
  EXPECT_EQ(y.storage(), x.storage());
  EXPECT_EQ(y.strides(), (Shape{12, 2, 1, 4}));
  // x[b, j, i] = 12b + 4i + j, so y[b, p, q, i] = x[b, 2p + q, i] = 12b + 4i + 2p + q.
  EXPECT_EQ(y.at({1, 1, 0, 2}), 12.f + 8.f + 2.f);
  EXPECT_EQ(y.at({0, 0, 1, 1}), 4.f + 1.f);
  // A column slice (4, 3) with strides (6, 1) can split its rows but not merge them with columns.
  Tensor columns = ops::slice(iota({4, 6}), 1, 0, 3);
  EXPECT_EQ(ops::view(columns, {2, 2, 3}).strides(), (Shape{12, 6, 1}));
  EXPECT_THROW(ops::view(columns, {12}), Error);
}

TEST(Reshape, DifferentElementCountNamesBothShapes) {
  expect_error([] { ops::reshape(zeros({2, 3}), {4}); },
               {"reshape: cannot reshape [2, 3] (6 elements) to [4] (4 elements)"});
  expect_error([] { ops::reshape(zeros({2, 3}), {4, -1}); }, {"reshape", "[2, 3]", "[4, -1]"});
  expect_error([] { ops::reshape(zeros({2, 3}), {-1, -1}); }, {"reshape", "only one size may be -1"});
}

TEST(View, RefusesToCopy) {
  Tensor x = ops::transpose(iota({2, 3}), 0, 1);
  expect_error([&] { ops::view(x, {6}); }, {"view", "[3, 2]", "[6]", "without copying"});
  Tensor y = ops::view(iota({2, 3}), {6});
  EXPECT_EQ(y.strides(), (Shape{1}));
}

TEST(View, WriteThroughTheBaseIsSeenByTheView) {
  Tensor base = zeros({2, 3});
  Tensor t = ops::transpose(base, 0, 1);
  Tensor r = ops::view(base, {3, 2});
  base.mutable_data<float>()[1] = 5.f;  // base[0, 1]
  EXPECT_EQ(t.at({1, 0}), 5.f);
  EXPECT_EQ(r.at({0, 1}), 5.f);
}

// ---- transpose, permute ----

TEST(Transpose, SwapsShapeAndStrides) {
  Tensor x = iota({2, 3, 4});
  Tensor y = ops::transpose(x, 0, -1);
  EXPECT_EQ(y.shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(y.strides(), (Shape{1, 4, 12}));
  EXPECT_EQ(y.storage(), x.storage());
  EXPECT_EQ(y.at({3, 1, 1}), 12.f + 4.f + 3.f);  // x[1, 1, 3]
  expect_error([&] { ops::transpose(x, 0, 3); }, {"transpose", "dim 3", "out of range"});
}

TEST(Permute, ReordersDimsAndChecksItIsAPermutation) {
  Tensor x = iota({2, 3, 4});
  Tensor y = ops::permute(x, {2, 0, 1});
  EXPECT_EQ(y.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(y.strides(), (Shape{1, 12, 4}));
  EXPECT_EQ(y.at({3, 1, 2}), 12.f + 8.f + 3.f);  // x[1, 2, 3]
  expect_error([&] { ops::permute(x, {0, 0, 1}); }, {"permute", "[0, 0, 1]", "twice"});
  expect_error([&] { ops::permute(x, {0, 1}); }, {"permute", "[0, 1]", "[2, 3, 4]"});
  expect_error([&] { ops::permute(x, {0, 1, 3}); }, {"permute", "out of range"});
}

// ---- slice, narrow ----

TEST(Slice, PythonLikeBoundsAndSteps) {
  Tensor x = iota({10});
  EXPECT_TRUE(all_close(ops::slice(x, 0, -3, 100), from_vector({7.f, 8.f, 9.f})));
  EXPECT_TRUE(all_close(ops::slice(x, 0, 1, 8, 3), from_vector({1.f, 4.f, 7.f})));
  EXPECT_TRUE(all_close(ops::slice(x, 0, -100, 2), from_vector({0.f, 1.f})));
  EXPECT_EQ(ops::slice(x, 0, 5, 2).shape(), (Shape{0}));
  expect_error([&] { ops::slice(x, 0, 0, 5, 0); }, {"slice", "step 0"});
  expect_error([&] { ops::slice(x, 1, 0, 5); }, {"slice", "dim 1", "out of range"});
}

TEST(Slice, IsAViewWithOffsetAndSteppedStride) {
  Tensor x = iota({3, 8});
  Tensor y = ops::slice(x, 1, 2, 8, 2);  // columns 2, 4, 6
  EXPECT_EQ(y.storage(), x.storage());
  EXPECT_EQ(y.shape(), (Shape{3, 3}));
  EXPECT_EQ(y.strides(), (Shape{8, 2}));
  EXPECT_EQ(y.offset(), 2);
  EXPECT_TRUE(all_close(y, from_vector({2.f, 4.f, 6.f, 10.f, 12.f, 14.f, 18.f, 20.f, 22.f}, {3, 3})));
}

TEST(Narrow, StrictRange) {
  Tensor x = iota({2, 5});
  Tensor y = ops::narrow(x, 1, 1, 3);
  EXPECT_EQ(y.offset(), 1);
  EXPECT_TRUE(all_close(y, from_vector({1.f, 2.f, 3.f, 6.f, 7.f, 8.f}, {2, 3})));
  expect_error([&] { ops::narrow(x, 1, 3, 3); }, {"narrow", "start 3", "length 3", "[2, 5]"});
  EXPECT_THROW(ops::narrow(x, 1, -1, 1), Error);
  EXPECT_THROW(ops::narrow(x, 2, 0, 1), Error);
}

TEST(Views, ViewsOfViewsComposeOffsetsAndStrides) {
  Tensor x = iota({4, 6});                    // x[i, j] = 6i + j
  Tensor rows = ops::slice(x, 0, 1, 4);        // rows 1..3, offset 6
  Tensor t = ops::transpose(rows, 0, 1);       // (6, 3), strides (1, 6)
  Tensor y = ops::slice(t, 0, 1, 6, 2);        // t rows 1, 3, 5: x columns 1, 3, 5
  EXPECT_EQ(y.storage(), x.storage());
  EXPECT_EQ(y.shape(), (Shape{3, 3}));
  EXPECT_EQ(y.strides(), (Shape{2, 6}));
  EXPECT_EQ(y.offset(), 7);
  // y[a, b] = x[1 + b, 1 + 2a]
  EXPECT_TRUE(all_close(y, from_vector({7.f, 13.f, 19.f, 9.f, 15.f, 21.f, 11.f, 17.f, 23.f}, {3, 3})));
  Tensor z = ops::unsqueeze(ops::narrow(y, 1, 1, 2), 0);  // (1, 3, 2)
  EXPECT_EQ(z.offset(), 13);
  EXPECT_EQ(z.at({0, 2, 1}), 23.f);
}

// ---- unsqueeze, squeeze, flatten ----

TEST(Squeeze, UnsqueezeAndSqueezeAreViews) {
  Tensor x = iota({2, 3});
  Tensor u = ops::unsqueeze(x, 1);
  EXPECT_EQ(u.shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(u.storage(), x.storage());
  EXPECT_EQ(ops::unsqueeze(x, -1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(ops::unsqueeze(x, 0).shape(), (Shape{1, 2, 3}));
  EXPECT_THROW(ops::unsqueeze(x, 3), Error);
  Tensor ones_around = ops::reshape(x, {1, 2, 1, 3, 1});
  EXPECT_EQ(ops::squeeze(ones_around).shape(), (Shape{2, 3}));
  EXPECT_EQ(ops::squeeze(ones_around, 2).shape(), (Shape{1, 2, 3, 1}));
  EXPECT_EQ(ops::squeeze(ones_around, 1).shape(), (Shape{1, 2, 1, 3, 1}));  // size 2: unchanged
  EXPECT_TRUE(all_close(ops::squeeze(ones_around), x));
  EXPECT_THROW(ops::squeeze(x, 2), Error);
}

TEST(Flatten, MergesARangeOfDims) {
  Tensor x = iota({2, 3, 4});
  EXPECT_EQ(ops::flatten(x).shape(), (Shape{24}));
  EXPECT_EQ(ops::flatten(x, 1).shape(), (Shape{2, 12}));
  EXPECT_EQ(ops::flatten(x, 0, 1).shape(), (Shape{6, 4}));
  EXPECT_EQ(ops::flatten(scalar_tensor(3.f)).shape(), (Shape{1}));
  EXPECT_THROW(ops::flatten(x, 2, 1), Error);
}

// ---- expand, contiguous ----

TEST(Expand, StretchesSizeOneDimsWithStrideZero) {
  Tensor x = from_vector({1.f, 2.f, 3.f}, {3, 1});
  Tensor y = ops::expand(x, {2, 3, 4});
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(y.strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(y.storage(), x.storage());
  EXPECT_EQ(y.at({1, 2, 3}), 3.f);
  EXPECT_EQ(ops::expand(x, {-1, 5}).shape(), (Shape{3, 5}));
  expect_error([&] { ops::expand(x, {2, 4}); }, {"expand", "[3, 1]", "[2, 4]"});
  expect_error([&] { ops::expand(x, {-1, 3, 4}); }, {"expand", "new leading dim"});
  EXPECT_THROW(ops::expand(x, {4}), Error);
}

TEST(Contiguous, ReturnsItselfOrADenseCopy) {
  Tensor x = iota({2, 3});
  EXPECT_EQ(ops::contiguous(x).impl(), x.impl());
  Tensor t = ops::transpose(x, 0, 1);
  Tensor c = ops::contiguous(t);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage(), x.storage());
  EXPECT_TRUE(all_close(c, from_vector({0.f, 3.f, 1.f, 4.f, 2.f, 5.f}, {3, 2})));
}

// ---- cat, stack, split, chunk ----

TEST(Cat, JoinsAlongAnExistingDim) {
  Tensor a = iota({2, 2}), b = from_vector({10.f, 11.f, 12.f, 13.f, 14.f, 15.f}, {2, 3});
  EXPECT_TRUE(all_close(ops::cat({a, b}, 1),
                        from_vector({0.f, 1.f, 10.f, 11.f, 12.f, 2.f, 3.f, 13.f, 14.f, 15.f}, {2, 5})));
  EXPECT_TRUE(all_close(ops::cat({a, ops::transpose(a, 0, 1)}, 0),
                        from_vector({0.f, 1.f, 2.f, 3.f, 0.f, 2.f, 1.f, 3.f}, {4, 2})));
  Tensor ids = ops::cat({arange(2), arange(3)}, 0);
  EXPECT_EQ(ids.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0, 1, 2}));
}

TEST(Cat, MismatchedShapesNameBoth) {
  expect_error([] { ops::cat({zeros({2, 3}), zeros({3, 4})}, 0); }, {"cat", "tensor 1", "[3, 4]", "[2, 3]", "dim 0"});
  expect_error([] { ops::cat({zeros({2, 3}), zeros({2, 3, 1})}, 0); }, {"cat", "[2, 3, 1]"});
  expect_error([] { ops::cat({zeros({2}), arange(2)}, 0); }, {"cat", "int64", "float32"});
  EXPECT_THROW(ops::cat({}, 0), Error);
  EXPECT_THROW(ops::cat({zeros({2})}, 1), Error);
}

TEST(Stack, JoinsAlongANewDim) {
  Tensor a = from_vector({1.f, 2.f}), b = from_vector({3.f, 4.f});
  EXPECT_TRUE(all_close(ops::stack({a, b}, 0), from_vector({1.f, 2.f, 3.f, 4.f}, {2, 2})));
  EXPECT_TRUE(all_close(ops::stack({a, b}, -1), from_vector({1.f, 3.f, 2.f, 4.f}, {2, 2})));
  expect_error([&] { ops::stack({a, zeros({3})}, 0); }, {"stack", "[3]", "[2]"});
}

TEST(Split, PiecesAreViewsAndTheLastMayBeSmaller) {
  Tensor x = iota({5, 2});
  std::vector<Tensor> pieces = ops::split(x, 2, 0);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[2].shape(), (Shape{1, 2}));
  EXPECT_EQ(pieces[1].storage(), x.storage());
  EXPECT_EQ(pieces[1].offset(), 4);
  EXPECT_TRUE(all_close(pieces[2], from_vector({8.f, 9.f}, {1, 2})));
  EXPECT_THROW(ops::split(x, 0, 0), Error);
}

TEST(Chunk, FollowsPyTorch) {
  auto sizes = [](const std::vector<Tensor>& pieces) {
    std::vector<int64_t> out;
    for (const Tensor& p : pieces) out.push_back(p.size(0));
    return out;
  };
  EXPECT_EQ(sizes(ops::chunk(iota({5}), 3, 0)), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(sizes(ops::chunk(iota({6}), 4, 0)), (std::vector<int64_t>{2, 2, 2}));  // only 3 pieces
  EXPECT_EQ(sizes(ops::chunk(iota({0}), 3, 0)), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_TRUE(all_close(ops::chunk(iota({2, 4}), 2, 1)[1], from_vector({2.f, 3.f, 6.f, 7.f}, {2, 2})));
  EXPECT_THROW(ops::chunk(iota({4}), 0, 0), Error);
}

// ---- gradients ----

TEST(ShapeGrad, HandComputedThroughOverlappingSlices) {
  // y = sum(x[0:3]) + sum(x[1:4] * [1, 2, 3])  =>  dy/dx = [1, 1, 1, 0] + [0, 1, 2, 3]
  Tensor x = from_vector({5.f, 6.f, 7.f, 8.f}).set_requires_grad();
  Tensor y = ops::sum(ops::slice(x, 0, 0, 3)) + ops::sum(ops::slice(x, 0, 1, 4) * from_vector({1.f, 2.f, 3.f}));
  y.backward();
  EXPECT_TRUE(all_close(x.grad(), from_vector({1.f, 2.f, 3.f, 3.f})));
}

TEST(ShapeGrad, ExpandSumsTheGradientBack) {
  Tensor x = from_vector({1.f, 2.f}, {2, 1}).set_requires_grad();
  ops::sum(ops::expand(x, {3, 2, 4})).backward();
  EXPECT_TRUE(all_close(x.grad(), from_vector({12.f, 12.f}, {2, 1})));
}

TEST(ShapeGrad, ViewsOnDenseAndStridedLeaves) {
  manual_seed(11);
  std::vector<std::pair<const char*, std::function<Tensor(const Inputs&)>>> cases = {
      {"reshape", [](const Inputs& in) { return ops::reshape(in[0], {2, -1, 2}); }},
      {"reshape flat", [](const Inputs& in) { return ops::reshape(in[0], {12}); }},
      {"view", [](const Inputs& in) { return ops::view(in[0], {in[0].size(0), in[0].size(1)}); }},
      {"transpose", [](const Inputs& in) { return ops::transpose(in[0], 0, 1); }},
      {"permute", [](const Inputs& in) { return ops::permute(in[0], {1, 0}); }},
      {"slice", [](const Inputs& in) { return ops::slice(in[0], 1, -3, 4, 2); }},
      {"narrow", [](const Inputs& in) { return ops::narrow(in[0], 0, 1, 2); }},
      {"select", [](const Inputs& in) { return ops::select(in[0], 1, -2); }},
      {"unsqueeze", [](const Inputs& in) { return ops::unsqueeze(in[0], 1); }},
      {"squeeze", [](const Inputs& in) { return ops::squeeze(ops::narrow(in[0], 0, 1, 1)); }},
      {"flatten", [](const Inputs& in) { return ops::flatten(in[0]); }},
      {"contiguous", [](const Inputs& in) { return ops::contiguous(in[0]); }},
      {"expand", [](const Inputs& in) { return ops::expand(ops::narrow(in[0], 1, 0, 1), {2, 3, 5}); }},
  };
  for (auto& [name, f] : cases) {
    EXPECT_GRADCHECK(f, (Inputs{leaf({3, 4})}), std::string(name) + " dense");
    EXPECT_GRADCHECK(f, (Inputs{transposed_leaf(3, 4)}), std::string(name) + " transposed leaf");
  }
}

TEST(ShapeGrad, ViewOnAStridedLeafIsAViewAndDifferentiable) {
  Tensor x = transposed_leaf(3, 4);  // strides (1, 3): viewing as (3, 2, 2) splits the stride-3 dim
  Tensor y = ops::view(x, {3, 2, 2});
  EXPECT_EQ(y.strides(), (Shape{1, 6, 3}));
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::view(in[0], {3, 2, 2}); }, (Inputs{x}), "view strided");
}

TEST(ShapeGrad, ThreeDimViewsOnASteppedLeaf) {
  manual_seed(12);
  Tensor stepped = stepped_leaf();
  Tensor dense = leaf({2, 3, 4});
  for (const Tensor& x : {dense, stepped}) {
    EXPECT_GRADCHECK([](const Inputs& in) { return ops::permute(in[0], {2, 0, 1}); }, (Inputs{x}), "permute 3-D");
    EXPECT_GRADCHECK([](const Inputs& in) { return ops::reshape(in[0], {4, 6}); }, (Inputs{x}), "reshape 3-D");
    EXPECT_GRADCHECK([](const Inputs& in) { return ops::flatten(in[0], 1); }, (Inputs{x}), "flatten 3-D");
    // A chain of views whose gradients arrive non-contiguous at each step back.
    EXPECT_GRADCHECK(
        [](const Inputs& in) {
          Tensor t = ops::transpose(ops::slice(in[0], 2, 1, 4), 0, 2);   // (3, 3, 2)
          return ops::reshape(ops::unsqueeze(ops::narrow(t, 1, 1, 2), 0), {3, 4}) * 2.f;
        },
        (Inputs{x}), "views of views");
  }
}

TEST(ShapeGrad, CatStackSplitChunk) {
  manual_seed(13);
  Tensor a = leaf({3, 4}), b = transposed_leaf(3, 2), c = leaf({3, 4});
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::cat({in[0], in[1]}, 1); }, (Inputs{a, b}), "cat dim 1");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::cat({in[0], in[1], in[0]}, -1); }, (Inputs{a, b}),
                   "cat input used twice");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::cat({in[0], ops::transpose(in[1], 0, 1)}, 0); },
                   (Inputs{a, transposed_leaf(4, 2)}), "cat dim 0");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::stack({in[0], in[1]}, 1); },
                   (Inputs{a, transposed_leaf(3, 4)}), "stack");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::stack({in[0], in[1]}, 2); }, (Inputs{a, c}), "stack last");
  auto split_product = [](const Inputs& in) {  // the two halves multiplied: both pieces carry gradient
    std::vector<Tensor> halves = ops::split(in[0], 2, 1);
    return halves[0] * halves[1];
  };
  auto chunk_product = [](const Inputs& in) {
    std::vector<Tensor> halves = ops::chunk(in[0], 2, 1);
    return halves[0] * halves[1];
  };
  for (const Tensor& x : {leaf({3, 4}), transposed_leaf(3, 4)}) {
    EXPECT_GRADCHECK(split_product, (Inputs{x}), "split");
    EXPECT_GRADCHECK(chunk_product, (Inputs{x}), "chunk");
    EXPECT_GRADCHECK([](const Inputs& in) { return ops::split(in[0], 2, 0)[1]; }, (Inputs{x}), "split last piece");
  }
}

TEST(ShapeGrad, OnlyInputsThatNeedGradGetOne) {
  Tensor a = from_vector({1.f, 2.f}).set_requires_grad(), b = from_vector({3.f});
  ops::sum(ops::cat({a, b}, 0) * from_vector({1.f, 2.f, 3.f})).backward();
  EXPECT_TRUE(all_close(a.grad(), from_vector({1.f, 2.f})));
  EXPECT_FALSE(b.grad().defined());
}

}  // namespace
}  // namespace heed
