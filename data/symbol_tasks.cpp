// The symbol-sequence tasks copy, reverse and sort: a source of 1 to 10 symbols drawn from the
// ten letters a..j ("c a f"), its target the same symbols copied, reversed or sorted ("a c f").
#include "heed/core/error.h"
#include "heed/data/task_generators.h"

namespace heed::data::detail {
namespace {

constexpr int64_t kSymbols = 10;
constexpr int64_t kMaxLength = 10;

// "caf" -> "c a f"
std::string spaced(const std::string& symbols) {
  std::string text;
  for (char symbol : symbols) {
    if (!text.empty()) text += ' ';
    text += symbol;
  }
  return text;
}

// Counting sort: ten symbols, at most ten of them.
std::string sorted(const std::string& symbols) {
  std::string result;
  for (char symbol = 'a'; symbol < 'a' + kSymbols; ++symbol)
    for (char c : symbols)
      if (c == symbol) result += symbol;
  return result;
}

}  // namespace

ToyTask make_symbol_task(const std::string& name, const TaskOptions& options) {
  HEED_CHECK(name == "copy" || name == "reverse" || name == "sort", "make_symbol_task",
             "unknown symbol task '{}'; expected copy, reverse or sort", name);
  ToyTask task{name, "words", "words", {}, {}, {}};  // name, source and target tokenizers, splits
  draw_splits(task, options, [&name](TaskRandom& random) {
    std::string symbols;
    for (int64_t length = random.between(1, kMaxLength); length > 0; --length)
      symbols += static_cast<char>('a' + random.below(kSymbols));
    const std::string target = name == "copy"      ? symbols
                               : name == "reverse" ? std::string(symbols.rbegin(), symbols.rend())
                                                   : sorted(symbols);
    return SentencePair{spaced(symbols), spaced(target)};
  });
  return task;
}

}  // namespace heed::data::detail
