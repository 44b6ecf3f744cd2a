// Memory-bound ops against memcpy. Each benchmark reports bytes_per_second as the bytes it reads
// plus the bytes it writes, so an op at memcpy's figure moves memory as fast as memcpy does.
// memcpy is single-threaded; heed's kernels use every OpenMP thread.
//
//   ./build/bin/bench_elementwise --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstring>

#include <heed/heed.h>

namespace {

using namespace heed;

constexpr int64_t kSizes[] = {1 << 20, 1 << 22, 1 << 24};  // 1M, 4M, 16M floats

void set_bytes(benchmark::State& state, int64_t floats_moved) {
  state.SetBytesProcessed(state.iterations() * floats_moved * static_cast<int64_t>(sizeof(float)));
}

void BM_memcpy(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n}), b = randn({n});
  for (auto _ : state) {
    std::memcpy(b.mutable_data<float>(), a.data<float>(), static_cast<size_t>(n) * sizeof(float));
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2 * n);
}

template <Tensor (*Op)(const Tensor&, const Tensor&)>
void BM_binary(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n}), b = randn({n});
  for (auto _ : state) benchmark::DoNotOptimize(Op(a, b));
  set_bytes(state, 3 * n);
}

template <Tensor (*Op)(const Tensor&)>
void BM_unary(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n});
  for (auto _ : state) benchmark::DoNotOptimize(Op(a));
  set_bytes(state, 2 * n);
}

// Dropout while training: one random draw per element (ops/dropout_mask.h), read x, write y.
void BM_dropout(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n});
  for (auto _ : state) benchmark::DoNotOptimize(ops::dropout(a, 0.1f, /*training=*/true));
  set_bytes(state, 2 * n);
}

// (rows, 1024) + (1024): the bias-add pattern, a broadcast operand.
void BM_add_broadcast_row(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n / 1024, 1024}), bias = randn({1024});
  for (auto _ : state) benchmark::DoNotOptimize(ops::add(a, bias));
  set_bytes(state, 2 * n);
}

void BM_sum_all(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n});
  for (auto _ : state) benchmark::DoNotOptimize(ops::sum(a));
  set_bytes(state, n);
}

// Sum over the leading dim of (rows, 1024): the bias-gradient pattern.
void BM_sum_rows(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n / 1024, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(ops::sum(a, {0}));
  set_bytes(state, n);
}

// Sum over the last dim of (rows, 1024).
void BM_sum_last_dim(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n / 1024, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(ops::sum(a, {-1}));
  set_bytes(state, n);
}

void BM_max_last_dim(benchmark::State& state) {
  int64_t n = state.range(0);
  Tensor a = randn({n / 1024, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(ops::max(a, -1));
  set_bytes(state, n);
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int64_t n : kSizes) b->Arg(n);
  b->UseRealTime();
}

BENCHMARK(BM_memcpy)->Apply(sizes);
BENCHMARK(BM_binary<ops::add>)->Name("BM_add")->Apply(sizes);
BENCHMARK(BM_binary<ops::mul>)->Name("BM_mul")->Apply(sizes);
BENCHMARK(BM_unary<ops::relu>)->Name("BM_relu")->Apply(sizes);
BENCHMARK(BM_unary<ops::exp>)->Name("BM_exp")->Apply(sizes);
BENCHMARK(BM_unary<ops::tanh>)->Name("BM_tanh")->Apply(sizes);
BENCHMARK(BM_dropout)->Apply(sizes);
BENCHMARK(BM_add_broadcast_row)->Apply(sizes);
BENCHMARK(BM_sum_all)->Apply(sizes);
BENCHMARK(BM_sum_rows)->Apply(sizes);
BENCHMARK(BM_sum_last_dim)->Apply(sizes);
BENCHMARK(BM_max_last_dim)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
