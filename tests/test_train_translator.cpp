// train::Translator (train/translator.h): batched translation gives the same results as one
// sentence at a time, in the caller's order, with attention cut to each source; evaluate's scores
// follow their definitions; the model's train/eval mode is restored.
#include <gtest/gtest.h>

#include "heed/data/metrics.h"
#include "test_util.h"
#include "train_test_util.h"

namespace heed {

using testing::expect_error;

class TrainTranslatorBoth : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainTranslatorBoth, BatchesGiveTheSameTranslationsInTheCallersOrder) {
  const auto pairs = testing::reversal_pairs(40);
  const bool lstm = GetParam() == "lstm";
  train::Translator translator = lstm ? testing::tiny_translator(pairs, testing::tiny_lstm)
                                      : testing::tiny_translator(pairs, testing::tiny_transformer);
  const int64_t layers = lstm ? 1 : 2, heads = lstm ? 1 : 2;
  std::vector<std::string> texts = {"a b c d e", "f", "", "c c", "a b z"};  // "z" is unknown, "" empty
  // The default length limit batches only equal lengths; an explicit one lets lengths mix.
  for (int64_t max_length : {0, 12}) {
    const models::DecodeOptions decode{.beam_size = 2, .max_length = max_length, .need_attention = true};
    const auto together = translator.translate(texts, decode, {.max_tokens = 64, .max_rows = 3});
    ASSERT_EQ(together.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto alone = translator.translate({texts[i]}, decode);
      EXPECT_EQ(together[i].text, alone[0].text) << texts[i];
      EXPECT_EQ(together[i].tokens, alone[0].tokens) << texts[i];
      EXPECT_NEAR(together[i].score, alone[0].score, 1e-4f) << texts[i];
    }
  }
  const auto together = translator.translate(texts, {.beam_size = 2, .need_attention = true}, {.max_tokens = 64, .max_rows = 2});
  EXPECT_EQ(together[2].text, "");
  EXPECT_TRUE(together[2].source_tokens.empty());
  EXPECT_EQ(together[4].source_tokens, (std::vector<std::string>{"a", "b", "<unk>"}));
  for (size_t i : {0u, 1u, 3u, 4u}) {
    const train::Translation& t = together[i];
    ASSERT_TRUE(t.attention.defined());
    const int64_t rows = static_cast<int64_t>(t.tokens.size()) + (t.finished ? 1 : 0);
    const auto sources = static_cast<int64_t>(t.source_tokens.size());
    EXPECT_EQ(t.attention.shape(), (Shape{rows, layers, heads, sources}));
    // Each step's attention over the unpadded source still sums to 1: padding had none.
    std::vector<float> a = t.attention.to_vector<float>();
    for (int64_t r = 0; r < rows * layers * heads; ++r) {
      float sum = 0;
      for (int64_t s = 0; s < sources; ++s) sum += a[static_cast<size_t>(r * sources + s)];
      EXPECT_NEAR(sum, 1.0f, 1e-5f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, TrainTranslatorBoth, ::testing::Values("lstm", "transformer"));

TEST(TrainTranslator, EvaluateScoresTheTranslationsAgainstTheReferences) {
  const auto pairs = testing::reversal_pairs(30);
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  std::vector<std::string> sources = train::sources_of(pairs);
  const auto translations = translator.translate(sources);
  // References made of the model's own output for the first half and of the true targets after.
  std::vector<data::SentencePair> mixed;
  std::vector<data::Tokens> hypotheses, references;
  for (size_t i = 0; i < pairs.size(); ++i) {
    mixed.emplace_back(pairs[i].first, i < 15 ? translations[i].text : pairs[i].second);
    hypotheses.push_back(translator.target().metric_tokens(translations[i].text));
    references.push_back(translator.target().metric_tokens(mixed.back().second));
  }
  const train::EvalScores scores = translator.evaluate(mixed);
  EXPECT_EQ(scores.count, 30);
  EXPECT_DOUBLE_EQ(scores.exact_match, data::exact_match(hypotheses, references));
  EXPECT_DOUBLE_EQ(scores.bleu, data::corpus_bleu(hypotheses, references));
  EXPECT_DOUBLE_EQ(scores.token_accuracy, data::token_accuracy(hypotheses, references));
  EXPECT_GE(scores.exact_match, 0.5);  // the first half matches by construction
  const train::EvalScores own = translator.evaluate(std::vector(mixed.begin(), mixed.begin() + 15));
  EXPECT_DOUBLE_EQ(own.exact_match, 1.0);
  EXPECT_DOUBLE_EQ(own.token_accuracy, 1.0);
  expect_error([&] { translator.evaluate({}); }, {"Translator::evaluate", "no sentence pairs"});
}

TEST(TrainTranslator, RestoresTheModelsModeAndChecksVocabularies) {
  const auto pairs = testing::reversal_pairs(20);
  train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  translator.model().train();
  translator.translate({"a b"});
  EXPECT_TRUE(translator.model().is_training());
  translator.model().eval();
  translator.translate({"a b"});
  EXPECT_FALSE(translator.model().is_training());

  train::TextSide source = translator.source(), target = translator.target();
  auto wrong = train::make_model(testing::tiny_lstm(source.vocab.size() + 1, target.vocab.size()));
  expect_error([&] { train::Translator(wrong, source, target); }, {"Translator", "source vocabulary"});
}

}  // namespace heed
