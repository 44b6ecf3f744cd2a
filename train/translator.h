// train::Translator: a trained model together with the text sides it reads and writes, turning
// sentences into translations and scoring a model on a test set.
//
//   train::Translator translator(model, source_side, target_side);
//   auto out = translator.translate({"the small cat sleeps"}, {.beam_size = 4});
//   out[0].text                                   // "le petit chat dort"
//   auto scores = translator.evaluate(test_pairs, {.beam_size = 4});
//   scores.bleu, scores.exact_match
//
// Sentences are decoded in batches of similar source lengths (sorted, then put back in order); with
// the default max_length (which models/decode.h derives from the batch's width), of equal lengths.
// Decoding runs in evaluation mode without gradients; the model's train/eval mode is restored
// afterwards, so a trainer can validate in the middle of training.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "heed/data/batch.h"
#include "heed/data/tsv.h"
#include "heed/models/decode.h"
#include "heed/train/text_side.h"

namespace heed::train {

struct Translation {
  std::string text = {};                    // the detokenized translation
  std::vector<std::string> tokens = {};     // target tokens, without BOS and EOS
  std::vector<std::string> source_tokens = {};  // the source as the model read it (unknown -> <unk>)
  float score = 0;                          // sum of log-probabilities (models/decode.h)
  bool finished = false;                    // ended with EOS
  // With DecodeOptions::need_attention: (steps, L, H, source_tokens.size()), one row per target
  // token (plus one for EOS when finished), for L decoder layers and H heads; else undefined.
  Tensor attention = {};
};

// Scores of a model on sentence pairs: exact_match and token_accuracy are fractions in [0, 1],
// bleu is corpus BLEU-4 in 0..100 (data/metrics.h), computed on TextSide::metric_tokens.
struct EvalScores {
  double exact_match = 0;
  double bleu = 0;
  double token_accuracy = 0;
  int64_t count = 0;                        // sentences scored
};

struct TranslateOptions {
  int64_t max_tokens = 4096;                // a batch holds at most this many padded source tokens
  int64_t max_rows = 128;                   // and at most this many sentences
};

class Translator {
 public:
  // The model's vocabulary sizes and special ids must match the sides' vocabularies.
  Translator(std::shared_ptr<models::Seq2Seq> model, TextSide source, TextSide target);

  std::vector<Translation> translate(const std::vector<std::string>& texts,
                                     const models::DecodeOptions& decode = {},
                                     const TranslateOptions& options = {}) const;
  EvalScores evaluate(const std::vector<data::SentencePair>& pairs, const models::DecodeOptions& decode = {},
                      const TranslateOptions& options = {}) const;

  // The pairs as model inputs (data/batch.h), for training and teacher-forced scoring.
  std::vector<data::Example> encode(const std::vector<data::SentencePair>& pairs) const;

  models::Seq2Seq& model() const { return *model_; }
  const std::shared_ptr<models::Seq2Seq>& model_ptr() const { return model_; }
  const TextSide& source() const { return source_; }
  const TextSide& target() const { return target_; }

 private:
  std::shared_ptr<models::Seq2Seq> model_;
  TextSide source_, target_;
};

}  // namespace heed::train
