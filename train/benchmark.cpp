// train::Workload, run_benchmark and measure_sgemm: the training-step benchmarks (see the header).
#include "heed/train/benchmark.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fmt/format.h>

#include "heed/core/blas.h"
#include "heed/core/factories.h"
#include "heed/core/random.h"
#include "heed/models/transformer.h"
#include "heed/ops/shape.h"
#include "heed/train/benchmark_lstm.h"

namespace heed::train {
namespace {

using Clock = std::chrono::steady_clock;

struct TransformerSize {
  const char* name;
  int64_t vocab, d_model, heads, d_ff, layers, batch, length;
};

constexpr TransformerSize kTransformers[] = {
    {"tiny", 1000, 128, 4, 512, 2, 32, 32},
    {"small", 8000, 256, 4, 1024, 3, 32, 48},
    {"base", 8000, 512, 8, 2048, 3, 32, 64},
};

constexpr int64_t kLSTMVocab = 1000, kLSTMBatch = 32, kLSTMLength = 32;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> names = {"tiny", "small", "base", "lstm"};
  return names;
}

Workload::Workload(const std::string& name, WorkloadOptions options) : name_(name) {
  HEED_CHECK(std::find(workload_names().begin(), workload_names().end(), name) != workload_names().end(), "Workload",
             "unknown workload '{}'; expected tiny, small, base or lstm", name);
  HEED_CHECK(options.batch >= 0 && options.length >= 0, "Workload", "batch {} and length {}; expected both >= 0",
             options.batch, options.length);
  manual_seed(options.seed);
  int64_t vocab = kLSTMVocab;
  optim::AdamOptions adam;
  if (name == "lstm") {
    auto model = std::make_shared<BenchmarkLSTM>(BenchmarkLSTMConfig{.vocab_size = kLSTMVocab});
    forward_ = [model](const Tensor& src, const Tensor& tgt_in) { return model->forward(src, tgt_in); };
    model_ = model;
    batch_ = kLSTMBatch;
    length_ = kLSTMLength;
    loss_ = {.ignore_index = 0};
    adam = {.lr = 1e-3f};
  } else {
    const TransformerSize& size =
        *std::find_if(std::begin(kTransformers), std::end(kTransformers), [&](const TransformerSize& s) {
          return name == s.name;
        });
    vocab = size.vocab;
    auto model = std::make_shared<models::Transformer>(models::TransformerConfig{
        .source_vocab_size = size.vocab,
        .target_vocab_size = size.vocab,
        .d_model = size.d_model,
        .nhead = size.heads,
        .num_encoder_layers = size.layers,
        .num_decoder_layers = size.layers,
        .dim_feedforward = size.d_ff,
        .dropout = 0.1f,
        .norm_first = false,
        .final_norms = true,
    });
    forward_ = [model](const Tensor& src, const Tensor& tgt_in) { return model->forward(src, tgt_in); };
    model_ = model;
    batch_ = size.batch;
    length_ = size.length;
    loss_ = {.ignore_index = 0, .label_smoothing = 0.1f};
    adam = {.lr = 1e-4f, .betas = {0.9f, 0.98f}, .eps = 1e-9f};
  }
  if (options.batch > 0) batch_ = options.batch;
  if (options.length > 0) length_ = options.length;
  model_->train();
  optimizer_ = std::make_unique<optim::Adam>(model_->parameters(), adam);
  source_ = randint(1, vocab, {batch_, length_});              // (B, S)
  const Tensor target = randint(1, vocab, {batch_, length_ + 1});  // (B, T + 1)
  target_in_ = ops::contiguous(ops::narrow(target, 1, 0, length_));
  target_out_ = ops::contiguous(ops::narrow(target, 1, 1, length_));
}

float Workload::step() {
  optimizer_->zero_grad();
  Tensor logits = forward_(source_, target_in_);                  // (B, T, V)
  Tensor loss = ops::cross_entropy(logits, target_out_, loss_);  // ()
  loss.backward();
  optimizer_->step();
  return loss.item();
}

int64_t Workload::parameter_count() const {
  int64_t count = 0;
  for (const Tensor& p : model_->parameters()) count += p.numel();
  return count;
}

BenchmarkResult run_benchmark(Workload& workload, BenchmarkOptions options) {
  HEED_CHECK(options.steps >= 1 && options.warmup >= 0, "run_benchmark",
             "steps {} and warmup {}; expected steps >= 1 and warmup >= 0", options.steps, options.warmup);
  BenchmarkResult result{.name = workload.name(), .parameters = workload.parameter_count()};
  for (int i = 0; i < options.warmup; ++i) result.loss = workload.step();
  std::vector<double> times;
  for (int i = 0; i < options.steps; ++i) {
    const Clock::time_point start = Clock::now();
    result.loss = workload.step();
    times.push_back(seconds_since(start));
  }
  result.step_median_s = median(times);
  result.step_min_s = *std::min_element(times.begin(), times.end());
  result.tokens_per_s = static_cast<double>(workload.tokens_per_step()) / result.step_median_s;
  result.peak_rss_mib = peak_rss_mib();
  return result;
}

std::string format_result(const BenchmarkResult& r) {
  return fmt::format(
      "{}: params={} step_median_s={:.4f} min={:.4f} tokens_per_s={:.0f} peak_rss_mib={:.0f} loss={:.4f}", r.name,
      r.parameters, r.step_median_s, r.step_min_s, r.tokens_per_s, r.peak_rss_mib, r.loss);
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

SgemmResult measure_sgemm(int64_t size, int repeats) {
  HEED_CHECK(size >= 1 && repeats >= 1, "measure_sgemm", "size {} and repeats {}; expected both >= 1", size, repeats);
  const Tensor a = randn({size, size}), b = randn({size, size});
  const Tensor c = zeros({size, size});
  const auto multiply = [&] {
    blas::sgemm(false, false, size, size, size, 1.0f, a.data<float>(), size, b.data<float>(), size, 0.0f,
                c.mutable_data<float>(), size);
  };
  multiply();
  std::vector<double> gflops;
  const double flops = 2.0 * static_cast<double>(size) * static_cast<double>(size) * static_cast<double>(size);
  for (int i = 0; i < repeats; ++i) {
    const Clock::time_point start = Clock::now();
    multiply();
    gflops.push_back(flops / seconds_since(start) / 1e9);
  }
  return {.size = size,
          .gflops_median = median(gflops),
          .gflops_best = *std::max_element(gflops.begin(), gflops.end())};
}

}  // namespace heed::train
