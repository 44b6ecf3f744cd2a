// The symbol-sequence tasks copy, reverse and sort: a source of 1 to 10 symbols drawn from the
// ten letters a..j ("c a f"), its target the same symbols copied, reversed or sorted ("a c f").
#include <algorithm>

#include "heed/core/error.h"
#include "heed/data/task_generators.h"

namespace heed::data::detail {
namespace {

constexpr int64_t kSymbols = 10;
constexpr int64_t kMaxLength = 10;

std::string join(const std::vector<char>& symbols) {
  std::string text;
  for (char symbol : symbols) {
    if (!text.empty()) text += ' ';
    text += symbol;
  }
  return text;
}

}  // namespace

ToyTask make_symbol_task(const std::string& name, const TaskOptions& options) {
  HEED_CHECK(name == "copy" || name == "reverse" || name == "sort", "make_symbol_task",
             "unknown symbol task '{}'; expected copy, reverse or sort", name);
  ToyTask task{name, "words", "words", {}, {}, {}};  // name, source and target tokenizers, splits
  draw_splits(task, options, [&name](TaskRandom& random) {
    std::vector<char> symbols(static_cast<size_t>(random.between(1, kMaxLength)));
    for (char& symbol : symbols) symbol = static_cast<char>('a' + random.below(kSymbols));
    std::vector<char> target = symbols;
    if (name == "reverse") std::reverse(target.begin(), target.end());
    if (name == "sort") std::sort(target.begin(), target.end());
    return SentencePair{join(symbols), join(target)};
  });
  return task;
}

}  // namespace heed::data::detail
