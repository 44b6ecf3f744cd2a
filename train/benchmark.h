// train::Workload and run_benchmark: the training-step benchmarks of issue 5, shared by `heed
// bench` and the tests. The same workloads live in bench/reference/ for PyTorch and libtorch, and
// bench/compare runs them all side by side.
//
//   train::Workload workload("tiny", {.seed = 1});
//   train::BenchmarkResult result = train::run_benchmark(workload, {.steps = 10, .warmup = 2});
//   fmt::print("{}\n", train::format_result(result));
//   // tiny: params=1311208 step_median_s=0.0612 min=0.0580 tokens_per_s=16732 peak_rss_mib=74 loss=6.9300
//   // (the figures vary from machine to machine and run to run)
//
// The workloads (vocab, d_model, heads, d_ff, layers, batch B, lengths S = T):
//   tiny   Transformer 1000, 128, 4, 512, 2 + 2, B 32, 32      1,311,208 parameters
//   small  Transformer 8000, 256, 4, 1024, 3 + 3, B 32, 48    11,682,624
//   base   Transformer 8000, 512, 8, 2048, 3 + 3, B 32, 64    34,367,296
//   lstm   BenchmarkLSTM 1000, embeddings 128, hidden 256, B 32, 32   1,953,000
// Transformers are PyTorch's nn.Transformer (post-norm, ReLU, dropout 0.1, a final LayerNorm on
// both stacks) with separate embeddings · √d, sinusoidal positions and an output Linear with bias,
// trained with cross-entropy (label smoothing 0.1, ignore_index 0) and Adam (lr 1e-4, betas 0.9,
// 0.98, eps 1e-9). lstm: cross-entropy (ignore_index 0), Adam lr 1e-3. Tokens are drawn once,
// uniformly in [1, vocab): source (B, S), target (B, T + 1), teacher forcing. A step is
// zero_grad, forward, loss, backward, optimizer step, always on that same batch.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "heed/nn/module.h"
#include "heed/ops/loss.h"
#include "heed/optim/adam.h"

namespace heed::train {

// "tiny", "small", "base", "lstm".
const std::vector<std::string>& workload_names();

struct WorkloadOptions {
  uint64_t seed = 1;   // the model's initial weights, dropout and the batch
  int64_t batch = 0;   // B; 0: the workload's own
  int64_t length = 0;  // S = T; 0: the workload's own
};

class Workload {
 public:
  // name: one of workload_names(); anything else is a heed::Error listing them.
  Workload(const std::string& name, WorkloadOptions options = {});
  // zero_grad, forward, loss, backward, Adam step -> the loss (before the step).
  float step();
  int64_t parameter_count() const;
  // Target tokens one step predicts: B · T (the unit of tokens_per_s, for heed and the references).
  int64_t tokens_per_step() const { return batch_ * length_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int64_t batch_ = 0, length_ = 0;
  std::shared_ptr<nn::Module> model_;
  std::function<Tensor(const Tensor&, const Tensor&)> forward_;  // (src, tgt_in) -> logits
  std::unique_ptr<optim::Adam> optimizer_;
  ops::CrossEntropyOptions loss_;
  Tensor source_, target_in_, target_out_;  // (B, S), (B, T), (B, T)
};

struct BenchmarkOptions {
  int steps = 10;  // timed steps (>= 1)
  int warmup = 2;  // untimed steps first (>= 0)
};

struct BenchmarkResult {
  std::string name;
  int64_t parameters = 0;
  double step_median_s = 0, step_min_s = 0;
  double tokens_per_s = 0;  // tokens_per_step / step_median_s
  double peak_rss_mib = 0;  // the whole process's peak resident memory
  float loss = 0;           // the last step's
};

BenchmarkResult run_benchmark(Workload& workload, BenchmarkOptions options = {});

// "NAME: params=N step_median_s=X min=Y tokens_per_s=Z peak_rss_mib=M loss=L", the line the
// references print too.
std::string format_result(const BenchmarkResult& result);

// The process's peak resident set size so far, in MiB (getrusage's ru_maxrss).
double peak_rss_mib();

struct SgemmResult {
  int64_t size = 0;                    // N of the N x N x N product
  double gflops_median = 0, gflops_best = 0;
};

// Times heed::blas::sgemm (OpenBLAS on heed's threads) on N x N matrices `repeats` times after one
// untimed call: the machine's GEMM ceiling for bench/compare.
SgemmResult measure_sgemm(int64_t size, int repeats);

}  // namespace heed::train
