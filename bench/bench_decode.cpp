// Decoding against length (issue 16): does a step at position 500 cost what a step at position 5
// costs, and what does a beam cost against greedy? A Transformer (d_model 256, 4 heads, 3+3 layers,
// feed-forward 1024, vocabulary 1000) with random weights, and --batch sources (default 32, as the
// translator batches sentences) of 32 random tokens each:
//   per step:  Seq2Seq::step fed its own argmax for 512 steps, each timed; the mean of the first
//              64 against the mean of the last 64 (flat: at most 1.5 times);
//   greedy against beam 4:  greedy_decode and beam_search of 512 tokens each (EOS is made
//              impossible through the generator's bias, so both run every step); beam 4 should take
//              at most 3 times greedy's time.
// Every figure is the median of --repeats runs (default 3). Exit status 1 when a target is missed.
//
//   ./build/bin/bench_decode
//   ./build/bin/bench_decode --tokens 256 --repeats 5 --batch 1
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <heed/heed.h>

namespace {

using namespace heed;
using Clock = std::chrono::steady_clock;

constexpr int64_t kVocab = 1000, kSourceLength = 32, kWindow = 64;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double mean(const std::vector<double>& values, size_t first, size_t count) {
  double sum = 0;
  for (size_t i = first; i < first + count; ++i) sum += values[i];
  return sum / static_cast<double>(count);
}

// The seconds of each of `tokens` steps of greedy decoding for the sentences of src (B, S).
std::vector<double> step_times(const models::Transformer& model, const Tensor& src, int64_t tokens) {
  NoGradGuard no_grad;
  std::unique_ptr<models::DecoderState> state = model.start(src);
  Tensor next = full({src.size(0)}, static_cast<double>(model.special_ids().bos), {.dtype = Dtype::Int64});  // (B,)
  std::vector<double> times;
  for (int64_t t = 0; t < tokens; ++t) {
    const Clock::time_point start = Clock::now();
    Tensor logits = model.step(*state, next).logits;  // (B, V)
    next = ops::argmax(logits, -1);                   // (B,)
    times.push_back(seconds_since(start));
  }
  return times;
}

// Seconds to decode `tokens` tokens with `beam` (1: greedy_decode).
double decode_seconds(const models::Transformer& model, const Tensor& src, int64_t tokens, int64_t beam) {
  const Clock::time_point start = Clock::now();
  const std::vector<models::Hypothesis> found = models::decode(model, src, {.beam_size = beam, .max_length = tokens});
  const double seconds = seconds_since(start);
  if (static_cast<int64_t>(found.front().tokens.size()) != tokens) {  // EOS is impossible: never fewer
    std::fprintf(stderr, "bench_decode: beam %lld stopped after %zu tokens, expected %lld\n",
                 static_cast<long long>(beam), found.front().tokens.size(), static_cast<long long>(tokens));
    std::exit(1);
  }
  return seconds;
}

int64_t parse_count(const char* flag, const char* text, int64_t least) {
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || value < least) {
    std::fprintf(stderr, "bench_decode: %s must be an integer >= %lld, got '%s'\n", flag,
                 static_cast<long long>(least), text);
    std::exit(2);
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t tokens = 512, repeats = 3, batch = 32;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--tokens" && i + 1 < argc) tokens = parse_count("--tokens", argv[++i], 2 * kWindow);
    else if (arg == "--repeats" && i + 1 < argc) repeats = parse_count("--repeats", argv[++i], 1);
    else if (arg == "--batch" && i + 1 < argc) batch = parse_count("--batch", argv[++i], 1);
    else {
      std::fprintf(stderr, "usage: bench_decode [--tokens N (>= %lld)] [--repeats K] [--batch B]\n",
                   static_cast<long long>(2 * kWindow));
      return 2;
    }
  }

  manual_seed(0);
  models::Transformer model({.source_vocab_size = kVocab, .target_vocab_size = kVocab, .d_model = 256, .nhead = 4,
                             .num_encoder_layers = 3, .num_decoder_layers = 3, .dim_feedforward = 1024,
                             .max_length = tokens + 2});
  model.eval();
  {  // EOS never wins: every run decodes all its tokens
    NoGradGuard no_grad;
    Tensor bias = model.generator->bias;
    bias.mutable_data<float>()[model.special_ids().eos] = -1e9f;
  }
  const Tensor src = randint(3, kVocab, {batch, kSourceLength});  // (B, S): past pad, bos, eos

  std::vector<double> first, last, greedy, beam;
  for (int64_t r = 0; r < repeats; ++r) {
    const std::vector<double> times = step_times(model, src, tokens);
    first.push_back(mean(times, 0, kWindow));
    last.push_back(mean(times, times.size() - kWindow, kWindow));
    greedy.push_back(decode_seconds(model, src, tokens, 1));
    beam.push_back(decode_seconds(model, src, tokens, 4));
  }
  const double flatness = median(last) / median(first), beam_ratio = median(beam) / median(greedy);
  std::printf("per step: first %lld %.3f ms, last %lld %.3f ms: last / first %.2f (target <= 1.5) %s\n",
              static_cast<long long>(kWindow), 1e3 * median(first), static_cast<long long>(kWindow),
              1e3 * median(last), flatness, flatness <= 1.5 ? "ok" : "MISSED");
  std::printf("%lld sentences of %lld tokens: greedy %.3f s, beam 4 %.3f s: beam / greedy %.2f (target <= 3) %s\n",
              static_cast<long long>(batch), static_cast<long long>(tokens), median(greedy), median(beam), beam_ratio,
              beam_ratio <= 3.0 ? "ok" : "MISSED");
  return flatness <= 1.5 && beam_ratio <= 3.0 ? 0 : 1;
}
