// Fuzz target: the parallel TSV reader (data/tsv.h), strict and skipping bad lines, on arbitrary
// file bytes. Properties: every pair it returns has two non-empty, trimmed, valid UTF-8 sides
// without tabs or line ends; a file the strict reader accepts gives the same pairs when skipping.
#include "heed/data/tokenizer.h"
#include "heed/data/tsv.h"
#include "fuzz_util.h"

using namespace heed;

namespace {

void check_pairs(const data::ParallelCorpus& corpus) {
  for (const auto& [source, target] : corpus.pairs)
    for (const std::string& side : {source, target}) {
      fuzz::require(!side.empty() && data::is_valid_utf8(side), "each side non-empty, valid UTF-8");
      fuzz::require(side.find_first_of("\t\n") == std::string::npos, "no tab or newline inside a side");
      fuzz::require(side.front() != ' ' && side.back() != ' ', "sides trimmed of spaces");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch("input.tsv", fuzz::as_text(data, size));
  data::ParallelCorpus lenient;
  try {
    lenient = data::read_parallel_tsv(path, {.skip_bad_lines = true});
  } catch (const Error&) {
    std::abort();  // skipping bad lines, a readable file never fails
  }
  check_pairs(lenient);
  fuzz::expect_success_or_error([&] {
    const data::ParallelCorpus strict = data::read_parallel_tsv(path);
    check_pairs(strict);
    fuzz::require(strict.skipped == 0 && lenient.skipped == 0 && strict.pairs == lenient.pairs,
                  "a file the strict reader accepts reads the same when skipping bad lines");
  });
  return 0;
}
