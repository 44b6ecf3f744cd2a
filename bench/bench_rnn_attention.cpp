// Attention for RNN decoders (nn/rnn_attention.h) at the sizes of a small LSTM translation model:
// batch 32, 50 source positions, states of 256, attention size 256.
//
//   BM_decode_step<Additive|Luong>      one decoder step, no grad, keys projected beforehand
//   BM_train_sentence<Additive|Luong>   a training sentence: project the keys once, attend at 20
//                                       decoder steps, backward through all of it
// The same work in PyTorch: bench/reference/rnn_attention.py.
//
//   ./build/bin/bench_rnn_attention
#include <benchmark/benchmark.h>

#include <heed/heed.h>
#include <heed/nn/rnn_attention.h>

namespace {

using namespace heed;

constexpr int64_t kBatch = 32, kSource = 50, kHidden = 256, kSteps = 20;

struct Additive {
  nn::AdditiveAttention attention{kHidden, kHidden, kHidden};
};
struct Luong {
  nn::LuongAttention attention{kHidden, kHidden};
};

// Source positions past each sentence's length are padded (lengths 26 .. 50).
Tensor padding_mask() {
  std::vector<int64_t> mask(kBatch * kSource);
  for (int64_t b = 0; b < kBatch; ++b)
    for (int64_t s = 0; s < kSource; ++s) mask[b * kSource + s] = s >= kSource - (b % 25) ? 1 : 0;
  return from_vector(mask, {kBatch, kSource});
}

template <class Model>
void BM_decode_step(benchmark::State& state) {
  manual_seed(0);
  Model model;
  NoGradGuard no_grad;
  Tensor states = randn({kBatch, kSource, kHidden}), query = randn({kBatch, kHidden}), mask = padding_mask();
  Tensor keys = model.attention.project_keys(states);
  for (auto _ : state)
    benchmark::DoNotOptimize(model.attention.forward_projected(query, keys, states, mask).context);
}

template <class Model>
void BM_train_sentence(benchmark::State& state) {
  manual_seed(0);
  Model model;
  Tensor states = randn({kBatch, kSource, kHidden}).set_requires_grad(), mask = padding_mask();
  std::vector<Tensor> queries;
  for (int64_t t = 0; t < kSteps; ++t) queries.push_back(randn({kBatch, kHidden}).set_requires_grad());
  for (auto _ : state) {
    model.attention.zero_grad();
    Tensor keys = model.attention.project_keys(states);
    Tensor loss = scalar_tensor(0.0f);
    for (const Tensor& query : queries)
      loss = loss + ops::sum(model.attention.forward_projected(query, keys, states, mask).context);
    loss.backward();
  }
}

BENCHMARK(BM_decode_step<Additive>)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_decode_step<Luong>)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_train_sentence<Additive>)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_train_sentence<Luong>)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
