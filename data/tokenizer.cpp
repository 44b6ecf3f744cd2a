// data::Tokenizer: the words and chars tokenizers, strict UTF-8 checking, and the SentencePiece
// tokenizer (training, loading, encoding) over Debian's libsentencepiece.
#include "heed/data/tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <unordered_map>

#include "heed/core/error.h"
#include "heed/data/text_file.h"

namespace heed::data {
namespace {

constexpr std::string_view kSpaceToken = "\u2581";  // "▁", as SentencePiece writes a space

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// The length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // lower: an overlong form
    if (lead == 0xED) high = 0x9F;  // higher: a surrogate, U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // lower: an overlong form
    if (lead == 0xF4) high = 0x8F;  // higher: beyond U+10FFFF
  } else {
    return 0;  // a continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

void check_utf8(std::string_view text, const char* op) {
  const size_t offset = invalid_utf8_offset(text);
  HEED_CHECK(offset == std::string_view::npos, op, "invalid UTF-8 at byte {} of the text ({} bytes)", offset,
             text.size());
}

class WordsTokenizer final : public Tokenizer {
 public:
  std::vector<std::string> tokenize(std::string_view text) const override {
    std::vector<std::string> tokens;
    for (size_t i = 0; i < text.size();) {
      if (is_ascii_space(text[i])) {
        ++i;
        continue;
      }
      const size_t begin = i;
      while (i < text.size() && !is_ascii_space(text[i])) ++i;
      tokens.emplace_back(text.substr(begin, i - begin));
    }
    return tokens;
  }
  std::string detokenize(const std::vector<std::string>& tokens) const override {
    std::string text;
    for (const std::string& token : tokens) {
      if (!text.empty()) text.push_back(' ');
      text += token;
    }
    return text;
  }
  std::string kind() const override { return "words"; }
};

class CharsTokenizer final : public Tokenizer {
 public:
  std::vector<std::string> tokenize(std::string_view text) const override {
    check_utf8(text, "chars tokenizer");
    std::vector<std::string> tokens;
    for (size_t i = 0; i < text.size();) {
      const size_t length = utf8_sequence_length(text, i);
      tokens.emplace_back(text[i] == ' ' ? kSpaceToken : text.substr(i, length));
      i += length;
    }
    return tokens;
  }
  std::string detokenize(const std::vector<std::string>& tokens) const override {
    std::string text;
    for (const std::string& token : tokens) {
      if (token == kSpaceToken) text.push_back(' ');
      else text += token;
    }
    return text;
  }
  std::string kind() const override { return "chars"; }
};

// Runs a libsentencepiece call that returns a Status; a failed status, and any exception thrown
// from inside the library (its trie builder throws on some malformed models), become heed::Error.
template <class F>
void check_status(F call, const char* op, std::string_view what) {
  sentencepiece::util::Status status;
  try {
    status = call();
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: {}: {}", op, what, e.what()));
  }
  HEED_CHECK(status.ok(), op, "{}: {}", what, status.ToString());
}

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // From a serialized model (ModelProto); `origin` names it in errors.
  SentencePieceTokenizer(std::string_view serialized_model, std::string_view origin) {
    check_status([&] { return processor_.LoadFromSerializedProto(serialized_model); }, "sentencepiece",
                 fmt::format("cannot load the model from {}", origin));
  }
  explicit SentencePieceTokenizer(const std::string& model_path) {
    check_status([&] { return processor_.Load(model_path); }, "load_sentencepiece", fmt::format("cannot load '{}'", model_path));
  }
  std::vector<std::string> tokenize(std::string_view text) const override {
    check_utf8(text, "sentencepiece tokenizer");
    std::vector<std::string> pieces;
    check_status([&] { return processor_.Encode(text, &pieces); }, "sentencepiece tokenizer", "encoding failed");
    return pieces;
  }
  std::string detokenize(const std::vector<std::string>& tokens) const override {
    std::string text;
    check_status([&] { return processor_.Decode(tokens, &text); }, "sentencepiece tokenizer", "decoding failed");
    return text;
  }
  std::string kind() const override { return "sentencepiece"; }

 private:
  sentencepiece::SentencePieceProcessor processor_;
};

// Feeds the training sentences to SentencePiece without a temporary file.
class SentencesIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit SentencesIterator(const std::vector<std::string>& sentences) : sentences_(sentences) {}
  bool done() const override { return next_ >= sentences_.size(); }
  void Next() override { ++next_; }
  const std::string& value() const override { return sentences_[next_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& sentences_;
  size_t next_ = 0;
};

}  // namespace

size_t invalid_utf8_offset(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view text) { return invalid_utf8_offset(text) == std::string_view::npos; }

std::unique_ptr<Tokenizer> make_tokenizer(std::string_view kind) {
  if (kind == "words") return std::make_unique<WordsTokenizer>();
  if (kind == "chars") return std::make_unique<CharsTokenizer>();
  throw Error(fmt::format("make_tokenizer: unknown tokenizer '{}'; expected \"words\" or \"chars\" "
                          "(\"sentencepiece\" needs a model: train_sentencepiece or load_sentencepiece)",
                          kind));
}

std::unique_ptr<Tokenizer> train_sentencepiece(const std::vector<std::string>& sentences,
                                               const std::string& model_path, const SentencePieceOptions& options) {
  HEED_CHECK(!sentences.empty(), "train_sentencepiece", "no training sentences");
  for (size_t i = 0; i < sentences.size(); ++i) {
    const size_t offset = invalid_utf8_offset(sentences[i]);
    HEED_CHECK(offset == std::string_view::npos, "train_sentencepiece", "sentence {}: invalid UTF-8 at byte {}", i,
               offset);
  }
  const std::unordered_map<std::string, std::string> arguments = {
      {"model_type", options.model_type},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"character_coverage", fmt::format("{}", options.character_coverage)},
      {"hard_vocab_limit", "false"},  // vocab_size is an upper bound, so small corpora train too
      {"unk_id", "0"},
      {"bos_id", "-1"},  // heed's Vocab owns bos, eos and pad
      {"eos_id", "-1"},
      {"pad_id", "-1"},
      {"num_threads", "1"},  // heed's only threads are OpenMP's; one thread is also deterministic
      {"minloglevel", "2"},  // errors only: training is otherwise chatty on stderr
  };
  SentencesIterator iterator(sentences);
  std::string serialized_model;
  check_status([&] { return sentencepiece::SentencePieceTrainer::Train(arguments, &iterator, &serialized_model); },
               "train_sentencepiece", "training failed");
  auto tokenizer = std::make_unique<SentencePieceTokenizer>(serialized_model, "training");
  write_file_atomically(model_path, serialized_model, "train_sentencepiece");
  return tokenizer;
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path) {
  return std::make_unique<SentencePieceTokenizer>(model_path);
}

}  // namespace heed::data
