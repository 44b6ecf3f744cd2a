// matmul and linear: values against the definition (one dot product per element), every batch
// and layout path (folded, per entry in parallel, large, broadcast, transposed views), gradcheck,
// PyTorch's goldens, and the errors.
#include <omp.h>

#include "golden.h"
#include "heed/ops/matmul.h"
#include "heed/ops/matmul_into.h"
#include "heed/core/anomaly.h"
#include "heed/ops/elementwise.h"

namespace heed {
namespace {

using testing::all_close;
using testing::leaf;
using Inputs = std::vector<Tensor>;

// The index of `t` that the output index `out_index` reads: batch dims aligned from the right
// (size-1 dims stay at 0), then row `row` and column `col` of the matrix.
std::vector<int64_t> operand_index(const Tensor& t, const Shape& out_index, int64_t row, int64_t col) {
  std::vector<int64_t> index(static_cast<size_t>(t.dim()));
  const size_t batch = index.size() - 2, lead = out_index.size() - 2 - batch;
  for (size_t d = 0; d < batch; ++d) index[d] = t.shape()[d] == 1 ? 0 : out_index[lead + d];
  index[batch] = row;
  index[batch + 1] = col;
  return index;
}

// a · b by definition: out[..., i, j] = Σ_k a[..., i, k] b[..., k, j], in double.
Tensor reference_matmul(const Tensor& a, const Tensor& b) {
  Shape batch_a(a.shape().begin(), a.shape().end() - 2), batch_b(b.shape().begin(), b.shape().end() - 2);
  Shape out_shape = broadcast_shapes(batch_a, batch_b, "reference");
  out_shape.push_back(a.size(-2));
  out_shape.push_back(b.size(-1));
  std::vector<float> out(static_cast<size_t>(numel(out_shape)));
  Shape index(out_shape.size(), 0);
  for (float& value : out) {
    const int64_t i = index[index.size() - 2], j = index.back();
    double sum = 0;
    for (int64_t k = 0; k < a.size(-1); ++k)
      sum += static_cast<double>(a.at(operand_index(a, index, i, k))) * b.at(operand_index(b, index, k, j));
    value = static_cast<float>(sum);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
  return from_vector(out, out_shape);
}

// A leaf viewing the transpose of a fresh dense (..., cols, rows) tensor: shape (..., rows, cols)
// with the last two strides swapped, so BLAS must read it with the Trans flag.
Tensor transposed_leaf(Shape shape) {
  Shape stored = shape;
  std::swap(stored[stored.size() - 1], stored[stored.size() - 2]);
  Tensor base = leaf(stored).detach();
  Shape strides = base.strides();
  std::swap(strides[strides.size() - 1], strides[strides.size() - 2]);
  Tensor view = make_view(base, shape, strides, 0);
  view.set_requires_grad();
  return view;
}

void expect_error_naming(const std::function<void()>& call, const std::vector<std::string>& parts) {
  try {
    call();
    ADD_FAILURE() << "expected heed::Error";
  } catch (const Error& e) {
    for (const std::string& part : parts)
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what() << " lacks " << part;
  }
}

TEST(Matmul, TwoByTwoByHand) {
  Tensor a = from_vector({1.f, 2.f, 3.f, 4.f}, {2, 2}), b = from_vector({5.f, 6.f, 7.f, 8.f}, {2, 2});
  EXPECT_TRUE(all_close(ops::matmul(a, b), from_vector({19.f, 22.f, 43.f, 50.f}, {2, 2})));
}

TEST(Matmul, MatchesTheDefinitionOnEveryPath) {
  manual_seed(10);
  std::vector<std::pair<Tensor, Tensor>> cases = {
      {leaf({3, 4}), leaf({4, 5})},                   // plain 2-D
      {leaf({2, 3, 4, 5}), leaf({2, 3, 5, 2})},       // (B, H, T, D) x (B, H, D, S): parallel per entry
      {leaf({2, 5, 4}), leaf({4, 3})},                // (B, T, K) x (K, N): one folded GEMM
      {leaf({3, 4}), leaf({2, 4, 5})},                // matrix times a batch
      {leaf({2, 1, 3, 4}), leaf({3, 4, 5})},          // batch dims broadcast both ways
      {transposed_leaf({3, 4}), transposed_leaf({4, 2})},
      {leaf({2, 3, 4}), transposed_leaf({2, 4, 5})},
      {leaf({2, 150, 130}), leaf({2, 130, 120})},     // large GEMMs: one after another, OpenBLAS threads each
  };
  for (auto& [a, b] : cases)
    EXPECT_TRUE(all_close(ops::matmul(a, b), reference_matmul(a, b), 1e-4, 1e-4))
        << fmt::format("{} x {}", a.shape(), b.shape());
}

TEST(Matmul, OperandWithNeitherDimContiguousIsCopied) {
  manual_seed(11);
  Tensor base = leaf({4, 6}).detach();
  Tensor every_other_column = make_view(base, {4, 3}, {6, 2}, 0);  // strides (6, 2): not BLAS-readable
  Tensor b = leaf({3, 2});
  EXPECT_TRUE(all_close(ops::matmul(every_other_column, b), reference_matmul(every_other_column, b),
                        1e-5, 1e-5));
}

TEST(Matmul, EmptyInnerDimGivesZeros) {
  EXPECT_TRUE(all_close(ops::matmul(zeros({2, 0}), zeros({0, 3})), zeros({2, 3})));
}

TEST(MatmulGrad, Gradcheck) {
  manual_seed(12);
  auto product = [](const Inputs& in) { return ops::matmul(in[0], in[1]); };
  EXPECT_GRADCHECK(product, (Inputs{leaf({3, 4}), leaf({4, 2})}), "matmul 2-D");
  EXPECT_GRADCHECK(product, (Inputs{leaf({2, 2, 3, 4}), leaf({2, 2, 4, 3})}), "matmul batched");
  EXPECT_GRADCHECK(product, (Inputs{leaf({2, 3, 4}), leaf({4, 2})}), "matmul folded (B, T, K) x (K, N)");
  EXPECT_GRADCHECK(product, (Inputs{leaf({3, 4}), leaf({2, 4, 2})}), "matmul (M, K) x (B, K, N)");
  EXPECT_GRADCHECK(product, (Inputs{leaf({2, 1, 3, 4}), leaf({3, 4, 2})}), "matmul broadcast batch");
  EXPECT_GRADCHECK(product, (Inputs{transposed_leaf({3, 4}), transposed_leaf({4, 2})}),
                   "matmul transposed views");
  EXPECT_GRADCHECK(product, (Inputs{transposed_leaf({2, 3, 4}), leaf({4, 2})}),
                   "matmul transposed batch x matrix");
  EXPECT_GRADCHECK(product, (Inputs{leaf({2, 3, 4}), transposed_leaf({2, 4, 3})}),
                   "matmul batched transposed view");
}

TEST(MatmulGrad, BroadcastUpstreamGradient) {
  // sum's backward hands matmul a gradient with all strides 0
  manual_seed(13);
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::sum(ops::matmul(in[0], in[1])); },
                   (Inputs{leaf({2, 3, 4}), leaf({4, 2})}), "sum of matmul");
}

TEST(MatmulGrad, OnlyTheOperandThatNeedsIt) {
  manual_seed(14);
  Tensor a = leaf({3, 4}), b = rand({4, 2});
  ops::sum(ops::matmul(a, b)).backward();
  EXPECT_FALSE(b.grad().defined());
  // d/da[i, k] Σ_ij (a b)[i, j] = Σ_j b[k, j]: every row of the gradient holds b's row sums
  std::vector<float> expected;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t k = 0; k < 4; ++k) expected.push_back(b.at({k, 0}) + b.at({k, 1}));
  EXPECT_TRUE(all_close(a.grad(), from_vector(expected, {3, 4}), 1e-6, 1e-6));
}

