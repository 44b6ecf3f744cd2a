// train::TextSide: building a side's tokenizer and vocabulary from training sentences.
#include "heed/train/text_side.h"

#include "heed/core/error.h"

namespace heed::train {

std::vector<std::string> TextSide::metric_tokens(std::string_view text) const {
  if (tokenizer->kind() != "sentencepiece") return tokenize(text);
  std::vector<std::string> words;
  size_t at = 0;
  while (at < text.size()) {
    size_t begin = text.find_first_not_of(" \t\n\r", at);
    if (begin == std::string_view::npos) break;
    size_t end = text.find_first_of(" \t\n\r", begin);
    if (end == std::string_view::npos) end = text.size();
    words.emplace_back(text.substr(begin, end - begin));
    at = end;
  }
  return words;
}

std::vector<std::string> sources_of(const std::vector<data::SentencePair>& pairs) {
  std::vector<std::string> sentences;
  sentences.reserve(pairs.size());
  for (const auto& pair : pairs) sentences.push_back(pair.first);
  return sentences;
}

std::vector<std::string> targets_of(const std::vector<data::SentencePair>& pairs) {
  std::vector<std::string> sentences;
  sentences.reserve(pairs.size());
  for (const auto& pair : pairs) sentences.push_back(pair.second);
  return sentences;
}

TextSide build_text_side(const std::vector<std::string>& sentences, const TextSideOptions& options) {
  TextSide side;
  if (options.tokenizer == "sentencepiece") {
    HEED_CHECK(!options.sentencepiece_model.empty(), "build_text_side",
               "a SentencePiece tokenizer needs a file to write its model to (sentencepiece_model)");
    side.tokenizer = data::train_sentencepiece(sentences, options.sentencepiece_model, options.sentencepiece);
    side.sentencepiece_model = options.sentencepiece_model;
  } else {
    side.tokenizer = data::make_tokenizer(options.tokenizer);
  }
  std::vector<std::vector<std::string>> tokenized;
  tokenized.reserve(sentences.size());
  for (const std::string& sentence : sentences) tokenized.push_back(side.tokenizer->tokenize(sentence));
  side.vocab = data::Vocab::build(tokenized, options.vocab);
  return side;
}

}  // namespace heed::train
