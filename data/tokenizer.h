// data::Tokenizer: text to tokens and back. Three kinds:
//   words           split on whitespace; detokenize joins with one space
//   chars           one token per Unicode code point (UTF-8), spaces included as the token "▁"
//                   (U+2581; detokenize turns every "▁" back into a space)
//   sentencepiece   subword units from a SentencePiece model trained on the training text
//
//   auto tokenizer = data::make_tokenizer("chars");
//   tokenizer->tokenize("12 mars")     // {"1", "2", "▁", "m", "a", "r", "s"}
//   tokenizer->detokenize(tokens)      // "12 mars"
//
// SentencePiece (Debian's libsentencepiece) is hidden behind this class: no heed header includes it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace heed::data {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<std::string> tokenize(std::string_view text) const = 0;
  virtual std::string detokenize(const std::vector<std::string>& tokens) const = 0;
  // "words", "chars" or "sentencepiece".
  virtual std::string kind() const = 0;
};

// "words" or "chars"; heed::Error naming the kinds for anything else (sentencepiece needs a model:
// train_sentencepiece or load_sentencepiece).
std::unique_ptr<Tokenizer> make_tokenizer(std::string_view kind);

struct SentencePieceOptions {
  int64_t vocab_size = 1000;
  std::string model_type = "unigram";  // or "bpe"
  float character_coverage = 1.0f;
};

// Trains a SentencePiece model on `sentences`, writes it to model_path (atomically) and returns a
// tokenizer using it. Its pieces are plain strings for a heed Vocab built from tokenized text: the
// model has no bos, eos or pad piece (heed's Vocab owns those ids), only "<unk>", and tokenize
// never returns "<unk>" (an unknown character comes back as itself). vocab_size is an upper bound
// (a small corpus may give fewer pieces); training is single-threaded, deterministic and silent.
std::unique_ptr<Tokenizer> train_sentencepiece(const std::vector<std::string>& sentences,
                                               const std::string& model_path,
                                               const SentencePieceOptions& options = {});
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path);

// UTF-8 validity of a byte string (used by the TSV reader and the chars tokenizer). Strict: overlong
// forms, surrogates (U+D800..U+DFFF), code points above U+10FFFF and cut sequences are invalid.
bool is_valid_utf8(std::string_view text);
// The byte offset where the first invalid sequence starts, or std::string_view::npos when valid.
size_t invalid_utf8_offset(std::string_view text);

}  // namespace heed::data
