// nn/positional: the sinusoidal table against its formula (by hand and computed independently),
// offsets for incremental decoding, learned positions, scaled token embeddings, gradchecks.
// PyTorch goldens for the same modules are in test_layers_golden.cpp.
#include <cmath>

#include "heed/nn/positional.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;

double root_mean_square(const Tensor& t) {
  double squares = 0;
  for (float v : t.to_vector()) squares += double(v) * v;
  return std::sqrt(squares / static_cast<double>(t.numel()));
}

TEST(Positional, SinusoidalHandValues) {
  nn::SinusoidalPositionalEncoding encoding(4, 10);
  // d = 4: columns 0, 1 turn at 1 radian per position, columns 2, 3 at 1/10000^(2/4) = 1/100.
  EXPECT_EQ(encoding.pe.shape(), (Shape{10, 4}));
  EXPECT_FLOAT_EQ(encoding.pe.at({0, 0}), 0.0f);
  EXPECT_FLOAT_EQ(encoding.pe.at({0, 1}), 1.0f);
  EXPECT_FLOAT_EQ(encoding.pe.at({0, 2}), 0.0f);
  EXPECT_FLOAT_EQ(encoding.pe.at({0, 3}), 1.0f);
  EXPECT_FLOAT_EQ(encoding.pe.at({1, 0}), 0.84147098f);   // sin 1
  EXPECT_FLOAT_EQ(encoding.pe.at({1, 1}), 0.54030231f);   // cos 1
  EXPECT_FLOAT_EQ(encoding.pe.at({3, 2}), 0.029995500f);  // sin 0.03
  EXPECT_FLOAT_EQ(encoding.pe.at({3, 3}), 0.99955003f);   // cos 0.03
  EXPECT_FLOAT_EQ(encoding.pe.at({9, 0}), 0.41211849f);   // sin 9
}

TEST(Positional, SinusoidalMatchesTheFormulaAtLargePositions) {
  const int64_t d = 64, max_len = 5000;
  nn::SinusoidalPositionalEncoding encoding(d, max_len);
  std::vector<float> table = encoding.pe.to_vector();
  double worst = 0;
  for (int64_t pos = 0; pos < max_len; ++pos)
    for (int64_t i = 0; 2 * i < d; ++i) {
      // pos / 10000^(2i/d), written as the paper writes it (heed computes exp(−2i/d · ln 10000)).
      const double angle = static_cast<double>(pos) / std::pow(10000.0, 2.0 * static_cast<double>(i) / d);
      worst = std::max(worst, std::fabs(table[pos * d + 2 * i] - std::sin(angle)));
      worst = std::max(worst, std::fabs(table[pos * d + 2 * i + 1] - std::cos(angle)));
    }
  EXPECT_LT(worst, 1e-7);  // float32 rounding of values in [−1, 1]: at most 2^-25 ≈ 3e-8
}

TEST(Positional, SinusoidalOddModelSizeEndsWithASine) {
  nn::SinusoidalPositionalEncoding encoding(5, 8);
  const double frequency = std::pow(10000.0, -4.0 / 5.0);  // the third pair, 2i = 4
  EXPECT_NEAR(encoding.pe.at({7, 4}), std::sin(7 * frequency), 1e-7);
}

TEST(Positional, ShiftingPositionsIsARotation) {
  // [sin(a + b), cos(a + b)] = [[cos b, sin b], [−sin b, cos b]] · [sin a, cos a]: the pair at
  // pos + k depends linearly on the pair at pos, the reason the paper gives for this choice.
  nn::SinusoidalPositionalEncoding encoding(8, 64);
  const int64_t k = 5;
  for (int64_t column = 0; column < 8; column += 2) {
    const float sin_b = encoding.pe.at({k, column}), cos_b = encoding.pe.at({k, column + 1});
    for (int64_t pos = 0; pos + k < 64; pos += 7) {
      const float sin_a = encoding.pe.at({pos, column}), cos_a = encoding.pe.at({pos, column + 1});
      EXPECT_NEAR(encoding.pe.at({pos + k, column}), cos_b * sin_a + sin_b * cos_a, 1e-6);
      EXPECT_NEAR(encoding.pe.at({pos + k, column + 1}), -sin_b * sin_a + cos_b * cos_a, 1e-6);
    }
  }
}

