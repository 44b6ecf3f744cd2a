// train::Workload and run_benchmark (issue 5's training-step benchmarks): each workload's model has
// exactly the parameter count of its PyTorch twin, and its step trains.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "heed/train/benchmark.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::expect_error;

struct Expected {
  const char* name;
  int64_t parameters;  // PyTorch's count for the same model (issue 5)
};

constexpr Expected kWorkloads[] = {
    {"tiny", 1311208}, {"small", 11682624}, {"base", 34367296}, {"lstm", 1953000}};

// Each workload on a tiny batch (B = 2, S = T = 5), repeated: its parameter count is PyTorch's for
// the same model, and a few steps lower the loss.
TEST(TrainBenchmark, ParameterCountsEqualPyTorchsAndStepsLowerTheLoss) {
  for (const Expected& expected : kWorkloads) {
    train::Workload workload(expected.name, {.seed = 3, .batch = 2, .length = 5});
    EXPECT_EQ(workload.parameter_count(), expected.parameters) << expected.name;
    const float first = workload.step();
    float last = first;
    for (int i = 0; i < 3; ++i) last = workload.step();
    EXPECT_TRUE(std::isfinite(last)) << expected.name;
    EXPECT_LT(last, first - 0.1f) << expected.name;
  }
}

TEST(TrainBenchmark, RunBenchmarkReportsTheLineReferencesPrint) {
  train::Workload workload("lstm", {.batch = 2, .length = 4});
  const train::BenchmarkResult result = train::run_benchmark(workload, {.steps = 3, .warmup = 1});
  EXPECT_EQ(result.parameters, 1953000);
  EXPECT_GT(result.step_median_s, 0.0);
  EXPECT_LE(result.step_min_s, result.step_median_s);
  EXPECT_NEAR(result.tokens_per_s, 8.0 / result.step_median_s, 1e-6 * result.tokens_per_s);
  EXPECT_GT(result.peak_rss_mib, 1.0);
  const std::regex line(
      R"(lstm: params=1953000 step_median_s=[0-9.]+ min=[0-9.]+ tokens_per_s=[0-9]+ peak_rss_mib=[0-9]+ loss=[0-9.]+)");
  EXPECT_TRUE(std::regex_match(train::format_result(result), line)) << train::format_result(result);
}

TEST(TrainBenchmark, MisuseIsAnError) {
  expect_error([] { train::Workload("huge"); }, {"unknown workload 'huge'"});
  train::Workload workload("tiny", {.batch = 1, .length = 2});
  expect_error([&] { train::run_benchmark(workload, {.steps = 0}); }, {"expected steps >= 1"});
}

TEST(TrainBenchmark, SgemmMeasuresAPositiveRate) {
  const train::SgemmResult result = train::measure_sgemm(64, 3);
  EXPECT_EQ(result.size, 64);
  EXPECT_GT(result.gflops_median, 0.0);
  EXPECT_GE(result.gflops_best, result.gflops_median);
}

}  // namespace
}  // namespace heed
