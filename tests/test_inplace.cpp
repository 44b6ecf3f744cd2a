// In-place ops: values, broadcasting, and autograd's refusals.
#include "test_util.h"

#include "heed/ops/inplace.h"

namespace heed {
namespace {

using testing::all_close;
using testing::leaf;

TEST(InPlace, Values) {
  Tensor x = from_vector({1.f, 2.f, 3.f, 4.f}, {2, 2});
  ops::add_(x, from_vector({10.f, 20.f}), 0.5f);  // broadcast row
  EXPECT_TRUE(all_close(x, from_vector({6.f, 12.f, 8.f, 14.f}, {2, 2})));
  ops::mul_(x, 2.f);
  EXPECT_TRUE(all_close(x, from_vector({12.f, 24.f, 16.f, 28.f}, {2, 2})));
  ops::copy_(x, from_vector({7.f}));
  EXPECT_TRUE(all_close(x, full({2, 2}, 7.0)));
  ops::zero_(x);
  EXPECT_TRUE(all_close(x, zeros({2, 2})));
}

TEST(InPlace, WritesThroughAStridedView) {
  Tensor base = zeros({2, 3});
  Tensor column = make_view(base, {2}, {3}, 1);  // base[:, 1]
  ops::fill_(column, 5.f);
  EXPECT_TRUE(all_close(base, from_vector({0.f, 5.f, 0.f, 0.f, 5.f, 0.f}, {2, 3})));
}

TEST(InPlace, BumpsTheStorageVersion) {
  Tensor x = zeros({3});
  uint64_t before = x.storage()->version();
  ops::add_(x, ones({3}));
  EXPECT_GT(x.storage()->version(), before);
}

TEST(InPlace, RefusesATensorThatRequiresGradUnderGradMode) {
  Tensor w = leaf({3});
  EXPECT_THROW(ops::add_(w, ones({3})), Error);
  Tensor h = w * 2.f;
  EXPECT_THROW(ops::mul_(h, 2.f), Error);
  {
    NoGradGuard no_grad;  // how optimizers update parameters
    ops::add_(w, ones({3}), -0.1f);
  }
}

TEST(InPlace, RefusesSourcesThatDoNotBroadcastAndBroadcastDestinations) {
  Tensor x = zeros({2, 3});
  EXPECT_THROW(ops::add_(x, ones({2})), Error);
  Tensor broadcast = make_view(zeros({3}), {2, 3}, {0, 1}, 0);
  EXPECT_THROW(ops::fill_(broadcast, 1.f), Error);
}

TEST(InPlace, OverwritingASavedTensorMakesBackwardFail) {
  Tensor x = leaf({4});
  Tensor y = ops::tanh(x);      // tanh saves its output for backward
  Tensor loss = ops::sum(y);
  Tensor alias = y.detach();    // same storage, no graph
  ops::mul_(alias, 0.f);
  try {
    loss.backward();
    FAIL() << "expected heed::Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("tanh"), std::string::npos) << message;
    EXPECT_NE(message.find("modified in place"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace heed
