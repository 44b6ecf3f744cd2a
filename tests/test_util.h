// Helpers shared by the tests: tensor comparison and a dense random input that requires grad.
#pragma once

#include <gtest/gtest.h>

#include <heed/heed.h>

namespace heed::testing {

// A float32 leaf of `shape` with values uniform in [low, high), requiring grad.
inline Tensor leaf(const Shape& shape, float low = -1.0f, float high = 1.0f) {
  Tensor t = ops::add(ops::mul(rand(shape), high - low), low).detach();
  t.set_requires_grad(true);
  return t;
}

// 0, 1, 2, ... as float32 in a dense tensor of `shape`.
inline Tensor iota(const Shape& shape) {
  Tensor flat = arange(0.0, static_cast<double>(numel(shape)));
  return make_view(flat, shape, contiguous_strides(shape), 0);
}

// A float32 leaf of shape (rows, cols) stored transposed: strides (1, rows), not contiguous.
inline Tensor transposed_leaf(int64_t rows, int64_t cols) {
  Tensor base = leaf({cols, rows}).detach();
  Tensor t = make_view(base, {rows, cols}, {1, rows}, 0);
  t.set_requires_grad();
  return t;
}

// Runs f and expects a heed::Error whose message contains every one of `parts`.
template <class F>
void expect_error(F f, std::initializer_list<const char*> parts) {
  try {
    f();
    ADD_FAILURE() << "expected heed::Error";
  } catch (const Error& e) {
    std::string message = e.what();
    for (const char* part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

// Every element of `actual` within atol + rtol*|expected| of `expected`; shapes equal.
inline ::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected,
                                            double atol = 1e-5, double rtol = 1e-5) {
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure()
           << "shapes differ: " << fmt::format("{} vs {}", actual.shape(), expected.shape());
  std::vector<float> a = actual.to_vector<float>(), e = expected.to_vector<float>();
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::fabs(a[i] - e[i]) <= atol + rtol * std::fabs(e[i])))
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs expected " << e[i];
  return ::testing::AssertionSuccess();
}

}  // namespace heed::testing

// EXPECT_GRADCHECK(f, inputs, "op") with the readable report on failure.
#define EXPECT_GRADCHECK(f, inputs, op, ...)                                   \
  do {                                                                         \
    auto heed_result = ::heed::gradcheck(f, inputs, op __VA_OPT__(, ) __VA_ARGS__); \
    EXPECT_TRUE(heed_result.ok) << heed_result.message;                        \
  } while (false)