TEST(Positional, SinusoidalIsABufferAndAddsRowsFromTheOffset) {
  nn::SinusoidalPositionalEncoding encoding(6, 20);
  EXPECT_TRUE(encoding.named_parameters().empty());
  ASSERT_EQ(encoding.state_dict().count("pe"), 1u);
  EXPECT_FALSE(encoding.pe.requires_grad());
  Tensor x = randn({2, 3, 6});
  Tensor rows = ops::narrow(encoding.pe, 0, 4, 3);  // positions 4, 5, 6
  EXPECT_TRUE(all_close(encoding.forward(x, 4), x + ops::unsqueeze(rows, 0)));
  EXPECT_EQ(encoding.describe(), "SinusoidalPositionalEncoding(d_model=6, max_len=20)");
}

TEST(Positional, StepByStepEqualsTheWholeSequence) {
  // Incremental decoding: step t encodes a (B, 1, d) slice at position t.
  manual_seed(1);
  nn::SinusoidalPositionalEncoding sinusoidal(4, 10);
  nn::LearnedPositionalEncoding learned(10, 4);
  Tensor x = randn({2, 6, 4});
  std::vector<Tensor> sinusoidal_steps, learned_steps;
  for (int64_t t = 0; t < 6; ++t) {
    Tensor step = ops::narrow(x, 1, t, 1);  // (2, 1, 4)
    sinusoidal_steps.push_back(sinusoidal.forward(step, t));
    learned_steps.push_back(learned.forward(step, t));
  }
  EXPECT_TRUE(all_close(ops::cat(sinusoidal_steps, 1), sinusoidal.forward(x)));
  EXPECT_TRUE(all_close(ops::cat(learned_steps, 1), learned.forward(x)));
}

TEST(Positional, TooLongSequencesAreRefused) {
  nn::SinusoidalPositionalEncoding sinusoidal(4, 8);
  nn::LearnedPositionalEncoding learned(8, 4);
  expect_error([&] { sinusoidal.forward(zeros({1, 9, 4})); },
               {"SinusoidalPositionalEncoding", "T = 9", "max_len = 8"});
  expect_error([&] { learned.forward(zeros({1, 3, 4}), 6); },
               {"LearnedPositionalEncoding", "T = 3", "offset 6", "max_len = 8"});
  expect_error([&] { sinusoidal.forward(zeros({1, 3, 5})); },
               {"SinusoidalPositionalEncoding", "[1, 3, 5]", "d_model = 4"});
  expect_error([&] { sinusoidal.forward(zeros({3, 4})); }, {"(B, T, d_model = 4)"});
  expect_error([&] { sinusoidal.forward(zeros({1, 2, 4}), -1); }, {"offset -1"});
  sinusoidal.forward(zeros({1, 8, 4}));  // exactly max_len is fine
}

TEST(Positional, LearnedStartsStandardNormalAndTrainsOnlyTheRowsUsed) {
  manual_seed(2);
  nn::LearnedPositionalEncoding learned(400, 250);
  EXPECT_EQ(learned.weight.shape(), (Shape{400, 250}));
  EXPECT_NEAR(ops::mean(learned.weight).item(), 0.0, 0.01);
  EXPECT_NEAR(root_mean_square(learned.weight), 1.0, 0.01);

  nn::LearnedPositionalEncoding small(6, 2);
  ops::sum(small.forward(ones({3, 2, 2}), 1)).backward();
  // Rows 1 and 2 are read once per batch entry (3 times); the others not at all.
  EXPECT_TRUE(all_close(small.weight.grad(), from_vector({0, 0, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0}, {6, 2})));
}

