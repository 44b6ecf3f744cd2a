// Parallel text as TSV: one sentence pair a line, `source<TAB>target`, UTF-8.
//
//   auto corpus = data::read_parallel_tsv("train.tsv");                 // throws on a bad line
//   auto corpus = data::read_parallel_tsv("train.tsv", {.skip_bad_lines = true});
//   corpus.skipped                                                       // how many were skipped
//
// A bad line is one without a tab, with more than one tab, with an empty side (after trimming
// spaces), or with invalid UTF-8; the error says "train.tsv:17: no tab between source and target".
// A trailing "\r" (Windows line ends) and a UTF-8 byte order mark at the start of the file are
// removed; empty lines are skipped silently; each side is stored trimmed of ASCII spaces. Line
// numbers count every line from 1. A file that cannot be opened gives "cannot open 'train.tsv': ...".
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace heed::data {

using SentencePair = std::pair<std::string, std::string>;  // (source, target)

struct TsvOptions {
  bool skip_bad_lines = false;  // count and skip bad lines instead of failing on the first one
};

struct ParallelCorpus {
  std::vector<SentencePair> pairs;
  int64_t skipped = 0;          // bad lines skipped (skip_bad_lines only)
};

ParallelCorpus read_parallel_tsv(const std::string& path, const TsvOptions& options = {});
// Writes through a temporary file renamed into place. A side containing a tab or newline is an error,
// as is any side read_parallel_tsv would reject (empty, invalid UTF-8): what it writes reads back.
void write_parallel_tsv(const std::string& path, const std::vector<SentencePair>& pairs);

}  // namespace heed::data
