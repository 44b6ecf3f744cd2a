// nn::LSTM's training step against PyTorch's (bench/reference/lstm.py) and against its own GEMM floor.
//
//   BM_lstm_forward_backward   one layer, T = 32, B = 32, input 256, hidden 256, (T, B, I): forward,
//                              then backward of a fixed random gradient on the output (the step
//                              bench/reference/lstm.py times for nn.LSTM)
//   BM_lstm_forward_no_grad    the forward alone, under NoGradGuard
//   BM_lstm_cell_step          one nn::LSTMCell step, B = 32, input 384, hidden 256 (the `lstm`
//                              benchmark workload's decoder, train/benchmark_lstm.h): forward,
//                              then backward of fixed gradients on h and c
//   BM_lstm_gemm_floor         only the GEMMs that step needs, as raw sgemm calls on the same
//                              shapes: the time no LSTM can go below with this BLAS. The rest of
//                              BM_lstm_forward_backward is heed's gate kernels and bookkeeping.
// Each runs 15 repetitions, reported as median and minimum (the machine is shared and noisy).
//
//   ./build/bin/bench_lstm
//   /usr/bin/python3 bench/reference/lstm.py
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include <heed/heed.h>

#include "heed/nn/lstm.h"

namespace {

using namespace heed;

constexpr int64_t T = 32, B = 32, I = 256, H = 256;

void BM_lstm_forward_backward(benchmark::State& state) {
  manual_seed(0);
  nn::LSTM lstm(I, H);
  Tensor x = randn({T, B, I}).set_requires_grad(), upstream = randn({T, B, H});
  for (auto _ : state) {
    lstm.zero_grad();
    x.set_grad(Tensor());
    auto [output, final_state] = lstm.forward(x);
    output.backward(upstream);
    benchmark::DoNotOptimize(lstm.weights[0].weight_hh.grad());
  }
}

void BM_lstm_forward_no_grad(benchmark::State& state) {
  manual_seed(0);
  nn::LSTM lstm(I, H);
  Tensor x = randn({T, B, I});
  NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(lstm.forward(x).first);
}

void BM_lstm_cell_step(benchmark::State& state) {
  manual_seed(0);
  constexpr int64_t kInput = 384;
  nn::LSTMCell cell(kInput, H);
  Tensor x = randn({B, kInput}).set_requires_grad(), h = randn({B, H}).set_requires_grad();
  Tensor c = randn({B, H}).set_requires_grad(), upstream = randn({B, H});
  for (auto _ : state) {
    cell.zero_grad();
    for (Tensor* input : {&x, &h, &c}) input->set_grad(Tensor());
    nn::LSTMState next = cell.forward(x, {h, c});
    (ops::sum(next.h * upstream) + ops::sum(next.c * upstream)).backward();
    benchmark::DoNotOptimize(cell.weight_hh.grad());
  }
}

// C (m, n) = op(A) · op(B) with A, B, C preallocated large enough.
void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const Tensor& a, const Tensor& b, Tensor& c) {
  blas::sgemm(ta, tb, m, n, k, 1.0f, a.data<float>(), ta ? m : k, b.data<float>(), tb ? k : n, 0.0f,
              c.mutable_data<float>(), n);
}

void BM_lstm_gemm_floor(benchmark::State& state) {
  Tensor x = randn({T * B, I}), w_ih = randn({4 * H, I}), w_hh = randn({4 * H, H}), h = randn({B, H});
  Tensor gates = randn({T * B, 4 * H}), step_gates = randn({B, 4 * H}), dh = zeros({B, H});
  Tensor dx = zeros({T * B, I}), dw_ih = zeros({4 * H, I}), dw_hh = zeros({4 * H, H}), hs = randn({T * B, H});
  for (auto _ : state) {
    sgemm(false, true, T * B, 4 * H, I, x, w_ih, gates);                     // input projection
    for (int64_t t = 0; t < T; ++t) sgemm(false, true, B, 4 * H, H, h, w_hh, step_gates);  // h W_hhᵀ
    for (int64_t t = 0; t < T; ++t) sgemm(false, false, B, H, 4 * H, step_gates, w_hh, dh);  // da W_hh
    sgemm(true, false, 4 * H, H, T * B, gates, hs, dw_hh);                   // dW_hh = daᵀ h
    sgemm(false, false, T * B, I, 4 * H, gates, w_ih, dx);                    // dX = da W_ih
    sgemm(true, false, 4 * H, I, T * B, gates, x, dw_ih);                     // dW_ih = daᵀ X
    benchmark::DoNotOptimize(dw_ih.data<float>());
  }
}

// 15 repetitions each, reported as their median and their minimum (the least disturbed run).
void repeated(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->Repetitions(15)->ReportAggregatesOnly(true);
  b->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
}

BENCHMARK(BM_lstm_forward_backward)->Apply(repeated);
BENCHMARK(BM_lstm_forward_no_grad)->Apply(repeated);
BENCHMARK(BM_lstm_gemm_floor)->Apply(repeated);
BENCHMARK(BM_lstm_cell_step)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
