// nn/init and the default initialisation of the basic layers: each initialiser's empirical mean,
// standard deviation and bounds over a large tensor against the formula (written out here, not
// taken from init.cpp), and Linear, Embedding and LayerNorm against PyTorch's documented defaults:
//   Linear     weight and bias U(−√k, √k), k = 1 / in_features
//   Embedding  weight N(0, 1)
//   LayerNorm  weight 1, bias 0
#include <cmath>

#include "test_util.h"

namespace heed {
namespace {

using nn::init::FanMode;
using nn::init::Nonlinearity;

struct Stats {
  double mean = 0, stddev = 0, min = INFINITY, max = -INFINITY;
  int64_t n = 0;
};

Stats stats_of(const Tensor& t) {
  Stats s;
  double sum = 0, squares = 0;
  for (float v : t.to_vector()) {
    sum += v;
    squares += double(v) * v;
    s.min = std::min(s.min, double(v));
    s.max = std::max(s.max, double(v));
  }
  s.n = t.numel();
  s.mean = sum / static_cast<double>(s.n);
  s.stddev = std::sqrt(squares / static_cast<double>(s.n) - s.mean * s.mean);
  return s;
}

// Mean 0 within 5 standard errors, the standard deviation within 1% (the sample std of 10^5 draws
// is off by about 0.3% at one standard error).
void expect_centred_with_std(const Stats& s, double stddev, const std::string& what) {
  EXPECT_NEAR(s.mean, 0.0, 5 * stddev / std::sqrt(static_cast<double>(s.n))) << what;
  EXPECT_NEAR(s.stddev, stddev, 0.01 * stddev) << what;
}

// U(−bound, bound): inside the bounds, reaching close to both, with std bound/√3.
void expect_uniform(const Tensor& t, double bound, const std::string& what) {
  Stats s = stats_of(t);
  EXPECT_GE(s.min, -bound) << what;
  EXPECT_LE(s.max, bound) << what;
  EXPECT_LT(s.min, -0.999 * bound) << what;
  EXPECT_GT(s.max, 0.999 * bound) << what;
  expect_centred_with_std(s, bound / std::sqrt(3.0), what);
}

void expect_normal(const Tensor& t, double stddev, const std::string& what) {
  Stats s = stats_of(t);
  expect_centred_with_std(s, stddev, what);
  EXPECT_GT(s.max, 3 * stddev) << what;  // tails are there: P(x > 3σ) · 10^5 draws ≈ 135
}

TEST(Init, GainsAsPyTorchDocuments) {
  EXPECT_FLOAT_EQ(nn::init::calculate_gain(Nonlinearity::Linear), 1.0f);
  EXPECT_FLOAT_EQ(nn::init::calculate_gain(Nonlinearity::Sigmoid), 1.0f);
  EXPECT_FLOAT_EQ(nn::init::calculate_gain(Nonlinearity::Tanh), 5.0f / 3.0f);
  EXPECT_FLOAT_EQ(nn::init::calculate_gain(Nonlinearity::ReLU), 1.41421356f);
  EXPECT_FLOAT_EQ(nn::init::calculate_gain(Nonlinearity::LeakyReLU), 1.41414285f);  // √(2 / (1 + 0.01²))
  EXPECT_FLOAT_EQ(nn::init::calculate_gain(Nonlinearity::LeakyReLU, 0.2f), 1.38675049f);  // √(2 / 1.04)
}

TEST(Init, FansIncludeTheReceptiveField) {
  EXPECT_EQ(nn::init::fan_in_and_fan_out(zeros({300, 200})), (std::pair<int64_t, int64_t>{200, 300}));
  EXPECT_EQ(nn::init::fan_in_and_fan_out(zeros({8, 16, 3, 3})), (std::pair<int64_t, int64_t>{144, 72}));
  testing::expect_error([] { nn::init::fan_in_and_fan_out(zeros({5})); }, {"init", "[5]", "at least 2 dims"});
}

TEST(Init, UniformNormalConstant) {
  manual_seed(1);
  Tensor t = Tensor::empty({400, 250});
  nn::init::uniform_(t, 2.0f, 5.0f);
  Stats s = stats_of(t);
  EXPECT_GE(s.min, 2.0);
  EXPECT_LT(s.max, 5.0);
  EXPECT_NEAR(s.mean, 3.5, 0.01);
  EXPECT_NEAR(s.stddev, 3.0 / std::sqrt(12.0), 0.01 * 3.0 / std::sqrt(12.0));
  nn::init::normal_(t, -1.0f, 0.5f);
  s = stats_of(t);
  EXPECT_NEAR(s.mean, -1.0, 5 * 0.5 / std::sqrt(1e5));
  EXPECT_NEAR(s.stddev, 0.5, 0.005);
  nn::init::constant_(t, 0.25f);
  s = stats_of(t);
  EXPECT_EQ(s.min, 0.25);
  EXPECT_EQ(s.max, 0.25);
}

TEST(Init, Xavier) {
  manual_seed(2);
  Tensor t = Tensor::empty({200, 500});  // fan_in 500, fan_out 200
  nn::init::xavier_uniform_(t);
  expect_uniform(t, std::sqrt(6.0 / 700.0), "xavier_uniform");
  nn::init::xavier_uniform_(t, 5.0f / 3.0f);
  expect_uniform(t, 5.0 / 3.0 * std::sqrt(6.0 / 700.0), "xavier_uniform, gain 5/3");
  nn::init::xavier_normal_(t);
  expect_normal(t, std::sqrt(2.0 / 700.0), "xavier_normal");
  nn::init::xavier_normal_(t, 2.0f);
  expect_normal(t, 2.0 * std::sqrt(2.0 / 700.0), "xavier_normal, gain 2");

  Tensor conv = Tensor::empty({128, 64, 3, 3});  // fan_in 576, fan_out 1152
  nn::init::xavier_uniform_(conv);
  expect_uniform(conv, std::sqrt(6.0 / (576.0 + 1152.0)), "xavier_uniform, 4 dims");
}

TEST(Init, Kaiming) {
  manual_seed(3);
  Tensor t = Tensor::empty({200, 500});  // fan_in 500, fan_out 200
  nn::init::kaiming_uniform_(t, 0.0f, FanMode::FanIn, Nonlinearity::ReLU);
  expect_uniform(t, std::sqrt(2.0) * std::sqrt(3.0 / 500.0), "kaiming_uniform, fan_in, relu");
  nn::init::kaiming_uniform_(t, 0.0f, FanMode::FanOut, Nonlinearity::ReLU);
  expect_uniform(t, std::sqrt(2.0) * std::sqrt(3.0 / 200.0), "kaiming_uniform, fan_out, relu");
  nn::init::kaiming_uniform_(t, std::sqrt(5.0f));  // nn.Linear's choice: bound 1/√fan_in
  expect_uniform(t, 1.0 / std::sqrt(500.0), "kaiming_uniform, a = √5");
  nn::init::kaiming_normal_(t, 0.0f, FanMode::FanIn, Nonlinearity::ReLU);
  expect_normal(t, std::sqrt(2.0 / 500.0), "kaiming_normal, fan_in, relu");
  nn::init::kaiming_normal_(t, 0.2f, FanMode::FanOut, Nonlinearity::LeakyReLU);
  expect_normal(t, std::sqrt(2.0 / 1.04) / std::sqrt(200.0), "kaiming_normal, fan_out, leaky_relu 0.2");
  nn::init::kaiming_normal_(t, 0.0f, FanMode::FanIn, Nonlinearity::Tanh);
  expect_normal(t, 5.0 / 3.0 / std::sqrt(500.0), "kaiming_normal, fan_in, tanh");
  nn::init::kaiming_uniform_(t, 0.0f, FanMode::FanOut, Nonlinearity::Linear);
  expect_uniform(t, std::sqrt(3.0 / 200.0), "kaiming_uniform, fan_out, linear");
}

TEST(Init, InitialisersWriteIntoParametersWithoutRecording) {
  Tensor weight = zeros({4, 3}, {.requires_grad = true});
  nn::init::xavier_uniform_(weight);
  EXPECT_TRUE(weight.is_leaf());
  EXPECT_TRUE(weight.requires_grad());
  Tensor strided = ops::transpose(zeros({3, 200}), 0, 1);  // a non-contiguous view is filled too
  nn::init::ones_(strided);
  EXPECT_EQ(stats_of(strided).min, 1.0);
}

TEST(Init, LayerDefaultsMatchPyTorch) {
  manual_seed(4);
  nn::Linear linear(400, 300);
  expect_uniform(linear.weight, 1.0 / std::sqrt(400.0), "Linear weight U(±1/√in)");
  Stats bias = stats_of(linear.bias);
  EXPECT_GE(bias.min, -1.0 / 20.0);
  EXPECT_LE(bias.max, 1.0 / 20.0);
  EXPECT_NEAR(bias.stddev, 1.0 / 20.0 / std::sqrt(3.0), 0.1 / 20.0 / std::sqrt(3.0));  // 300 draws: ±4% at 1σ

  nn::Embedding embedding(500, 200);
  expect_normal(embedding.weight, 1.0, "Embedding weight N(0, 1)");

  nn::LayerNorm norm(Shape{3, 5});
  EXPECT_TRUE(testing::all_close(norm.weight, ones({3, 5}), 0, 0));
  EXPECT_TRUE(testing::all_close(norm.bias, zeros({3, 5}), 0, 0));
  EXPECT_TRUE(nn::LayerNorm(5, {.elementwise_affine = false}).named_parameters().empty());
}

}  // namespace
}  // namespace heed
