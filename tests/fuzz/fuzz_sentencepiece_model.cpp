// Fuzz target: loading a SentencePiece model file (data::load_sentencepiece) from arbitrary bytes,
// then encoding and decoding a sentence with it. The parsing is libsentencepiece's (Debian's, not
// instrumented for coverage), so this target mostly mutates the seed models; heed must turn every
// refusal into a heed::Error.
#include "heed/data/tokenizer.h"
#include "fuzz_util.h"

using namespace heed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch("input.model", fuzz::as_text(data, size));
  fuzz::expect_success_or_error([&] {
    const std::unique_ptr<data::Tokenizer> tokenizer = data::load_sentencepiece(path);
    tokenizer->detokenize(tokenizer->tokenize("the cat sleeps, le chat dort: 12 mars"));
  });
  return 0;
}