TEST(Positional, TokenEmbeddingIsScaledLookup) {
  manual_seed(3);
  nn::TokenEmbedding embed(7, 16, {.padding_idx = 0});
  EXPECT_FLOAT_EQ(embed.scale, 4.0f);
  Tensor ids = from_vector(std::vector<int64_t>{3, 0, 6, 3}, {2, 2});
  Tensor expected = ops::embedding(embed.weight, ids) * 4.0f;
  EXPECT_TRUE(all_close(embed.forward(ids), expected));
  EXPECT_TRUE(all_close(ops::narrow(embed.weight, 0, 0, 1), zeros({1, 16})));
  ops::sum(embed.forward(ids)).backward();
  Tensor grad = embed.weight.grad();
  EXPECT_TRUE(all_close(ops::narrow(grad, 0, 0, 1), zeros({1, 16})));           // padding: no gradient
  EXPECT_TRUE(all_close(ops::narrow(grad, 0, 3, 1), full({1, 16}, 2 * 4.0)));   // read twice, scaled by 4
  EXPECT_EQ(embed.describe(), "TokenEmbedding(7, 16, padding_idx=0, scale=4)");
  EXPECT_EQ(embed.state_dict().count("weight"), 1u);

  nn::TokenEmbedding plain(7, 16, {.scale = false});
  EXPECT_FLOAT_EQ(plain.scale, 1.0f);
  EXPECT_TRUE(all_close(plain.forward(ids), ops::embedding(plain.weight, ids)));
}

TEST(Positional, TokenEmbeddingOutputStartsWithUnitVariance) {
  // Scaled: the table starts N(0, 1/d), so table · √d is N(0, 1). Unscaled: N(0, 1) as nn::Embedding.
  for (bool scale : {true, false}) {
    manual_seed(4);
    nn::TokenEmbedding embed(500, 256, {.scale = scale});
    EXPECT_NEAR(root_mean_square(embed.weight), scale ? 1.0 / 16.0 : 1.0, scale ? 0.01 / 16.0 : 0.01);
    EXPECT_NEAR(root_mean_square(embed.forward(arange(500))), 1.0, 0.01) << "scale " << scale;
  }
}

TEST(Positional, Gradcheck) {
  manual_seed(5);
  nn::SinusoidalPositionalEncoding sinusoidal(4, 10);
  nn::LearnedPositionalEncoding learned(10, 4);
  // Without padding_idx: a padding row's gradient is zero by definition, which finite differences
  // rightly disagree with (TokenEmbeddingIsScaledLookup checks that zero).
  nn::TokenEmbedding embed(6, 4);
  Tensor x = testing::leaf({2, 3, 4});
  Tensor ids = from_vector(std::vector<int64_t>{1, 2, 5, 1, 0, 2}, {2, 3});
  EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return ops::tanh(sinusoidal.forward(x, 2)); },
                   std::vector<Tensor>{x}, "SinusoidalPositionalEncoding");
  EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return ops::tanh(learned.forward(x, 5)); },
                   (std::vector<Tensor>{x, learned.weight}), "LearnedPositionalEncoding");
  EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return ops::tanh(embed.forward(ids)); },
                   std::vector<Tensor>{embed.weight}, "TokenEmbedding");
}

TEST(Positional, ConstructorErrors) {
  expect_error([] { nn::SinusoidalPositionalEncoding(0, 5); }, {"SinusoidalPositionalEncoding", "d_model 0"});
  expect_error([] { nn::LearnedPositionalEncoding(5, -1); }, {"LearnedPositionalEncoding", "d_model -1"});
  expect_error([] { nn::TokenEmbedding(5, 4, {.padding_idx = 5}); }, {"TokenEmbedding", "padding_idx 5"});
}

}  // namespace
}  // namespace heed
