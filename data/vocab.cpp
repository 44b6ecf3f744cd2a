// data::Vocab: building from counted tokens, encoding and decoding, and the one-token-a-line file.
#include "heed/data/vocab.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>

#include "heed/core/error.h"
#include "heed/data/text_file.h"

namespace heed::data {
namespace {

constexpr std::array<std::string_view, 4> kSpecialTokens = {Vocab::pad_token, Vocab::bos_token, Vocab::eos_token,
                                                             Vocab::unk_token};

// Checks that `tokens` can be a vocabulary: the four special tokens first, then non-empty tokens
// without newlines, no token twice. `where(i)` names the place of token i in error messages
// ("vocab.txt:7" or "token 6"). Returns the token -> id map.
std::unordered_map<std::string, int64_t> index_tokens(const std::vector<std::string>& tokens, const char* op,
                                                      const std::function<std::string(size_t)>& where) {
  const size_t count = tokens.size();
  HEED_CHECK(count >= kSpecialTokens.size(), op, "{}: missing the special token {} (ids 0..3 are {} {} {} {})",
             where(count), kSpecialTokens[std::min(count, kSpecialTokens.size() - 1)], kSpecialTokens[0],
             kSpecialTokens[1], kSpecialTokens[2], kSpecialTokens[3]);
  std::unordered_map<std::string, int64_t> ids;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (i < kSpecialTokens.size())
      HEED_CHECK(token == kSpecialTokens[i], op,
                 "{}: found {:?}; expected the special token {} (ids 0..3 are {} {} {} {})", where(i), token,
                 kSpecialTokens[i], kSpecialTokens[0], kSpecialTokens[1], kSpecialTokens[2], kSpecialTokens[3]);
    HEED_CHECK(!token.empty(), op, "{}: empty token", where(i));
    HEED_CHECK(token.find('\n') == std::string::npos, op, "{}: token {:?} contains a newline", where(i), token);
    auto [it, inserted] = ids.emplace(token, static_cast<int64_t>(i));
    HEED_CHECK(inserted, op, "{}: duplicate token {:?} (first at {})", where(i), token,
               where(static_cast<size_t>(it->second)));
  }
  return ids;
}

}  // namespace

Vocab::Vocab() : tokens_(kSpecialTokens.begin(), kSpecialTokens.end()) {
  for (size_t i = 0; i < tokens_.size(); ++i) ids_.emplace(tokens_[i], static_cast<int64_t>(i));
}

Vocab Vocab::from_tokens(std::vector<std::string> tokens) {
  Vocab vocab;
  vocab.ids_ = index_tokens(tokens, "Vocab::from_tokens", [](size_t i) { return fmt::format("token {}", i); });
  vocab.tokens_ = std::move(tokens);
  return vocab;
}

Vocab Vocab::build(const std::vector<std::vector<std::string>>& sentences, const VocabOptions& options) {
  const int64_t specials = static_cast<int64_t>(kSpecialTokens.size());
  HEED_CHECK(options.max_size == 0 || options.max_size >= specials, "Vocab::build",
             "max_size is {}; expected 0 (no limit) or at least {} (the special tokens)", options.max_size, specials);
  std::unordered_map<std::string, int64_t> counts;
  for (size_t s = 0; s < sentences.size(); ++s)
    for (const std::string& token : sentences[s]) {
      HEED_CHECK(!token.empty() && token.find('\n') == std::string::npos, "Vocab::build",
                 "sentence {} has the token {:?}; expected a non-empty token without newlines", s, token);
      if (std::find(kSpecialTokens.begin(), kSpecialTokens.end(), token) == kSpecialTokens.end()) ++counts[token];
    }
  std::vector<std::pair<std::string, int64_t>> kept;
  std::copy_if(counts.begin(), counts.end(), std::back_inserter(kept),
               [&](const auto& entry) { return entry.second >= options.min_frequency; });
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;  // frequent first, ties by bytes
  });
  if (options.max_size > 0 && static_cast<int64_t>(kept.size()) > options.max_size - specials)
    kept.resize(static_cast<size_t>(options.max_size - specials));
  std::vector<std::string> tokens(kSpecialTokens.begin(), kSpecialTokens.end());
  for (auto& entry : kept) tokens.push_back(std::move(entry.first));
  return from_tokens(std::move(tokens));
}

int64_t Vocab::size() const { return static_cast<int64_t>(tokens_.size()); }

int64_t Vocab::id(std::string_view token) const {
  auto it = ids_.find(std::string(token));
  return it == ids_.end() ? unk_id : it->second;
}

const std::string& Vocab::token(int64_t id) const {
  HEED_CHECK(id >= 0 && id < size(), "Vocab::token", "id {} is outside the vocabulary of {} tokens", id, size());
  return tokens_[static_cast<size_t>(id)];
}

bool Vocab::contains(std::string_view token) const { return ids_.contains(std::string(token)); }

std::vector<int64_t> Vocab::encode(const std::vector<std::string>& tokens) const {
  std::vector<int64_t> ids;
  ids.reserve(tokens.size());
  for (const std::string& token : tokens) {
    auto it = ids_.find(token);
    ids.push_back(it == ids_.end() ? unk_id : it->second);
  }
  return ids;
}

std::vector<std::string> Vocab::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> tokens;
  for (int64_t id : ids) {
    if (id == eos_id) break;
    if (id == pad_id || id == bos_id) continue;
    tokens.push_back(token(id));
  }
  return tokens;
}

void Vocab::save(const std::string& path) const {
  std::string text;
  for (const std::string& token : tokens_) text.append(token).push_back('\n');
  write_file_atomically(path, text, "Vocab::save");
}

Vocab Vocab::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HEED_CHECK(in, "Vocab::load", "cannot open '{}'", path);
  std::stringstream contents;
  contents << in.rdbuf();
  const std::string text = contents.str();
  // One token a line; the newline after the last token is optional.
  std::vector<std::string> tokens;
  for (size_t begin = 0; begin < text.size();) {
    const size_t end = std::min(text.find('\n', begin), text.size());
    tokens.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  Vocab vocab;
  vocab.ids_ = index_tokens(tokens, "Vocab::load", [&](size_t i) { return fmt::format("{}:{}", path, i + 1); });
  vocab.tokens_ = std::move(tokens);
  return vocab;
}

}  // namespace heed::data
