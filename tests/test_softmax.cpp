// softmax and log_softmax: values, stability at ±1e4 and −∞, any dim, gradcheck (also on strided
// views), PyTorch's goldens, and the errors.
#include <cmath>
#include <limits>

#include "golden.h"
#include "heed/ops/softmax.h"

namespace heed {
namespace {

using testing::all_close;
using testing::leaf;
using Inputs = std::vector<Tensor>;

constexpr float kInf = std::numeric_limits<float>::infinity();
using SoftmaxOp = Tensor (*)(const Tensor&, int64_t);
const std::vector<std::pair<const char*, SoftmaxOp>> kOps = {{"softmax", ops::softmax},
                                                            {"log_softmax", ops::log_softmax}};

TEST(Softmax, ValuesByHand) {
  // softmax(0, log 2, log 3) = (1, 2, 3) / 6
  Tensor x = from_vector({0.f, std::log(2.f), std::log(3.f)}, {1, 3});
  EXPECT_TRUE(all_close(ops::softmax(x, -1), from_vector({1.f / 6, 2.f / 6, 3.f / 6}, {1, 3}), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(ops::log_softmax(x, 1),
                        from_vector({std::log(1.f / 6), std::log(2.f / 6), std::log(3.f / 6)}, {1, 3}), 1e-6, 1e-6));
}

TEST(Softmax, EverySliceSumsToOneAlongAnyDim) {
  manual_seed(20);
  Tensor x = leaf({3, 4, 5}, -3.f, 3.f);
  for (int64_t dim : {0, 1, 2, -1}) {
    Tensor y = ops::softmax(x, dim);
    EXPECT_TRUE(all_close(ops::sum(y, {dim}), ones(ops::sum(x, {dim}).shape()), 1e-6, 1e-6)) << "dim " << dim;
    EXPECT_TRUE(all_close(ops::log_softmax(x, dim), ops::log(y), 1e-5, 1e-5)) << "dim " << dim;
  }
}

TEST(Softmax, LargeRowsAcrossThreads) {
  manual_seed(21);
  Tensor x = leaf({64, 2048}, -5.f, 5.f);  // more elements than one thread's grain
  EXPECT_TRUE(all_close(ops::sum(ops::softmax(x, -1), {1}), ones({64}), 1e-5, 1e-5));
}

TEST(Softmax, LogitsOfTenThousandAreExact) {
  Tensor x = from_vector({1e4f, -1e4f, 0.f, 1e4f}, {1, 4});
  EXPECT_TRUE(all_close(ops::softmax(x, -1), from_vector({0.5f, 0.f, 0.f, 0.5f}, {1, 4}), 0, 0));
  std::vector<float> log_p = ops::log_softmax(x, -1).to_vector();
  EXPECT_FLOAT_EQ(log_p[0], -std::log(2.f));
  EXPECT_FLOAT_EQ(log_p[2], -1e4f - std::log(2.f));
  for (float v : log_p) EXPECT_TRUE(std::isfinite(v));
}

TEST(Softmax, FullyMaskedRowGivesZerosNotNaN) {
  Tensor x = from_vector({-kInf, -kInf, -kInf, 0.f, -kInf, 0.f}, {2, 3});
  EXPECT_TRUE(all_close(ops::softmax(x, -1), from_vector({0.f, 0.f, 0.f, 0.5f, 0.f, 0.5f}, {2, 3}), 0, 0));
  std::vector<float> log_p = ops::log_softmax(x, -1).to_vector();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(log_p[i], -kInf);
  EXPECT_FLOAT_EQ(log_p[3], -std::log(2.f));
}

TEST(SoftmaxGrad, Gradcheck) {
  manual_seed(22);
  for (auto [name, op] : kOps) {
    for (int64_t dim : {-1, 0, 1}) {
      auto f = [op = op, dim](const Inputs& in) { return op(in[0], dim); };
      EXPECT_GRADCHECK(f, (Inputs{leaf({3, 4, 5}, -2.f, 2.f)}), fmt::format("{} dim {}", name, dim));
      // a leaf that is a transposed view: (4, 3) with strides (1, 4)
      Tensor t = make_view(leaf({3, 4}, -2.f, 2.f).detach(), {4, 3}, {1, 4}, 0);
      t.set_requires_grad();
      EXPECT_GRADCHECK(f, (Inputs{t}), fmt::format("{} dim {} of a transposed view", name, dim));
    }
  }
}

TEST(Softmax, Goldens) {
  for (auto [file, op] : kOps)
    for (const testing::Json& golden : testing::golden_cases(file)) {
      const int64_t dim = golden.at("dim").get<int64_t>();
      testing::expect_matches_golden(golden, [op = op, dim](const testing::NamedTensors& in) { return op(in.at("x"), dim); });
    }
}

TEST(Softmax, Errors) {
  EXPECT_THROW(ops::softmax(zeros({2, 3}), 2), Error);
  EXPECT_THROW(ops::log_softmax(zeros({2, 3}), -3), Error);
  EXPECT_THROW(ops::softmax(arange(4), 0), Error);
  try {
    ops::softmax(zeros({2, 3}), 5);
    FAIL() << "expected heed::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("softmax"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace heed
