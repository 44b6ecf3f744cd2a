// Translation scores: token accuracy, exact match, corpus BLEU-4 and perplexity.
#include "heed/data/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string_view>

#include "heed/core/error.h"

namespace heed::data {
namespace {

void check_sizes(const std::vector<Tokens>& hypotheses, const std::vector<Tokens>& references, const char* op) {
  HEED_CHECK(hypotheses.size() == references.size(), op, "{} hypotheses but {} references; expected one each",
             hypotheses.size(), references.size());
}

using NgramCounts = std::map<std::vector<std::string_view>, int64_t>;

NgramCounts count_ngrams(const Tokens& tokens, size_t n) {
  NgramCounts counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i) ++counts[{tokens.begin() + static_cast<std::ptrdiff_t>(i),
                                                           tokens.begin() + static_cast<std::ptrdiff_t>(i + n)}];
  return counts;
}

}  // namespace

double token_accuracy(const std::vector<Tokens>& hypotheses, const std::vector<Tokens>& references) {
  check_sizes(hypotheses, references, "token_accuracy");
  int64_t correct = 0, total = 0;
  for (size_t s = 0; s < references.size(); ++s) {
    const Tokens &hypothesis = hypotheses[s], &reference = references[s];
    for (size_t i = 0; i < reference.size(); ++i) correct += i < hypothesis.size() && hypothesis[i] == reference[i];
    total += static_cast<int64_t>(reference.size());
  }
  return total == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(total);
}

double exact_match(const std::vector<Tokens>& hypotheses, const std::vector<Tokens>& references) {
  check_sizes(hypotheses, references, "exact_match");
  if (references.empty()) return 0.0;
  int64_t matches = 0;
  for (size_t s = 0; s < references.size(); ++s) matches += hypotheses[s] == references[s];
  return static_cast<double>(matches) / static_cast<double>(references.size());
}

double corpus_bleu(const std::vector<Tokens>& hypotheses, const std::vector<Tokens>& references) {
  check_sizes(hypotheses, references, "corpus_bleu");
  constexpr size_t kMaxOrder = 4;
  std::array<int64_t, kMaxOrder> matches{}, candidates{};
  int64_t hypothesis_length = 0, reference_length = 0;
  for (size_t s = 0; s < hypotheses.size(); ++s) {
    hypothesis_length += static_cast<int64_t>(hypotheses[s].size());
    reference_length += static_cast<int64_t>(references[s].size());
    for (size_t n = 1; n <= kMaxOrder; ++n) {
      const NgramCounts reference_counts = count_ngrams(references[s], n);
      for (const auto& [ngram, count] : count_ngrams(hypotheses[s], n)) {
        auto found = reference_counts.find(ngram);
        matches[n - 1] += found == reference_counts.end() ? 0 : std::min(count, found->second);  // clipped
        candidates[n - 1] += count;
      }
    }
  }
  double log_precision_sum = 0;
  for (size_t n = 0; n < kMaxOrder; ++n) {
    if (matches[n] == 0) return 0.0;  // no smoothing; also the case of no n-gram at all
    log_precision_sum += std::log(static_cast<double>(matches[n]) / static_cast<double>(candidates[n]));
  }
  const double c = static_cast<double>(hypothesis_length), r = static_cast<double>(reference_length);
  const double brevity_penalty = c < r ? std::exp(1.0 - r / c) : 1.0;
  return 100.0 * brevity_penalty * std::exp(log_precision_sum / kMaxOrder);
}

double perplexity(double total_negative_log_likelihood, int64_t tokens) {
  HEED_CHECK(tokens > 0, "perplexity", "{} tokens; expected at least one", tokens);
  HEED_CHECK(std::isfinite(total_negative_log_likelihood) && total_negative_log_likelihood >= 0, "perplexity",
             "the total negative log-likelihood is {}; expected a finite number >= 0",
             total_negative_log_likelihood);
  return std::exp(total_negative_log_likelihood / static_cast<double>(tokens));
}

}  // namespace heed::data
