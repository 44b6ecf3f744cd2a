// cross_entropy: values against the definition built from log_softmax, label smoothing with
// ignore_index under all three reductions, the all-ignored case, gradcheck, PyTorch's goldens and
// the errors.
#include <cmath>

#include "golden.h"
#include "heed/ops/loss.h"
#include "heed/ops/softmax.h"

namespace heed {
namespace {

using ops::CrossEntropyOptions;
using ops::Reduction;
using testing::all_close;
using testing::leaf;
using Inputs = std::vector<Tensor>;

// Per-target losses by definition: (1 − ε)·(−log p_t) + ε·mean_c(−log p_c), 0 where ignored.
std::vector<double> reference_losses(const Tensor& logits, const std::vector<int64_t>& targets,
                                     CrossEntropyOptions options) {
  const int64_t classes = logits.size(-1);
  std::vector<float> log_p = ops::log_softmax(logits, -1).to_vector();
  std::vector<double> losses;
  for (size_t row = 0; row < targets.size(); ++row) {
    if (targets[row] == options.ignore_index) {
      losses.push_back(0.0);
      continue;
    }
    double smooth = 0;
    for (int64_t c = 0; c < classes; ++c) smooth -= log_p[row * classes + c];
    losses.push_back((1 - options.label_smoothing) * -log_p[row * classes + targets[row]] +
                     options.label_smoothing * smooth / classes);
  }
  return losses;
}

TEST(CrossEntropy, UniformLogitsGiveLogC) {
  Tensor logits = zeros({2, 5});
  Tensor targets = from_vector(std::vector<int64_t>{1, 4}, {2});
  EXPECT_NEAR(ops::cross_entropy(logits, targets).item(), std::log(5.0), 1e-6);
  EXPECT_NEAR(ops::cross_entropy(logits, targets, {.label_smoothing = 0.3f}).item(), std::log(5.0), 1e-6);
}

TEST(CrossEntropy, AllReductionsMatchTheDefinition) {
  manual_seed(30);
  Tensor logits = leaf({2, 3, 6}, -3.f, 3.f);  // (B, T, C)
  const std::vector<int64_t> target_values{2, 0, 5, 0, 3, 1};
  Tensor targets = from_vector(target_values, {2, 3});
  CrossEntropyOptions options{.ignore_index = 0, .label_smoothing = 0.1f};  // class 0 is padding
  std::vector<double> expected = reference_losses(logits, target_values, options);
  double sum = 0;
  for (double loss : expected) sum += loss;

  options.reduction = Reduction::Sum;
  EXPECT_NEAR(ops::cross_entropy(logits, targets, options).item(), sum, 1e-5);
  options.reduction = Reduction::Mean;
  EXPECT_NEAR(ops::cross_entropy(logits, targets, options).item(), sum / 4, 1e-5);  // 4 targets not ignored
  options.reduction = Reduction::None;
  Tensor per_target = ops::cross_entropy(logits, targets, options);
  ASSERT_EQ(per_target.shape(), (Shape{2, 3}));
  std::vector<float> values = per_target.to_vector();
  for (size_t i = 0; i < values.size(); ++i) EXPECT_NEAR(values[i], expected[i], 1e-5) << "target " << i;
}

TEST(CrossEntropy, EveryTargetIgnoredGivesZeroNotNaN) {
  Tensor logits = leaf({3, 4});
  Tensor targets = from_vector(std::vector<int64_t>{-100, -100, -100}, {3});
  Tensor loss = ops::cross_entropy(logits, targets, {.label_smoothing = 0.1f});
  EXPECT_EQ(loss.item(), 0.0f);
  loss.backward();
  EXPECT_TRUE(all_close(logits.grad(), zeros({3, 4}), 0, 0));
}

TEST(CrossEntropyGrad, Gradcheck) {
  manual_seed(31);
  Tensor targets = from_vector(std::vector<int64_t>{3, -100, 0, 4, 4, -100}, {2, 3});
  for (Reduction reduction : {Reduction::Mean, Reduction::Sum, Reduction::None})
    for (float smoothing : {0.0f, 0.1f}) {
      CrossEntropyOptions options{.label_smoothing = smoothing, .reduction = reduction};
      auto f = [targets, options](const Inputs& in) { return ops::cross_entropy(in[0], targets, options); };
      EXPECT_GRADCHECK(f, (Inputs{leaf({2, 3, 5}, -2.f, 2.f)}),
                       fmt::format("cross_entropy reduction {} smoothing {}", static_cast<int>(reduction), smoothing));
    }
  // logits as a transposed view: (4, 3) with strides (1, 4)
  Tensor logits = make_view(leaf({3, 4}, -2.f, 2.f).detach(), {4, 3}, {1, 4}, 0);
  logits.set_requires_grad();
  Tensor row_targets = from_vector(std::vector<int64_t>{2, 0, 1, 1}, {4});
  EXPECT_GRADCHECK([row_targets](const Inputs& in) { return ops::cross_entropy(in[0], row_targets, {.label_smoothing = 0.2f}); },
                   (Inputs{logits}), "cross_entropy of a transposed view");
}

TEST(CrossEntropy, Goldens) {
  for (const testing::Json& golden : testing::golden_cases("cross_entropy")) {
    const std::string reduction = golden.at("reduction");
    CrossEntropyOptions options{
        .ignore_index = golden.at("ignore_index").get<int64_t>(),
        .label_smoothing = golden.at("label_smoothing").get<float>(),
        .reduction = reduction == "mean" ? Reduction::Mean : reduction == "sum" ? Reduction::Sum : Reduction::None};
    testing::expect_matches_golden(golden, [options](const testing::NamedTensors& in) {
      return ops::cross_entropy(in.at("logits"), in.at("targets"), options);
    });
  }
}

TEST(CrossEntropy, Errors) {
  Tensor targets = from_vector(std::vector<int64_t>{1, 7}, {2});
  try {
    ops::cross_entropy(zeros({2, 5}), targets);
    FAIL() << "expected heed::Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("cross_entropy"), std::string::npos) << message;
    EXPECT_NE(message.find("target 7 at position [1]"), std::string::npos) << message;
    EXPECT_NE(message.find("5 classes"), std::string::npos) << message;
  }
  EXPECT_THROW(ops::cross_entropy(zeros({2, 5}, {.dtype = Dtype::Int64}), from_vector(std::vector<int64_t>{1, 2}, {2})), Error);
  EXPECT_THROW(ops::cross_entropy(zeros({2, 5}), zeros({2})), Error);                                      // float targets
  EXPECT_THROW(ops::cross_entropy(zeros({2, 5}), from_vector(std::vector<int64_t>{1, 2, 3}, {3})), Error);  // shape
  EXPECT_THROW(ops::cross_entropy(zeros({2, 5}), from_vector(std::vector<int64_t>{-1, 2}, {2})), Error);    // negative
  EXPECT_THROW(ops::cross_entropy(zeros({2, 5}), from_vector(std::vector<int64_t>{1, 2}, {2}), {.label_smoothing = 1.5f}),
               Error);
}

}  // namespace
}  // namespace heed
