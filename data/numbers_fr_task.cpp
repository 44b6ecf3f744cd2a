// french_number and the numbers-fr task: an integer below a million written in digits ("280")
// -> its French words ("deux cent quatre-vingts"), traditional spelling (no 1990 reform):
//   - hyphens join the parts of a compound below 100 ("trente-deux", "quatre-vingt-dix-neuf"),
//     except around "et" ("vingt et un", "soixante et onze"); 81 and 91 take no "et"
//     ("quatre-vingt-un", "quatre-vingt-onze");
//   - "cent", "mille" and not "un cent", "un mille"; no hyphen around "cent" or "mille";
//   - "vingt" (in quatre-vingts) and "cent" take a plural s when multiplied and ending the number
//     ("quatre-vingts", "deux cents"), but not when another number follows ("quatre-vingt-un",
//     "deux cent un") nor before "mille", which is invariable ("quatre-vingt mille",
//     "deux cent mille").
#include "heed/core/error.h"
#include "heed/data/task_generators.h"

namespace heed::data {
namespace {

constexpr const char* kBelowTwenty[] = {
    "zéro", "un",       "deux",     "trois",    "quatre",   "cinq",  "six",
    "sept", "huit",     "neuf",     "dix",      "onze",     "douze", "treize",
    "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"};
constexpr const char* kTens[] = {"", "", "vingt", "trente", "quarante", "cinquante", "soixante"};

// 1 <= n < 100; `ends_number`: nothing follows, so quatre-vingt takes its plural s.
std::string below_hundred(int64_t n, bool ends_number) {
  if (n < 20) return kBelowTwenty[n];
  if (n >= 80) {
    if (n == 80) return ends_number ? "quatre-vingts" : "quatre-vingt";
    return std::string("quatre-vingt-") + kBelowTwenty[n - 80];
  }
  // 20..79: soixante-dix.. soixante-dix-neuf count on from soixante like 60..69 from 60's ten.
  const int64_t ten = n < 70 ? n / 10 : 6, rest = n - 10 * ten;
  const std::string tens = kTens[ten];
  if (rest == 0) return tens;
  if (rest == 1 || rest == 11) return tens + " et " + kBelowTwenty[rest];
  return tens + "-" + kBelowTwenty[rest];
}

// 1 <= n < 1000.
std::string below_thousand(int64_t n, bool ends_number) {
  const int64_t hundreds = n / 100, rest = n % 100;
  std::string words;
  if (hundreds > 0) {
    if (hundreds > 1) words = std::string(kBelowTwenty[hundreds]) + " ";
    words += "cent";
    if (hundreds > 1 && rest == 0 && ends_number) words += "s";
  }
  if (rest > 0) {
    if (!words.empty()) words += ' ';
    words += below_hundred(rest, ends_number);
  }
  return words;
}

}  // namespace

std::string french_number(int64_t n) {
  HEED_CHECK(n >= 0 && n < 1000000, "french_number", "{} is out of range; expected 0 <= n < 1000000", n);
  if (n == 0) return kBelowTwenty[0];
  const int64_t thousands = n / 1000, rest = n % 1000;
  std::string words;
  if (thousands > 0) words = thousands == 1 ? "mille" : below_thousand(thousands, false) + " mille";
  if (rest > 0) {
    if (!words.empty()) words += ' ';
    words += below_thousand(rest, true);
  }
  return words;
}

namespace detail {

// The number of digits is uniform in 1..6, then the number uniform among those with that many,
// so small numbers (and every word below a hundred) are well represented.
ToyTask make_numbers_fr_task(const TaskOptions& options) {
  ToyTask task{"numbers-fr", "chars", "words", {}, {}, {}};  // name, source and target tokenizers, splits
  draw_splits(task, options, [](TaskRandom& random) {
    const int64_t digits = random.between(1, 6);
    int64_t low = 1;
    for (int64_t i = 1; i < digits; ++i) low *= 10;
    const int64_t n = random.between(digits == 1 ? 0 : low, 10 * low - 1);
    return SentencePair{std::to_string(n), french_number(n)};
  });
  return task;
}

}  // namespace detail
}  // namespace heed::data
