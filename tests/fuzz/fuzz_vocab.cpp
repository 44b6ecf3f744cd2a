// Fuzz target: vocabulary loading (data::Vocab::load) on arbitrary file bytes. Properties of a
// loaded vocabulary: the special ids, and token(id(t)) == t, encode/decode agreeing, for every token.
#include "heed/data/vocab.h"
#include "fuzz_util.h"

using namespace heed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch("vocab.txt", fuzz::as_text(data, size));
  fuzz::expect_success_or_error([&] {
    const data::Vocab vocab = data::Vocab::load(path);
    fuzz::require(vocab.size() >= 4 && vocab.id(data::Vocab::unk_token) == data::Vocab::unk_id, "special ids");
    for (int64_t id = 0; id < vocab.size(); ++id) fuzz::require(vocab.id(vocab.token(id)) == id, "id(token(id)) == id");
    const std::vector<std::string> tokens(vocab.tokens().begin() + 4, vocab.tokens().end());
    fuzz::require(vocab.decode(vocab.encode(tokens)) == tokens, "decode(encode(tokens)) == tokens");
  });
  return 0;
}
