// data::Vocab: the two-way map between tokens (strings) and the integer ids a model reads.
//
//   auto vocab = data::Vocab::build(tokenized_sentences, {.min_frequency = 2, .max_size = 8000});
//   std::vector<int64_t> ids = vocab.encode({"le", "chat"});    // unknown tokens -> unk
//   vocab.save("out/vocab.src.txt");
//
// Ids 0..3 are reserved for the special tokens, in the order pad, bos, eos, unk (the defaults of
// models::SpecialIds); the remaining ids go to tokens by decreasing frequency, ties by the token's
// bytes, so a vocabulary built from the same data is always the same.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace heed::data {

struct VocabOptions {
  int64_t min_frequency = 1;  // tokens seen fewer times become unk
  int64_t max_size = 0;       // most ids, the four special ones included; 0: no limit
};

class Vocab {
 public:
  static constexpr int64_t pad_id = 0, bos_id = 1, eos_id = 2, unk_id = 3;
  static constexpr std::string_view pad_token = "<pad>", bos_token = "<s>", eos_token = "</s>",
                                    unk_token = "<unk>";

  // Only the four special tokens.
  Vocab();
  // From tokenized sentences, counting every token.
  static Vocab build(const std::vector<std::vector<std::string>>& sentences, const VocabOptions& options = {});
  // From a list of tokens in id order; the first four must be the special tokens.
  static Vocab from_tokens(std::vector<std::string> tokens);

  int64_t size() const;
  int64_t id(std::string_view token) const;        // unk_id for an unknown token
  const std::string& token(int64_t id) const;      // heed::Error outside [0, size)
  bool contains(std::string_view token) const;

  std::vector<int64_t> encode(const std::vector<std::string>& tokens) const;
  // Tokens of ids, stopping at the first eos, skipping pad and bos.
  std::vector<std::string> decode(const std::vector<int64_t>& ids) const;

  // One token a line, in id order (UTF-8). save writes a temporary file and renames it, so the
  // file is never half-written; load checks the special tokens and reports duplicates by line.
  void save(const std::string& path) const;
  static Vocab load(const std::string& path);

  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t> ids_;
};

}  // namespace heed::data
