// data metrics: token accuracy, exact match, perplexity and corpus BLEU on hand-computed cases,
// BLEU against NLTK's goldens (tests/golden/bleu.json), and the edge cases.
#include <cmath>

#include "golden.h"
#include "heed/data/metrics.h"

namespace heed {
namespace {

using data::Tokens;
using testing::expect_error;
using Corpus = std::vector<Tokens>;

TEST(DataMetrics, TokenAccuracyComparesReferencePositions) {
  // 2 of 3, then 1 of 2 (the missing position is wrong), then 2 of 2 (the extra token is ignored).
  Corpus hypotheses = {{"a", "x", "c"}, {"d"}, {"f", "g", "h"}};
  Corpus references = {{"a", "b", "c"}, {"d", "e"}, {"f", "g"}};
  EXPECT_DOUBLE_EQ(data::token_accuracy(hypotheses, references), 5.0 / 7.0);
  EXPECT_DOUBLE_EQ(data::token_accuracy({{"a", "b"}}, {{"b", "a"}}), 0.0);
}

TEST(DataMetrics, ExactMatchCountsWholeSentences) {
  Corpus hypotheses = {{"a", "b"}, {"c"}, {"d", "e"}, {}};
  Corpus references = {{"a", "b"}, {"c", "x"}, {"d", "e"}, {}};
  EXPECT_DOUBLE_EQ(data::exact_match(hypotheses, references), 3.0 / 4.0);
}

TEST(DataMetrics, Perplexity) {
  EXPECT_NEAR(data::perplexity(10 * std::log(5.0), 10), 5.0, 1e-12);
  EXPECT_DOUBLE_EQ(data::perplexity(0.0, 3), 1.0);
  expect_error([] { data::perplexity(1.0, 0); }, {"perplexity", "0 tokens"});
  expect_error([] { data::perplexity(-1.0, 4); }, {"perplexity", "-1"});
  expect_error([] { data::perplexity(std::nan(""), 4); }, {"perplexity", "nan"});
}

TEST(DataMetrics, BleuByHand) {
  // Hypothesis "a b c d e f" against "a b c d e g": p1 5/6, p2 4/5, p3 3/4, p4 2/3, equal lengths.
  EXPECT_NEAR(data::corpus_bleu({{"a", "b", "c", "d", "e", "f"}}, {{"a", "b", "c", "d", "e", "g"}}),
              100.0 * std::pow(5.0 / 6 * 4.0 / 5 * 3.0 / 4 * 2.0 / 3, 0.25), 1e-12);
  // Clipping: "a a a a a" against "a a b c d e f": p1 2/5, p2 1/4, p3 0 -> no smoothing, 0.
  EXPECT_EQ(data::corpus_bleu({{"a", "a", "a", "a", "a"}}, {{"a", "a", "b", "c", "d", "e", "f"}}), 0.0);
  // Brevity: 4 identical tokens against 8: every p is 1, BP = exp(1 − 8/4).
  EXPECT_NEAR(data::corpus_bleu({{"a", "b", "c", "d"}}, {{"a", "b", "c", "d", "e", "f", "g", "h"}}),
              100.0 * std::exp(1.0 - 2.0), 1e-12);
  // A 2-token hypothesis adds no 3- or 4-grams (NLTK would count 1 each): the corpus's counts are
  // those of the first sentence plus 2 unigrams and 1 bigram, all matching.
  EXPECT_NEAR(data::corpus_bleu({{"a", "b", "c", "d", "e", "f"}, {"x", "y"}},
                                {{"a", "b", "c", "d", "e", "g"}, {"x", "y"}}),
              100.0 * std::pow(7.0 / 8 * 5.0 / 6 * 3.0 / 4 * 2.0 / 3, 0.25), 1e-12);
  // Only short hypotheses: no 4-gram at all, so 0.
  EXPECT_EQ(data::corpus_bleu({{"a", "b"}}, {{"a", "b"}}), 0.0);
}

TEST(DataMetrics, BleuMatchesNltk) {
  for (const auto& golden : testing::golden_cases("bleu")) {
    const double expected = 100.0 * golden.at("nltk_bleu").get<double>();
    const double bleu =
        data::corpus_bleu(golden.at("hypotheses").get<Corpus>(), golden.at("references").get<Corpus>());
    EXPECT_NEAR(bleu, expected, 1e-9 * expected + 1e-60) << golden.at("name").get<std::string>();
  }
}

TEST(DataMetrics, EmptyCorpusScoresZeroAndSizesMustMatch) {
  EXPECT_EQ(data::token_accuracy({}, {}), 0.0);
  EXPECT_EQ(data::exact_match({}, {}), 0.0);
  EXPECT_EQ(data::corpus_bleu({}, {}), 0.0);
  EXPECT_EQ(data::corpus_bleu({{}}, {{"a", "b", "c", "d"}}), 0.0);  // nothing translated
  expect_error([] { data::token_accuracy({{"a"}}, {}); }, {"token_accuracy", "1 hypotheses but 0 references"});
  expect_error([] { data::exact_match({}, {{"a"}}); }, {"exact_match", "0 hypotheses but 1 references"});
  expect_error([] { data::corpus_bleu({{"a"}, {"b"}}, {{"a"}}); }, {"corpus_bleu", "2 hypotheses but 1 references"});
}

}  // namespace
}  // namespace heed
