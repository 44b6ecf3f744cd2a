// layer_norm: normalised statistics, weight and bias, gradcheck with and without them (also over
// two dims and on a strided view), PyTorch's goldens, and the errors.
#include "golden.h"
#include "heed/ops/norm.h"

namespace heed {
namespace {

using testing::all_close;
using testing::leaf;
using Inputs = std::vector<Tensor>;

TEST(LayerNorm, RowsGetMeanZeroAndVarianceOne) {
  manual_seed(40);
  Tensor x = leaf({4, 3, 16}, -5.f, 20.f);
  Tensor y = ops::layer_norm(x, {16}, Tensor(), Tensor(), 0.0f);
  EXPECT_TRUE(all_close(ops::mean(y, {-1}), zeros({4, 3}), 1e-5, 0));
  EXPECT_TRUE(all_close(ops::mean(y * y, {-1}), ones({4, 3}), 1e-5, 1e-5));
}

TEST(LayerNorm, AppliesWeightThenBias) {
  Tensor x = from_vector({1.f, 3.f}, {1, 2});  // x̂ = (-1, 1) when eps = 0
  Tensor weight = from_vector({2.f, 3.f}), bias = from_vector({10.f, 20.f});
  EXPECT_TRUE(all_close(ops::layer_norm(x, {2}, weight, bias, 0.0f), from_vector({8.f, 23.f}, {1, 2}), 1e-6, 1e-6));
}

TEST(LayerNormGrad, Gradcheck) {
  manual_seed(41);
  auto affine = [](const Inputs& in) { return ops::layer_norm(in[0], {6}, in[1], in[2]); };
  EXPECT_GRADCHECK(affine, (Inputs{leaf({2, 3, 6}), leaf({6}), leaf({6})}), "layer_norm with weight and bias");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::layer_norm(in[0], {6}); }, (Inputs{leaf({4, 6})}),
                   "layer_norm without weight and bias");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::layer_norm(in[0], {6}, in[1]); },
                   (Inputs{leaf({4, 6}), leaf({6})}), "layer_norm with weight only");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::layer_norm(in[0], {6}, Tensor(), in[1]); },
                   (Inputs{leaf({4, 6}), leaf({6})}), "layer_norm with bias only");
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::layer_norm(in[0], {3, 4}, in[1], in[2]); },
                   (Inputs{leaf({2, 3, 4}), leaf({3, 4}), leaf({3, 4})}), "layer_norm over two dims");
  Tensor strided = make_view(leaf({6, 4}).detach(), {4, 6}, {1, 4}, 0);  // a transposed view
  strided.set_requires_grad();
  EXPECT_GRADCHECK(affine, (Inputs{strided, leaf({6}), leaf({6})}), "layer_norm of a transposed view");
}

TEST(LayerNorm, Goldens) {
  for (const testing::Json& golden : testing::golden_cases("layer_norm")) {
    const Shape normalized = golden.at("normalized_shape").get<Shape>();
    const float eps = golden.at("eps").get<float>();
    testing::expect_matches_golden(golden, [normalized, eps](const testing::NamedTensors& in) {
      auto optional = [&](const char* name) { return in.count(name) ? in.at(name) : Tensor(); };
      return ops::layer_norm(in.at("x"), normalized, optional("weight"), optional("bias"), eps);
    }, 1e-5, 1e-4);
  }
}

TEST(LayerNorm, Errors) {
  EXPECT_THROW(ops::layer_norm(zeros({2, 3}), {4}), Error);
  EXPECT_THROW(ops::layer_norm(zeros({2, 3}), {2, 3, 1}), Error);
  EXPECT_THROW(ops::layer_norm(zeros({2, 3}), {}), Error);
  try {
    ops::layer_norm(zeros({2, 3}), {3}, ones({4}));
    FAIL() << "expected heed::Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("layer_norm: weight is [4]"), std::string::npos) << message;
    EXPECT_NE(message.find("[3]"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace heed