TEST(Matmul, Goldens) {
  for (const testing::Json& golden : testing::golden_cases("matmul")) {
    if (golden.at("name") == "linear") {
      testing::expect_matches_golden(golden, [](const testing::NamedTensors& in) {
        return ops::linear(in.at("input"), in.at("weight"), in.at("bias"));
      });
    } else {
      testing::expect_matches_golden(golden, [](const testing::NamedTensors& in) {
        return ops::matmul(in.at("input"), in.at("other"));
      });
    }
  }
}

// matmul_into writes the product where a view's matrices lie and leaves the rest of the buffer as
// it was: each head's columns of a (B, T, H·D) buffer, and a column slice of a (B, T, N) one.
TEST(Matmul, IntoAViewWritesOnlyItsMatrices) {
  manual_seed(12);
  const float untouched = 7.0f;
  Tensor a = leaf({2, 3, 4, 5}).detach(), b = leaf({2, 3, 5, 2}).detach();
  Tensor heads_buffer = full({2, 4, 7}, untouched);  // 3 heads of 2 columns, then one spare column
  Tensor heads = make_view(heads_buffer, {2, 3, 4, 2}, {28, 2, 7, 1}, 0);  // (B, H, T, D)
  ops::matmul_into(a, b, heads);
  EXPECT_TRUE(all_close(heads, reference_matmul(a, b), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(ops::narrow(heads_buffer, 2, 6, 1), full({2, 4, 1}, untouched), 0, 0));

  Tensor rows = leaf({2, 5, 4}).detach(), shared = transposed_leaf({4, 3}).detach();
  Tensor slice_buffer = full({2, 5, 6}, untouched);
  Tensor slice = make_view(slice_buffer, {2, 5, 3}, {30, 6, 1}, 2);  // columns 2, 3, 4
  ops::matmul_into(rows, shared, slice);
  EXPECT_TRUE(all_close(slice, reference_matmul(rows, shared), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(ops::narrow(slice_buffer, 2, 0, 2), full({2, 5, 2}, untouched), 0, 0));
  EXPECT_TRUE(all_close(ops::narrow(slice_buffer, 2, 5, 1), full({2, 5, 1}, untouched), 0, 0));
}

TEST(Matmul, IntoErrors) {
  expect_error_naming([] { ops::matmul_into(zeros({2, 3}), zeros({3, 4}), zeros({2, 5})); },
                      {"matmul_into", "[2, 5]", "[2, 4]"});
  expect_error_naming([] { ops::matmul_into(zeros({2, 3}), zeros({3, 4}), ops::transpose(zeros({4, 2}), 0, 1)); },
                      {"matmul_into", "unit column stride"});
  expect_error_naming([] { ops::matmul_into(zeros({2, 3}), zeros({2, 4}), zeros({2, 4})); },
                      {"matmul_into", "[2, 3]", "[2, 4]"});
}

TEST(Matmul, Errors) {
  expect_error_naming([] { ops::matmul(zeros({2, 3}), zeros({4, 5})); }, {"matmul", "[2, 3]", "[4, 5]"});
  expect_error_naming([] { ops::matmul(zeros({2, 2, 3}), zeros({3, 3, 4})); },
                      {"matmul", "[2, 2, 3]", "[3, 3, 4]"});
  expect_error_naming([] { ops::matmul(zeros({3}), zeros({3, 4})); }, {"matmul", "[3]", "2 dims"});
  EXPECT_THROW(ops::matmul(arange(6), zeros({6, 1})), Error);
}

TEST(Linear, MatchesXWTransposedPlusB) {
  manual_seed(15);
  Tensor x = leaf({2, 3, 4}), weight = leaf({5, 4}), bias = leaf({5});
  Tensor weight_t = make_view(weight, {4, 5}, {1, 4}, 0);
  EXPECT_TRUE(all_close(ops::linear(x, weight, bias), reference_matmul(x, weight_t) + bias, 1e-5, 1e-5));
  EXPECT_TRUE(all_close(ops::linear(x, weight), reference_matmul(x, weight_t), 1e-5, 1e-5));
  // A single input vector gives a single output vector: y_j = Σ_k W[j, k] x[k] + b_j.
  Tensor vector = leaf({4});
  std::vector<float> expected;
  for (int64_t j = 0; j < 5; ++j) {
    float sum = bias.at({j});
    for (int64_t k = 0; k < 4; ++k) sum += weight.at({j, k}) * vector.at({k});
    expected.push_back(sum);
  }
  EXPECT_TRUE(all_close(ops::linear(vector, weight, bias), from_vector(expected, {5}), 1e-5, 1e-5));
}

TEST(LinearGrad, Gradcheck) {
  manual_seed(16);
  auto with_bias = [](const Inputs& in) { return ops::linear(in[0], in[1], in[2]); };
  auto without_bias = [](const Inputs& in) { return ops::linear(in[0], in[1]); };
  EXPECT_GRADCHECK(with_bias, (Inputs{leaf({3, 4}), leaf({5, 4}), leaf({5})}), "linear 2-D");
  EXPECT_GRADCHECK(with_bias, (Inputs{leaf({2, 3, 4}), leaf({5, 4}), leaf({5})}), "linear 3-D x");
  EXPECT_GRADCHECK(without_bias, (Inputs{leaf({2, 3, 4}), leaf({5, 4})}), "linear without bias");
  EXPECT_GRADCHECK(with_bias, (Inputs{transposed_leaf({3, 4}), transposed_leaf({5, 4}), leaf({5})}),
                   "linear transposed views");
  // x (2, 3, 4) viewing a (3, 2, 4) tensor with its first two dims swapped: its rows are not
  // evenly spaced, so linear copies it
  Tensor base = leaf({3, 2, 4}).detach();
  Tensor x = make_view(base, {2, 3, 4}, {4, 8, 1}, 0);
  x.set_requires_grad();
  EXPECT_GRADCHECK(with_bias, (Inputs{x, leaf({5, 4}), leaf({5})}), "linear non-foldable x");
}

// A weight used at every step of a recurrence: from the second step on, linear's backward adds dW
// into W.grad inside the GEMM (NeedsGrad::grad_sum). Anomaly mode turns that path off, so the
// same run with it on is the reference.
TEST(LinearGrad, AWeightUsedAtEveryStepSumsItsGradientInPlace) {
  manual_seed(17);
  Tensor x = leaf({3, 4}), weight = leaf({4, 4}), bias = leaf({4});
  auto run = [&] {
    Tensor h = x;
    for (int step = 0; step < 4; ++step) h = ops::tanh(ops::linear(h, weight, bias));
    ops::sum(h).backward();
  };
  set_detect_anomaly(true);
  run();
  set_detect_anomaly(false);
  const Tensor returned = weight.grad().detach();
  weight.set_grad(Tensor());
  run();
  EXPECT_TRUE(all_close(weight.grad(), returned, 1e-6, 1e-6));
  // Without zero_grad a second backward adds to the same buffer: twice the gradient.
  const float* buffer = weight.grad().data<float>();
  run();
  EXPECT_EQ(weight.grad().data<float>(), buffer);
  EXPECT_TRUE(all_close(weight.grad(), returned * 2.0f, 1e-6, 1e-6));
  auto recurrence = [](const Inputs& in) {
    Tensor h = in[0];
    for (int step = 0; step < 3; ++step) h = ops::tanh(ops::linear(h, in[1], in[2]));
    return h;
  };
  EXPECT_GRADCHECK(recurrence, (Inputs{leaf({3, 4}), leaf({4, 4}), leaf({4})}), "linear at every step");
}

TEST(Linear, Errors) {
  expect_error_naming([] { ops::linear(zeros({2, 3}), zeros({5, 4})); }, {"linear", "[2, 3]", "[5, 4]"});
  expect_error_naming([] { ops::linear(zeros({2, 4}), zeros({5, 4}), zeros({4})); }, {"linear", "[4]", "[5]"});
}

}  // namespace
}  // namespace heed
