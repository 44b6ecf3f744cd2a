// Reading and writing parallel text as TSV (source<TAB>target a line), with errors by line.
#include "heed/data/tsv.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <optional>
#include <variant>
#include <system_error>

#include "heed/core/error.h"
#include "heed/data/text_file.h"
#include "heed/data/tokenizer.h"

namespace heed::data {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::string_view trim_spaces(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

// What is wrong with one side of a pair, or nothing.
std::optional<std::string> side_problem(std::string_view side, std::string_view name) {
  if (trim_spaces(side).empty()) return fmt::format("empty {}", name);
  if (const size_t offset = invalid_utf8_offset(side); offset != std::string_view::npos)
    return fmt::format("invalid UTF-8 in the {} at byte {}", name, offset);
  return std::nullopt;
}

// Splits a line (without its line end) into a pair, or says what is wrong with it.
std::variant<SentencePair, std::string> parse_line(std::string_view line) {
  const auto tabs = std::count(line.begin(), line.end(), '\t');
  if (tabs == 0) return std::string("no tab between source and target");
  if (tabs > 1) return fmt::format("{} tabs; expected one, between source and target", tabs);
  const size_t tab = line.find('\t');
  const std::string_view source = line.substr(0, tab), target = line.substr(tab + 1);
  if (auto problem = side_problem(source, "source")) return *problem;
  if (auto problem = side_problem(target, "target")) return *problem;
  return SentencePair{std::string(trim_spaces(source)), std::string(trim_spaces(target))};
}

}  // namespace

ParallelCorpus read_parallel_tsv(const std::string& path, const TsvOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(fmt::format("cannot open '{}': {}", path, std::error_code(errno, std::generic_category()).message()));
  ParallelCorpus corpus;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (number == 1 && line.starts_with(kByteOrderMark)) line.erase(0, kByteOrderMark.size());
    if (line.ends_with('\r')) line.pop_back();
    if (line.empty()) continue;
    auto parsed = parse_line(line);
    if (auto* pair = std::get_if<SentencePair>(&parsed)) {
      corpus.pairs.push_back(std::move(*pair));
    } else if (options.skip_bad_lines) {
      ++corpus.skipped;
    } else {
      throw Error(fmt::format("{}:{}: {}", path, number, std::get<std::string>(parsed)));
    }
  }
  HEED_CHECK(!in.bad(), "read_parallel_tsv", "{}: reading failed", path);
  return corpus;
}

void write_parallel_tsv(const std::string& path, const std::vector<SentencePair>& pairs) {
  std::string text;
  for (size_t i = 0; i < pairs.size(); ++i) {
    for (const auto& [side, name] : {std::pair{std::string_view(pairs[i].first), "source"},
                                     std::pair{std::string_view(pairs[i].second), "target"}}) {
      HEED_CHECK(side.find_first_of("\t\n\r") == std::string_view::npos, "write_parallel_tsv",
                 "{}: pair {}: the {} {:?} contains a tab or a line end", path, i, name, side);
      auto problem = side_problem(side, name);
      HEED_CHECK(!problem, "write_parallel_tsv", "{}: pair {}: {}", path, i, problem.value_or(""));
    }
    text.append(pairs[i].first).append("\t").append(pairs[i].second).append("\n");
  }
  write_file_atomically(path, text, "write_parallel_tsv");
}

}  // namespace heed::data
