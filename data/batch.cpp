// Encoding sentence pairs, padding them into batches, and the length-bucketed, seeded Batcher.
#include "heed/data/batch.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "heed/core/error.h"
#include "heed/core/factories.h"

namespace heed::data {
namespace {

// Padded lengths of an example in a batch: its source, and its target plus bos (tgt_in) or eos
// (tgt_out). A batch is at least one position wide, so an empty source is one pad.
int64_t source_width(const Example& e) { return std::max<int64_t>(1, static_cast<int64_t>(e.source.size())); }
int64_t target_width(const Example& e) { return static_cast<int64_t>(e.target.size()) + 1; }

// A uniform integer in [0, bound) from raw 64-bit outputs, by rejection: std's distributions
// differ between standard libraries, mt19937_64's raw outputs do not.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  // 2^64 mod bound: that many of the lowest raw values would make small results more likely.
  const uint64_t biased = (0 - bound) % bound;
  for (;;) {
    const uint64_t r = rng();
    if (r >= biased) return r % bound;
  }
}

template <class T>
void shuffle(std::vector<T>& items, std::mt19937_64& rng) {  // Fisher–Yates
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[uniform_below(rng, i)]);
}

}  // namespace

std::vector<Example> encode_pairs(const std::vector<SentencePair>& pairs, const Tokenizer& source_tokenizer,
                                  const Tokenizer& target_tokenizer, const Vocab& source_vocab,
                                  const Vocab& target_vocab) {
  std::vector<Example> examples;
  examples.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i)
    examples.push_back({source_vocab.encode(source_tokenizer.tokenize(pairs[i].first)),
                        target_vocab.encode(target_tokenizer.tokenize(pairs[i].second)), static_cast<int64_t>(i)});
  return examples;
}

Batch make_batch(const std::vector<Example>& examples) {
  HEED_CHECK(!examples.empty(), "make_batch", "no examples; expected at least one");
  const int64_t B = static_cast<int64_t>(examples.size());
  int64_t S = 0, T = 0;
  for (const Example& e : examples) S = std::max(S, source_width(e)), T = std::max(T, target_width(e));
  std::vector<int64_t> src(static_cast<size_t>(B * S), Vocab::pad_id), src_mask(src.size(), 1);
  std::vector<int64_t> tgt_in(static_cast<size_t>(B * T), Vocab::pad_id), tgt_out(tgt_in.size(), Vocab::pad_id);
  Batch batch;
  for (size_t row = 0; row < examples.size(); ++row) {
    const Example& e = examples[row];
    const size_t src_row = row * static_cast<size_t>(S), tgt_row = row * static_cast<size_t>(T);
    std::copy(e.source.begin(), e.source.end(), src.begin() + static_cast<std::ptrdiff_t>(src_row));
    std::fill_n(src_mask.begin() + static_cast<std::ptrdiff_t>(src_row), e.source.size(), 0);
    tgt_in[tgt_row] = Vocab::bos_id;
    std::copy(e.target.begin(), e.target.end(), tgt_in.begin() + static_cast<std::ptrdiff_t>(tgt_row + 1));
    std::copy(e.target.begin(), e.target.end(), tgt_out.begin() + static_cast<std::ptrdiff_t>(tgt_row));
    tgt_out[tgt_row + e.target.size()] = Vocab::eos_id;
    batch.indices.push_back(e.index);
    batch.source_tokens += static_cast<int64_t>(e.source.size());
    batch.target_tokens += target_width(e);
  }
  batch.src = from_vector(src, {B, S});
  batch.src_mask = from_vector(src_mask, {B, S});
  batch.tgt_in = from_vector(tgt_in, {B, T});
  batch.tgt_out = from_vector(tgt_out, {B, T});
  return batch;
}

Batcher::Batcher(std::vector<Example> examples, BatcherOptions options)
    : examples_(std::move(examples)), options_(options) {
  HEED_CHECK(options_.max_tokens > 0, "Batcher", "max_tokens is {}; expected a positive number", options_.max_tokens);
  HEED_CHECK(options_.max_rows >= 0, "Batcher", "max_rows is {}; expected 0 (no limit) or a positive number",
             options_.max_rows);
}

std::vector<Batch> Batcher::epoch(int64_t epoch) const {
  const auto seed = options_.seed;
  const auto e = static_cast<uint64_t>(epoch);
  std::seed_seq seeds{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(e),
                      static_cast<uint32_t>(e >> 32)};
  std::mt19937_64 rng(seeds);

  // Shuffle, then sort by lengths: examples of equal lengths end up in a random order.
  std::vector<size_t> order(examples_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (options_.shuffle) shuffle(order, rng);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Example &x = examples_[a], &y = examples_[b];
    return std::pair(x.source.size(), x.target.size()) < std::pair(y.source.size(), y.target.size());
  });

  // Cut the sorted run into batches of at most max_tokens padded tokens and max_rows rows. An
  // example too long for max_tokens on its own still gets a batch of its own.
  std::vector<std::vector<Example>> groups;
  int64_t S = 0, T = 0;
  for (size_t i : order) {
    const Example& example = examples_[i];
    const int64_t width = std::max(S, source_width(example)) + std::max(T, target_width(example));
    const int64_t rows = groups.empty() ? 1 : static_cast<int64_t>(groups.back().size()) + 1;
    const bool fits = rows * width <= options_.max_tokens && (options_.max_rows == 0 || rows <= options_.max_rows);
    if (groups.empty() || !fits) {
      groups.emplace_back();
      S = T = 0;
    }
    groups.back().push_back(example);
    S = std::max(S, source_width(example));
    T = std::max(T, target_width(example));
  }
  if (options_.shuffle) shuffle(groups, rng);

  std::vector<Batch> batches;
  batches.reserve(groups.size());
  for (const auto& group : groups) batches.push_back(make_batch(group));
  return batches;
}

}  // namespace heed::data
