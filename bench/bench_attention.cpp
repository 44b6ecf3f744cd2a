// nn::MultiHeadAttention against PyTorch's nn.MultiheadAttention (bench/reference/attention.py).
//
//   BM_mha_forward_backward   one training step of self-attention: forward, then backward of a
//                             fixed upstream gradient (parameter and input gradients cleared first)
//   BM_mha_forward_no_grad    the forward alone, autograd off
//
// The shapes are the reference's: B = 32, T = S = 64, E = 512, 8 heads, no dropout, a key padding
// mask (sequence b padded after a length drawn in [S/2, S]). Before the timings the program prints
// the memory of one forward with autograd on: the peak of the allocator's bytes in use during the
// forward, above what was in use before it, and what is still held afterwards (the output and
// what backward will need).
//
//   ./build/bin/bench_attention
//   /usr/bin/python3 bench/reference/attention.py
#include <benchmark/benchmark.h>

#include <heed/heed.h>
#include <heed/nn/multihead_attention.h>

namespace {

using namespace heed;

constexpr int64_t B = 32, T = 64, E = 512, kHeads = 8;

struct Setup {
  nn::MultiHeadAttention attention{E, kHeads};
  Tensor x, padding, upstream;
  Setup() {
    manual_seed(0);
    x = randn({B, T, E}).set_requires_grad();
    Tensor lengths = randint(T / 2, T + 1, {B});
    std::vector<int64_t> mask;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t) mask.push_back(t >= lengths.at<int64_t>({b}) ? 1 : 0);
    padding = from_vector(mask, {B, T});
    upstream = randn({B, T, E});
  }
  Tensor forward() const { return attention.forward(x, x, x, {.key_padding_mask = padding}).output; }
};

void BM_mha_forward_backward(benchmark::State& state) {
  Setup s;
  for (auto _ : state) {
    s.attention.zero_grad();
    s.x.set_grad(Tensor());
    s.forward().backward(s.upstream);
    benchmark::DoNotOptimize(s.x.grad());
  }
}

void BM_mha_forward_no_grad(benchmark::State& state) {
  Setup s;
  NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(s.forward());
}

BENCHMARK(BM_mha_forward_backward)->Unit(benchmark::kMillisecond)->MinTime(1.0)->Repetitions(7);
BENCHMARK(BM_mha_forward_no_grad)->Unit(benchmark::kMillisecond)->MinTime(1.0)->Repetitions(7);

// Memory of one forward with autograd on, measured before any benchmark has raised the peak.
void report_forward_memory() {
  Setup s;
  const double before = static_cast<double>(allocator_stats().bytes_in_use);
  Tensor out = s.forward();
  const AllocatorStats after = allocator_stats();
  const double mb = 1024.0 * 1024.0;
  fmt::print("MultiHeadAttention forward (B={}, T=S={}, E={}, heads={}), autograd on: peak {:.1f} MiB above the "
             "inputs and parameters, {:.1f} MiB held after it (output + saved for backward); one (B, H, T, S) "
             "tensor is {:.1f} MiB, one (B, T, E) tensor {:.1f} MiB\n",
             B, T, E, kHeads, (static_cast<double>(after.peak_bytes_in_use) - before) / mb,
             (static_cast<double>(after.bytes_in_use) - before) / mb, B * kHeads * T * T * 4 / mb, B * T * E * 4 / mb);
}

}  // namespace

int main(int argc, char** argv) {
  report_forward_memory();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
