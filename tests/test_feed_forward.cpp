// nn::FeedForward: PyTorch's names, the formula in eval mode, dropout while training, gradcheck.
// PyTorch goldens are in test_layers_golden.cpp.
#include "heed/nn/feed_forward.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;

std::vector<std::string> names(const nn::Named<Tensor>& named) {
  std::vector<std::string> out;
  for (auto& [name, tensor] : named) out.push_back(name);
  return out;
}

TEST(FeedForward, NamesAndShapesAsPyTorchTransformer) {
  nn::FeedForward ffn(8, 32);
  EXPECT_EQ(names(ffn.named_parameters()),
            (std::vector<std::string>{"linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"}));
  EXPECT_EQ(ffn.linear1->weight.shape(), (Shape{32, 8}));
  EXPECT_EQ(ffn.linear2->weight.shape(), (Shape{8, 32}));
  EXPECT_FLOAT_EQ(ffn.dropout->p, 0.1f);
  EXPECT_EQ(ffn.describe(), "FeedForward(d_model=8, d_ff=32, dropout=0.1, activation=relu)");
  EXPECT_EQ(ffn.forward(zeros({2, 5, 8})).shape(), (Shape{2, 5, 8}));
}

TEST(FeedForward, EvalIsLinearActivationLinear) {
  manual_seed(1);
  for (auto activation : {nn::FeedForwardActivation::ReLU, nn::FeedForwardActivation::GELU}) {
    nn::FeedForward ffn(4, 12, {.dropout = 0.5f, .activation = activation});
    ffn.eval();
    Tensor x = randn({3, 2, 4});
    Tensor hidden = ops::linear(x, ffn.linear1->weight, ffn.linear1->bias);
    hidden = activation == nn::FeedForwardActivation::ReLU ? ops::relu(hidden) : ops::gelu(hidden);
    EXPECT_TRUE(all_close(ffn.forward(x), ops::linear(hidden, ffn.linear2->weight, ffn.linear2->bias)));
  }
}

TEST(FeedForward, DropoutActsOnTheHiddenUnitsWhileTraining) {
  manual_seed(2);
  nn::FeedForward ffn(4, 12, {.dropout = 1.0f});
  Tensor x = randn({3, 4});
  // Every hidden unit dropped: only linear2's bias is left.
  EXPECT_TRUE(all_close(ffn.forward(x), ops::expand(ffn.linear2->bias, {3, 4})));
  ffn.dropout->p = 0.5f;
  Tensor first = ffn.forward(x), second = ffn.forward(x);
  EXPECT_FALSE(all_close(first, second));  // a new mask each call
  ffn.eval();
  EXPECT_TRUE(all_close(ffn.forward(x), ffn.forward(x)));
}

TEST(FeedForward, Gradcheck) {
  manual_seed(3);
  for (auto activation : {nn::FeedForwardActivation::ReLU, nn::FeedForwardActivation::GELU}) {
    nn::FeedForward ffn(3, 5, {.activation = activation});
    ffn.eval();
    Tensor x = testing::leaf({2, 2, 3});
    std::vector<Tensor> inputs{x};
    for (const Tensor& p : ffn.parameters()) inputs.push_back(p);
    EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return ffn.forward(x); }, inputs, "FeedForward");
  }
}

}  // namespace
}  // namespace heed
