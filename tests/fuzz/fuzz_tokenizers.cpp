// Fuzz target: the words, chars and SentencePiece tokenizers on arbitrary bytes (tokenize, then
// detokenize). Properties: words gives non-empty tokens without ASCII spaces; chars accepts
// exactly the valid UTF-8 texts and gives them back unchanged (unless they hold "▁" themselves).
#include <algorithm>

#include "heed/data/tokenizer.h"
#include "fuzz_util.h"

using namespace heed;

namespace {

// A SentencePiece model trained once per process on a few sentences, in the scratch folder.
const data::Tokenizer& sentencepiece() {
  static const std::unique_ptr<data::Tokenizer> tokenizer = data::train_sentencepiece(
      {"the cat sleeps on the mat", "le chat dort sur le tapis", "12 mars 2024", "naïve café ünïcödé ▁ 日本語"},
      (fuzz::scratch_dir() / "spm.model").string(), {.vocab_size = 40});
  return *tokenizer;
}

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);

  const auto words = data::make_tokenizer("words");
  const std::vector<std::string> word_tokens = words->tokenize(text);
  for (const std::string& token : word_tokens)
    fuzz::require(!token.empty() && std::none_of(token.begin(), token.end(), is_ascii_space), "words: no spaces");
  words->detokenize(word_tokens);

  const auto chars = data::make_tokenizer("chars");
  try {
    const std::vector<std::string> char_tokens = chars->tokenize(text);
    fuzz::require(data::is_valid_utf8(text), "chars accepts only valid UTF-8");
    if (text.find("\u2581") == std::string_view::npos)
      fuzz::require(chars->detokenize(char_tokens) == text, "chars: detokenize(tokenize(text)) == text");
  } catch (const Error&) {
    fuzz::require(!data::is_valid_utf8(text), "chars rejects only invalid UTF-8");
  }

  fuzz::expect_success_or_error([&] {
    const std::vector<std::string> pieces = sentencepiece().tokenize(text);
    sentencepiece().detokenize(pieces);
  });
  return 0;
}
