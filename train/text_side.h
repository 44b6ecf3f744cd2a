// train::TextSide: one language of a translation pair, everything needed to turn its text into the
// ids a model reads and back: a tokenizer, a vocabulary, and for SentencePiece the model file the
// tokenizer was trained into (saved with the model, train/model_dir.h).
//
//   TextSide source = train::build_text_side(train::sources_of(pairs), {.tokenizer = "chars"});
//   std::vector<int64_t> ids = source.encode("12 mars");
//   std::string text = target.decode(hypothesis.tokens);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "heed/data/tokenizer.h"
#include "heed/data/tsv.h"
#include "heed/data/vocab.h"

namespace heed::train {

struct TextSide {
  std::shared_ptr<const data::Tokenizer> tokenizer = {};
  data::Vocab vocab = {};
  std::string sentencepiece_model = {};  // the model file when tokenizer->kind() == "sentencepiece"

  std::vector<std::string> tokenize(std::string_view text) const { return tokenizer->tokenize(text); }
  std::vector<int64_t> encode(std::string_view text) const { return vocab.encode(tokenize(text)); }
  // The text of ids (stopping at EOS, skipping pad and BOS).
  std::string decode(const std::vector<int64_t>& ids) const { return tokenizer->detokenize(vocab.decode(ids)); }
  // The tokens scores are computed on (train/translator.h): the tokenizer's tokens, except for
  // SentencePiece, whose pieces depend on the model, where they are the text's whitespace words.
  std::vector<std::string> metric_tokens(std::string_view text) const;
};

struct TextSideOptions {
  std::string tokenizer = "words";      // "words", "chars" or "sentencepiece"
  data::VocabOptions vocab = {};
  // SentencePiece only: its settings, and where to write the trained model (required).
  data::SentencePieceOptions sentencepiece = {};
  std::string sentencepiece_model = {};
};

// The source (first) or target (second) sentences of pairs, to build a side from.
std::vector<std::string> sources_of(const std::vector<data::SentencePair>& pairs);
std::vector<std::string> targets_of(const std::vector<data::SentencePair>& pairs);

// Builds the tokenizer (training SentencePiece on `sentences` when asked) and a vocabulary of the
// tokens of `sentences`.
TextSide build_text_side(const std::vector<std::string>& sentences, const TextSideOptions& options);

}  // namespace heed::train
