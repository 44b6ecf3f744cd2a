// What the libtorch twins of heed's benchmark workloads share (bench/reference/workload.py says the
// same for the Python ones): the command line, the random batch, the timing loop and the line
//
//   NAME: params=N step_median_s=X min=Y tokens_per_s=Z peak_rss_mib=M loss=L
//
// tokens_per_s counts target tokens, B * T per step. One intra-op thread; OpenBLAS takes its thread
// count from OPENBLAS_NUM_THREADS (bench/compare sets 2).
#pragma once

#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

struct Args {
  std::string config;
  int steps = 10, warmup = 2;
  int64_t seed = 1;
};

// --config NAME --steps N --warmup N --seed N; exits with status 2 on anything else.
inline Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--config") args.config = value;
    else if (flag == "--steps") args.steps = std::stoi(value);
    else if (flag == "--warmup") args.warmup = std::stoi(value);
    else if (flag == "--seed") args.seed = std::stoll(value);
    else {
      std::fprintf(stderr, "%s: unknown option %s\n", argv[0], flag.c_str());
      std::exit(2);
    }
  }
  if (argc % 2 == 0 || args.steps < 1 || args.warmup < 0) {
    std::fprintf(stderr, "usage: %s [--config NAME] [--steps N >= 1] [--warmup N >= 0] [--seed N]\n", argv[0]);
    std::exit(2);
  }
  torch::set_num_threads(1);
  torch::manual_seed(static_cast<uint64_t>(args.seed));
  return args;
}

struct Batch {
  torch::Tensor src, tgt_in, tgt_out;  // (B, S), (B, T), (B, T), tokens in [1, vocab)
};

inline Batch random_batch(int64_t vocab, int64_t batch, int64_t length) {
  torch::Tensor src = torch::randint(1, vocab, {batch, length}, torch::kLong);
  torch::Tensor tgt = torch::randint(1, vocab, {batch, length + 1}, torch::kLong);
  return {src, tgt.slice(1, 0, length).contiguous(), tgt.slice(1, 1, length + 1).contiguous()};
}

// Times `step` (zero_grad, forward, loss, backward, optimiser step; returns the loss) and prints
// the line.
inline void run(const std::string& name, torch::nn::Module& model, int64_t tokens_per_step, const Args& args,
                const std::function<float()>& step) {
  model.train();
  float loss = 0;
  for (int i = 0; i < args.warmup; ++i) loss = step();
  std::vector<double> times;
  for (int i = 0; i < args.steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    loss = step();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  int64_t params = 0;
  for (const torch::Tensor& p : model.parameters()) params += p.numel();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("%s: params=%lld step_median_s=%.4f min=%.4f tokens_per_s=%.0f peak_rss_mib=%.0f loss=%.4f\n",
              name.c_str(), static_cast<long long>(params), median, sorted.front(),
              static_cast<double>(tokens_per_step) / median, static_cast<double>(usage.ru_maxrss) / 1024.0, loss);
}
