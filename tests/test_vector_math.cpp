// The vectorisable exp, tanh and sigmoid against the C library, over the whole useful range.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "heed/ops/vector_math.h"

namespace heed::ops {
namespace {

// Distance in units in the last place between two finite floats.
int64_t ulps(float a, float b) {
  auto key = [](float f) {
    int32_t i = std::bit_cast<int32_t>(f);
    return i < 0 ? int64_t{INT32_MIN} - i : int64_t{i};
  };
  return std::llabs(key(a) - key(b));
}

TEST(VectorMath, ExpWithinTwoUlpAcrossTheRange) {
  int64_t worst = 0;
  for (float x = -87.0f; x < 88.5f; x += 0.0013f) worst = std::max(worst, ulps(exp_approx(x), std::exp(x)));
  EXPECT_LE(worst, 2);
}

TEST(VectorMath, ExpEdgeCases) {
  EXPECT_EQ(exp_approx(0.0f), 1.0f);
  EXPECT_EQ(exp_approx(100.0f), INFINITY);
  EXPECT_EQ(exp_approx(-100.0f), std::exp(-100.0f));  // a denormal, not 0
  EXPECT_EQ(exp_approx(-110.0f), 0.0f);
  EXPECT_EQ(exp_approx(-1e4f), 0.0f);
  EXPECT_EQ(exp_approx(-INFINITY), 0.0f);
  EXPECT_EQ(exp_approx(INFINITY), INFINITY);
  EXPECT_TRUE(std::isnan(exp_approx(std::numeric_limits<float>::quiet_NaN())));
}

TEST(VectorMath, TanhAndSigmoidCloseToTheLibrary) {
  for (float x = -20.0f; x < 20.0f; x += 0.0007f) {
    ASSERT_NEAR(tanh_approx(x), std::tanh(x), 2e-7f + 4e-7f * std::fabs(std::tanh(x))) << x;
    ASSERT_NEAR(sigmoid_approx(x), 1.0f / (1.0f + std::exp(-x)), 3e-7f) << x;
  }
  EXPECT_EQ(tanh_approx(0.0f), 0.0f);
  EXPECT_EQ(tanh_approx(50.0f), 1.0f);
  EXPECT_EQ(tanh_approx(-50.0f), -1.0f);
  EXPECT_EQ(sigmoid_approx(-200.0f), 0.0f);
  EXPECT_EQ(sigmoid_approx(200.0f), 1.0f);
}

}  // namespace
}  // namespace heed::ops
