// Soak test: does memory stay flat over a long training run? Trains the tiny Transformer
// (d_model 128, 4 heads, feed-forward 512, 2+2 layers, vocabulary 1000, B = 32, S = T = 32, fresh
// random tokens every step, Adam) for --steps updates (default 10,000) and compares, between step
// --check-at (default 1,000) and the last step:
//   peak RSS (VmHWM in /proc/self/status) — must not grow by more than 5%;
//   heed's allocator cache (allocator_stats().bytes_cached) — must not grow at all.
// Both are read at the same point of a step (after the update, every temporary freed). Exit status
// 1 when either grew, 0 otherwise; the figures are printed either way.
//
//   ./build/bin/bench_soak                      # 10,000 steps
//   ./build/bin/bench_soak --steps 3000         # shorter, still compared at step 1,000
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <heed/heed.h>

#include "heed/core/allocator.h"

namespace {

using namespace heed;

constexpr int64_t kVocab = 1000, kBatch = 32, kLength = 32;

// A field of /proc/self/status such as "VmHWM", in kB; -1 when it cannot be read.
long status_kb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  return -1;
}

struct Snapshot {
  long peak_rss_kb, rss_kb;
  std::size_t allocator_cached, allocator_in_use;
};

Snapshot snapshot() {
  const AllocatorStats stats = allocator_stats();
  return {status_kb("VmHWM"), status_kb("VmRSS"), stats.bytes_cached, stats.bytes_in_use};
}

void print(const char* when, int64_t step, const Snapshot& s) {
  std::printf("%-6s step %6lld: peak RSS %8.1f MiB, RSS %8.1f MiB, allocator cache %8.1f MiB, in use %8.1f MiB\n",
              when, static_cast<long long>(step), static_cast<double>(s.peak_rss_kb) / 1024.0,
              static_cast<double>(s.rss_kb) / 1024.0, static_cast<double>(s.allocator_cached) / (1024.0 * 1024.0),
              static_cast<double>(s.allocator_in_use) / (1024.0 * 1024.0));
  std::fflush(stdout);
}

int64_t parse_count(const char* flag, const char* text) {
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || value <= 0) {
    std::fprintf(stderr, "bench_soak: %s must be a positive integer, got '%s'\n", flag, text);
    std::exit(2);
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t steps = 10000, check_at = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--steps" || arg == "--check-at") && i + 1 < argc)
      (arg == "--steps" ? steps : check_at) = parse_count(arg.c_str(), argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench_soak [--steps N] [--check-at K]   (K < N)\n");
      return 2;
    }
  }
  if (check_at >= steps) {
    std::fprintf(stderr, "bench_soak: --check-at %lld must be below --steps %lld\n", static_cast<long long>(check_at),
                 static_cast<long long>(steps));
    return 2;
  }

  manual_seed(0);
  models::Transformer model({.source_vocab_size = kVocab, .target_vocab_size = kVocab, .d_model = 128, .nhead = 4,
                             .num_encoder_layers = 2, .num_decoder_layers = 2, .dim_feedforward = 512});
  model.train();
  optim::Adam optimizer(model.parameters(), {.lr = 1e-4f});
  const int64_t first_token = 3;  // past pad, bos, eos: no padding anywhere
  Snapshot at_check{};
  const auto started = std::chrono::steady_clock::now();
  for (int64_t step = 1; step <= steps; ++step) {
    {
      Tensor src = randint(first_token, kVocab, {kBatch, kLength});     // (B, S)
      Tensor tgt_in = randint(first_token, kVocab, {kBatch, kLength});  // (B, T)
      Tensor tgt_out = randint(first_token, kVocab, {kBatch, kLength}); // (B, T)
      Tensor loss = ops::cross_entropy(model.forward(src, tgt_in), tgt_out, {.ignore_index = 0});
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      if (step % 100 == 0) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::printf("step %6lld: loss %.4f, %.2f s/step\n", static_cast<long long>(step), loss.item<float>(),
                    seconds / static_cast<double>(step));
        std::fflush(stdout);
      }
    }
    if (step == check_at) print("check", step, at_check = snapshot());
  }
  const Snapshot at_end = snapshot();
  print("end", steps, at_end);

  const double rss_ratio = static_cast<double>(at_end.peak_rss_kb) / static_cast<double>(at_check.peak_rss_kb);
  const bool rss_flat = rss_ratio <= 1.05;
  const bool cache_flat = at_end.allocator_cached <= at_check.allocator_cached;
  std::printf("peak RSS end / step %lld: %.4f (limit 1.05) %s; allocator cache %s\n",
              static_cast<long long>(check_at), rss_ratio, rss_flat ? "ok" : "GREW",
              cache_flat ? "did not grow: ok" : "GREW");
  return rss_flat && cache_flat ? 0 : 1;
}
