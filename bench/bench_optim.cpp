// Optimizer steps and gradient clipping over ~12M parameters (four 3M-element tensors, the size
// of a small Transformer), in GB/s of bytes read plus written: a memory-bound regression guard.
// Adam reads p, g, m, v and writes p, m, v (28 bytes per parameter); SGD with momentum reads p,
// g, buf and writes p, buf (20); clipping reads g twice and writes it once (12).
//
//   ./build/bin/bench_optim --benchmark_counters_tabular=true
// PyTorch's figures for the same steps: /usr/bin/python3 bench/reference/optim.py
#include <benchmark/benchmark.h>

#include <heed/heed.h>
#include <heed/optim/adam.h>
#include <heed/optim/clip.h>
#include <heed/optim/sgd.h>

namespace {

using namespace heed;

constexpr int64_t kTensors = 4, kPerTensor = 3 << 20;  // 12.6M parameters

std::vector<Tensor> parameters_with_gradients() {
  manual_seed(0);
  std::vector<Tensor> params;
  for (int64_t i = 0; i < kTensors; ++i) {
    Tensor p = randn({kPerTensor}).set_requires_grad();
    p.set_grad(randn({kPerTensor}));
    params.push_back(p);
  }
  return params;
}

void set_bytes(benchmark::State& state, int64_t bytes_per_parameter) {
  state.SetBytesProcessed(state.iterations() * kTensors * kPerTensor * bytes_per_parameter);
}

template <class Optimizer, class Options>
void BM_step(benchmark::State& state, Options options, int64_t bytes_per_parameter) {
  Optimizer optimizer(parameters_with_gradients(), options);
  optimizer.step();  // allocates the buffers
  for (auto _ : state) optimizer.step();
  set_bytes(state, bytes_per_parameter);
}

void BM_adam(benchmark::State& state) { BM_step<optim::Adam>(state, optim::AdamOptions{}, 28); }
void BM_adamw(benchmark::State& state) { BM_step<optim::AdamW>(state, optim::AdamWOptions{}, 28); }
void BM_sgd_momentum(benchmark::State& state) {
  BM_step<optim::SGD>(state, optim::SGDOptions{.lr = 1e-3f, .momentum = 0.9f}, 20);
}

void BM_clip_grad_norm(benchmark::State& state) {
  std::vector<Tensor> params = parameters_with_gradients();
  // The gradients' norm is far above 1, so the first call scales them to norm 1; every later call
  // sees a norm of 1 against max_norm / (1 + 1e-6) and scales again. So each iteration is one
  // norm pass and one scaling pass.
  for (auto _ : state) benchmark::DoNotOptimize(optim::clip_grad_norm(params, 1.0f));
  set_bytes(state, 12);
}

BENCHMARK(BM_adam)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_adamw)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sgd_momentum)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_clip_grad_norm)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
