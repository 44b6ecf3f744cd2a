// Scores for translations, on token sequences (hypothesis vs reference):
//   token_accuracy  fraction of reference positions where the hypothesis has the same token
//                   (the hypothesis is compared position by position; missing positions are wrong)
//   exact_match     fraction of sentences translated exactly
//   corpus_bleu     BLEU-4 of Papineni et al. (2002) over the whole corpus, one reference per
//                   sentence, on the given tokens: clipped n-gram matches for n = 1..4 summed over
//                   all sentences, the geometric mean of the four precisions, times the brevity
//                   penalty exp(1 − r/c) when the hypotheses' total length c is below the
//                   references' r. No smoothing: 0 when some n has no match. 0..100.
//                   Unlike NLTK's corpus_bleu, a hypothesis shorter than n adds no n-gram to the
//                   denominator of p_n (NLTK adds 1); the two agree when every hypothesis has at
//                   least 4 tokens (tests/golden/make_golden_bleu.py).
//   perplexity      exp(mean negative log-likelihood per token); heed::Error for no tokens
//
// An empty corpus scores 0 on the first three; hypotheses and references of different counts are
// a heed::Error.
#pragma once

#include <string>
#include <vector>

namespace heed::data {

using Tokens = std::vector<std::string>;

double token_accuracy(const std::vector<Tokens>& hypotheses, const std::vector<Tokens>& references);
double exact_match(const std::vector<Tokens>& hypotheses, const std::vector<Tokens>& references);
double corpus_bleu(const std::vector<Tokens>& hypotheses, const std::vector<Tokens>& references);
double perplexity(double total_negative_log_likelihood, int64_t tokens);

}  // namespace heed::data
