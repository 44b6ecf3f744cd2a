// heed's matmul against raw cblas_sgemm calls of the same shapes.
//
//   BM_matmul_vs_sgemm/N             ops::matmul (autograd off) vs one raw N³ sgemm
//   BM_forward_backward_vs_sgemm/N   matmul + backward vs the three raw GEMMs it needs
//                                    (C = AB, dA = dC·Bᵀ, dB = Aᵀ·dC)
// This machine's speed drifts from second to second (a shared VM), so each iteration times one
// heed call and one raw call back to back, and the counters compare the two totals:
// heed_GFLOPs, raw_GFLOPs and heed_vs_raw (targets: ≥ 0.90 forward, ≥ 0.85 forward+backward).
//
//   ./build/bin/bench_matmul
#include <benchmark/benchmark.h>

#include <chrono>

#include <heed/heed.h>

namespace {

using namespace heed;
using Clock = std::chrono::steady_clock;

double seconds_of(const auto& work) {
  auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(benchmark::State& state, double heed_seconds, double raw_seconds, int64_t n, int gemms) {
  double flops = static_cast<double>(state.iterations()) * gemms * 2.0 * static_cast<double>(n * n * n);
  state.counters["heed_GFLOPs"] = flops / heed_seconds / 1e9;
  state.counters["raw_GFLOPs"] = flops / raw_seconds / 1e9;
  state.counters["heed_vs_raw"] = raw_seconds / heed_seconds;
}

void raw_gemm(bool ta, bool tb, int64_t n, const Tensor& a, const Tensor& b, Tensor& c) {
  blas::sgemm(ta, tb, n, n, n, 1.f, a.data<float>(), n, b.data<float>(), n, 0.f, c.mutable_data<float>(), n);
}

void BM_matmul_vs_sgemm(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n, n}), b = randn({n, n}), c = zeros({n, n});
  NoGradGuard no_grad;
  double heed_seconds = 0, raw_seconds = 0;
  for (auto _ : state) {
    heed_seconds += seconds_of([&] { benchmark::DoNotOptimize(ops::matmul(a, b)); });
    raw_seconds += seconds_of([&] { raw_gemm(false, false, n, a, b, c); });
  }
  report(state, heed_seconds, raw_seconds, n, 1);
}

void BM_forward_backward_vs_sgemm(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n, n}).set_requires_grad(), b = randn({n, n}).set_requires_grad(), dc = randn({n, n});
  Tensor c = zeros({n, n}), da = zeros({n, n}), db = zeros({n, n});
  double heed_seconds = 0, raw_seconds = 0;
  for (auto _ : state) {
    heed_seconds += seconds_of([&] {
      a.set_grad(Tensor());
      b.set_grad(Tensor());
      ops::matmul(a, b).backward(dc);
      benchmark::DoNotOptimize(b.grad());
    });
    raw_seconds += seconds_of([&] {
      raw_gemm(false, false, n, a, b, c);
      raw_gemm(false, true, n, dc, b, da);
      raw_gemm(true, false, n, a, dc, db);
    });
  }
  report(state, heed_seconds, raw_seconds, n, 3);
}

void sizes(benchmark::internal::Benchmark* b) { b->Arg(128)->Arg(512)->Arg(1024)->MinTime(1.0); }

BENCHMARK(BM_matmul_vs_sgemm)->Apply(sizes);
BENCHMARK(BM_forward_backward_vs_sgemm)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
