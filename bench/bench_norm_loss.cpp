// LayerNorm and softmax cross-entropy, the two fused per-row kernels of a Transformer step, at the
// `base` benchmark workload's sizes (train/benchmark.h): B·T = 32·64 = 2048 rows.
//
//   BM_layer_norm_forward_backward      nn::LayerNorm(512) on (2048, 512), then backward of a fixed
//                                       upstream gradient (input, weight and bias gradients)
//   BM_cross_entropy_forward_backward   ops::cross_entropy on (2048, 8000) logits with label
//                                       smoothing 0.1 and ignore_index 0, then backward
// bytes_per_second counts the float tensors each pass must read and write at least.
//
//   ./build/bin/bench_norm_loss
#include <benchmark/benchmark.h>

#include <heed/heed.h>

#include "heed/nn/layer_norm.h"

namespace {

using namespace heed;

constexpr int64_t kRows = 2048, kModel = 512, kVocab = 8000;

void BM_layer_norm_forward_backward(benchmark::State& state) {
  manual_seed(0);
  nn::LayerNorm norm(kModel);
  Tensor x = randn({kRows, kModel}).set_requires_grad(), upstream = randn({kRows, kModel});
  for (auto _ : state) {
    norm.zero_grad();
    x.set_grad(Tensor());
    norm.forward(x).backward(upstream);
    benchmark::DoNotOptimize(x.grad());
  }
  // forward reads x and writes y; backward reads x, dy and writes dx
  state.SetBytesProcessed(state.iterations() * 5 * kRows * kModel * static_cast<int64_t>(sizeof(float)));
}

void BM_cross_entropy_forward_backward(benchmark::State& state) {
  manual_seed(0);
  Tensor logits = randn({kRows, kVocab}).set_requires_grad();
  Tensor targets = randint(1, kVocab, {kRows});
  for (auto _ : state) {
    logits.set_grad(Tensor());
    ops::cross_entropy(logits, targets, {.ignore_index = 0, .label_smoothing = 0.1f}).backward();
    benchmark::DoNotOptimize(logits.grad());
  }
  // forward reads the logits; backward writes their gradient
  state.SetBytesProcessed(state.iterations() * 2 * kRows * kVocab * static_cast<int64_t>(sizeof(float)));
}

BENCHMARK(BM_layer_norm_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_cross_entropy_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
