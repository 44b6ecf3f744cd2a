// heed bench: time training steps of the issue-5 workloads (train/benchmark.h) and OpenBLAS's GEMM.
//
//   heed bench transformer --config tiny|small|base [--steps 10] [--warmup 2] [--seed 1]
//   heed bench lstm [--steps 10] [--warmup 2] [--seed 1]
//   heed bench sgemm [--size 2048] [--steps 10]
//
// Each prints one line; bench/compare reads them next to the references' (bench/reference/).
#include "commands.h"
#include "heed/core/blas.h"
#include "heed/core/parallel.h"
#include "heed/train/benchmark.h"
#include "usage.h"

namespace heed::cli {

namespace {

struct BenchFlags {
  std::string workload, config;
  int steps = 10, warmup = 2;
  int64_t seed = 1, size = 2048;
};

int run_bench(const BenchFlags& f) {
  require(f.steps >= 1, "--steps must be >= 1 (got {})", f.steps);
  require(f.warmup >= 0, "--warmup must be >= 0 (got {})", f.warmup);
  require(f.seed >= 0, "--seed must be >= 0 (got {})", f.seed);
  if (f.workload == "sgemm") {
    require(f.config.empty(), "--config is for heed bench transformer");
    require(f.size >= 1, "--size must be >= 1 (got {})", f.size);
    const train::SgemmResult r = train::measure_sgemm(f.size, f.steps);
    fmt::print("sgemm: n={} threads={} gflops_median={:.1f} best={:.1f} core={}\n", r.size, num_threads(),
               r.gflops_median, r.gflops_best, blas::core_name());
    return 0;
  }
  std::string name = "lstm";
  if (f.workload == "transformer") {
    require(f.config == "tiny" || f.config == "small" || f.config == "base",
            "heed bench transformer needs --config tiny, small or base{}",
            f.config.empty() ? "" : fmt::format(" (got '{}')", f.config));
    name = f.config;
  } else {
    require(f.config.empty(), "--config is for heed bench transformer; the lstm workload has one size");
  }
  train::Workload workload(name, {.seed = static_cast<uint64_t>(f.seed)});
  const train::BenchmarkResult result = train::run_benchmark(workload, {.steps = f.steps, .warmup = f.warmup});
  fmt::print("{}\n", train::format_result(result));
  return 0;
}

}  // namespace

Runner add_bench_command(CLI::App& command) {
  auto f = std::make_shared<BenchFlags>();
  command.add_option("workload", f->workload, "transformer, lstm or sgemm")
      ->required()
      ->check(CLI::IsMember({"transformer", "lstm", "sgemm"}));
  command.add_option("--config", f->config, "the Transformer's size: tiny, small or base");
  command.add_option("--steps", f->steps, "timed steps (sgemm: timed products)")->capture_default_str();
  command.add_option("--warmup", f->warmup, "untimed steps before them")->capture_default_str();
  command.add_option("--seed", f->seed, "seed of the weights, dropout and the batch")->capture_default_str();
  command.add_option("--size", f->size, "sgemm: N of the N x N x N product")->capture_default_str();
  return [f] { return run_bench(*f); };
}

}  // namespace heed::cli
