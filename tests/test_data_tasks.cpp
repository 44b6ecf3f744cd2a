// The toy tasks: the registry (names, errors, determinism, disjoint splits, sizes, TSV output),
// copy/reverse/sort targets, dates checked against std::chrono's calendar, french_number against
// hand-checked spellings.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <heed/data/task_generators.h>
#include <heed/data/tasks.h>

#include "test_util.h"

namespace heed::data {
namespace {

using heed::testing::expect_error;

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

std::set<std::string> sources(const std::vector<SentencePair>& pairs) {
  std::set<std::string> result;
  for (const auto& pair : pairs) result.insert(pair.first);
  return result;
}

TEST(DataTasks, NamesAndUnknownTask) {
  EXPECT_EQ(task_names(), (std::vector<std::string>{"copy", "reverse", "sort", "dates", "numbers-fr", "grammar-fr"}));
  expect_error([] { make_task("kopy"); }, {"make_task", "kopy", "copy", "reverse", "dates", "numbers-fr", "grammar-fr"});
  expect_error([] { make_task("copy", {.train_size = -1}); }, {"make_task", ">= 0", "-1"});
}

TEST(DataTasks, SameSeedSameDataOtherSeedOtherData) {
  for (const std::string name : {"copy", "reverse", "sort", "dates", "numbers-fr"}) {
    const TaskOptions options{.seed = 7, .train_size = 300, .valid_size = 50, .test_size = 50};
    const ToyTask a = make_task(name, options), b = make_task(name, options);
    EXPECT_EQ(a.train, b.train) << name;
    EXPECT_EQ(a.valid, b.valid) << name;
    EXPECT_EQ(a.test, b.test) << name;
    const ToyTask c = make_task(name, {.seed = 8, .train_size = 300, .valid_size = 50, .test_size = 50});
    EXPECT_NE(a.train, c.train) << name;
    EXPECT_NE(a.test, c.test) << name;
  }
}

TEST(DataTasks, DefaultSizesAndDisjointSplits) {
  for (const std::string name : {"copy", "reverse", "sort", "dates", "numbers-fr"}) {
    const ToyTask task = make_task(name, {.seed = 3});
    EXPECT_EQ(task.name, name);
    EXPECT_EQ(task.train.size(), 20000u) << name;
    EXPECT_EQ(task.valid.size(), 500u) << name;
    EXPECT_EQ(task.test.size(), 500u) << name;
    const std::set<std::string> train = sources(task.train), valid = sources(task.valid), test = sources(task.test);
    EXPECT_EQ(train.size() + valid.size() + test.size(), 21000u) << name << ": a source repeats inside a split";
    std::set<std::string> all = train;
    all.insert(valid.begin(), valid.end());
    all.insert(test.begin(), test.end());
    EXPECT_EQ(all.size(), 21000u) << name << ": a source appears in two splits";
  }
}

TEST(DataTasks, RequestedSizes) {
  const ToyTask task = make_task("numbers-fr", {.seed = 1, .train_size = 123, .valid_size = 45, .test_size = 6});
  EXPECT_EQ(task.train.size(), 123u);
  EXPECT_EQ(task.valid.size(), 45u);
  EXPECT_EQ(task.test.size(), 6u);
}

TEST(DataTasks, DrawSplitsUsesEverySourceOnceAndRefusesATooSmallSpace) {
  const auto draw = [](detail::TaskRandom& random) {
    const std::string digit = std::to_string(random.below(5));
    return SentencePair{digit, digit + digit};
  };
  ToyTask task{"five", "chars", "chars", {}, {}, {}};
  detail::draw_splits(task, {.seed = 1, .train_size = 3, .valid_size = 1, .test_size = 1}, draw);
  std::set<std::string> all = sources(task.train);
  all.insert(task.valid[0].first);
  all.insert(task.test[0].first);
  EXPECT_EQ(all, (std::set<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(task.test[0].second, task.test[0].first + task.test[0].first);
  expect_error([&] { detail::draw_splits(task, {.seed = 1, .train_size = 4, .valid_size = 1, .test_size = 1}, draw); },
               {"make_task", "five", "only 5 distinct", "= 6 were requested"});
}

TEST(DataTasks, SymbolTargetsAreCopiedReversedSorted) {
  for (const std::string name : {"copy", "reverse", "sort"}) {
    const ToyTask task = make_task(name, {.seed = 5});
    EXPECT_EQ(task.source_tokenizer, "words");
    EXPECT_EQ(task.target_tokenizer, "words");
    std::set<std::string> symbols;
    std::map<size_t, int64_t> lengths;
    for (const auto* split : {&task.train, &task.valid, &task.test}) {
      for (const auto& [source, target] : *split) {
        std::vector<std::string> words = split_words(source);
        ASSERT_EQ(source, fmt::format("{}", fmt::join(words, " "))) << "not single-spaced: '" << source << "'";
        ++lengths[words.size()];
        symbols.insert(words.begin(), words.end());
        if (name == "reverse") std::reverse(words.begin(), words.end());
        if (name == "sort") std::sort(words.begin(), words.end());
        ASSERT_EQ(target, fmt::format("{}", fmt::join(words, " "))) << name << " of '" << source << "'";
      }
    }
    EXPECT_EQ(symbols, (std::set<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"})) << name;
    EXPECT_EQ(lengths.begin()->first, 1u) << name;
    EXPECT_EQ(lengths.rbegin()->first, 10u) << name;
    EXPECT_EQ(lengths.size(), 10u) << name;
    // Lengths uniform in 1..10 except where short sequences run out (10 of length 1, 100 of length 2).
    EXPECT_EQ(lengths[1], 10) << name;
    EXPECT_GT(lengths[10], 2000) << name;
  }
}

// ---- dates -------------------------------------------------------------------------------------

std::string lowered(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

const std::vector<std::string> kMonthNames = {"january", "february", "march",     "april",   "may",      "june",
                                              "july",    "august",   "september", "october", "november", "december"};
const std::vector<std::string> kWeekdayNames = {"sunday",   "monday", "tuesday", "wednesday",
                                                "thursday", "friday", "saturday"};

// The index of `word` (lowercase) among `names` by full name or three-letter abbreviation, or -1.
int name_index(const std::vector<std::string>& names, const std::string& word) {
  for (size_t i = 0; i < names.size(); ++i)
    if (word == names[i] || word == names[i].substr(0, 3)) return static_cast<int>(i);
  return -1;
}

struct ParsedDate {
  std::chrono::year_month_day date;
  int weekday = -1;          // 0 Sunday .. 6 Saturday, -1 when the source names none
  std::string signature;     // the source's shape: "MT #, #" for "March 3, 2021"
};

// An independent reading of a dates-task source by the conventions dates_task.cpp documents.
ParsedDate parse_human_date(const std::string& source) {
  std::vector<std::string> numbers, words;
  std::string signature;
  int month = -1, weekday = -1;
  for (size_t i = 0; i < source.size();) {
    size_t j = i;
    if (std::isdigit(static_cast<unsigned char>(source[i]))) {
      while (j < source.size() && std::isdigit(static_cast<unsigned char>(source[j]))) ++j;
      numbers.push_back(source.substr(i, j - i));
      signature += '#';
    } else if (std::isalpha(static_cast<unsigned char>(source[i]))) {
      while (j < source.size() && std::isalpha(static_cast<unsigned char>(source[j]))) ++j;
      const std::string word = source.substr(i, j - i), low = lowered(word);
      const bool all_upper = std::all_of(word.begin(), word.end(), [](char c) { return std::isupper(c); });
      const bool all_lower = word == low;
      const std::string casing = all_upper ? "U" : all_lower ? "L" : "T";
      if (i > 0 && std::isdigit(static_cast<unsigned char>(source[i - 1]))) {
        signature += "o";  // an ordinal suffix: 3rd
      } else if (int m = name_index(kMonthNames, low); m >= 0) {
        month = m + 1;
        signature += (low.size() > 3 ? "M" : "m") + casing;
      } else if (int w = name_index(kWeekdayNames, low); w >= 0) {
        weekday = w;
        signature += (low.size() > 3 ? "W" : "w") + casing;
      } else {
        signature += low;
      }
    } else {
      j = i + 1;
      signature += source[i];
    }
    i = j;
  }
  auto number = [](const std::string& digits) { return std::stoi(digits); };
  auto full_year = [&](const std::string& digits) {
    const int y = number(digits);
    return digits.size() == 4 ? y : digits.size() == 2 ? (y < 50 ? 2000 + y : 1900 + y) : -1;
  };
  int year = -1, m = -1, day = -1;
  if (month > 0 && numbers.size() == 2) {
    m = month, day = number(numbers[0]), year = full_year(numbers[1]);
  } else if (month < 0 && numbers.size() == 1 && numbers[0].size() == 8) {
    year = number(numbers[0].substr(0, 4)), m = number(numbers[0].substr(4, 2)), day = number(numbers[0].substr(6, 2));
  } else if (month < 0 && numbers.size() == 3) {
    const char separator = source[numbers[0].size()];
    if (separator == '-' || (separator == '.' && numbers[0].size() == 4))
      year = full_year(numbers[0]), m = number(numbers[1]), day = number(numbers[2]);
    else if (separator == '/')
      m = number(numbers[0]), day = number(numbers[1]), year = full_year(numbers[2]);
    else if (separator == '.')
      day = number(numbers[0]), m = number(numbers[1]), year = full_year(numbers[2]);
  }
  return {std::chrono::year{year} / std::chrono::month{static_cast<unsigned>(m)} /
              std::chrono::day{static_cast<unsigned>(day)},
          weekday, signature};
}

std::chrono::year_month_day parse_iso(const std::string& text) {
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                      std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c) || c == '-'; });
  if (!shaped) return std::chrono::year{0} / 0 / 0;  // not ok()
  return std::chrono::year{std::stoi(text.substr(0, 4))} /
         std::chrono::month{static_cast<unsigned>(std::stoi(text.substr(5, 2)))} /
         std::chrono::day{static_cast<unsigned>(std::stoi(text.substr(8, 2)))};
}

TEST(DataTasks, DatesNameTheirTargetInManyFormats) {
  const ToyTask task = make_task("dates", {.seed = 2});
  EXPECT_EQ(task.source_tokenizer, "chars");
  EXPECT_EQ(task.target_tokenizer, "chars");
  std::set<std::string> signatures;
  int min_year = 9999, max_year = 0, leap_days = 0, weekdays_checked = 0, two_digit_years = 0;
  for (const auto* split : {&task.train, &task.valid, &task.test}) {
    for (const auto& [source, target] : *split) {
      const std::chrono::year_month_day iso = parse_iso(target);
      ASSERT_TRUE(iso.ok()) << "target '" << target << "' of '" << source << "' is not a valid ISO date";
      const ParsedDate parsed = parse_human_date(source);
      ASSERT_EQ(parsed.date, iso) << "'" << source << "' does not read as " << target;
      if (parsed.weekday >= 0) {
        ASSERT_EQ(static_cast<unsigned>(parsed.weekday), std::chrono::weekday{std::chrono::sys_days{iso}}.c_encoding())
            << "wrong weekday in '" << source << "'";
        ++weekdays_checked;
      }
      const int year = static_cast<int>(iso.year());
      min_year = std::min(min_year, year), max_year = std::max(max_year, year);
      if (iso.month() == std::chrono::February && iso.day() == std::chrono::day{29}) {
        EXPECT_TRUE(iso.year().is_leap()) << source;
        ++leap_days;
      }
      if (source.find(target.substr(0, 4)) == std::string::npos) ++two_digit_years;
      signatures.insert(parsed.signature);
    }
  }
  EXPECT_EQ(min_year, 1900);
  EXPECT_EQ(max_year, 2099);
  EXPECT_GT(leap_days, 0);
  EXPECT_GT(weekdays_checked, 1000);
  EXPECT_GT(two_digit_years, 500);
  EXPECT_GE(signatures.size(), 12u) << fmt::format("{}", fmt::join(signatures, " | "));
}

// ---- numbers-fr --------------------------------------------------------------------------------

TEST(DataTasks, FrenchNumbersSpelledTraditionally) {
  // Checked by hand against the traditional rules (Grevisse; Académie française before 1990).
  const std::vector<std::pair<int64_t, std::string>> table = {
      {0, "zéro"},
      {1, "un"},
      {7, "sept"},
      {10, "dix"},
      {11, "onze"},
      {16, "seize"},
      {17, "dix-sept"},
      {19, "dix-neuf"},
      {20, "vingt"},
      {21, "vingt et un"},
      {22, "vingt-deux"},
      {31, "trente et un"},
      {32, "trente-deux"},
      {45, "quarante-cinq"},
      {51, "cinquante et un"},
      {60, "soixante"},
      {61, "soixante et un"},
      {70, "soixante-dix"},
      {71, "soixante et onze"},
      {72, "soixante-douze"},
      {77, "soixante-dix-sept"},
      {80, "quatre-vingts"},
      {81, "quatre-vingt-un"},
      {88, "quatre-vingt-huit"},
      {90, "quatre-vingt-dix"},
      {91, "quatre-vingt-onze"},
      {99, "quatre-vingt-dix-neuf"},
      {100, "cent"},
      {101, "cent un"},
      {121, "cent vingt et un"},
      {180, "cent quatre-vingts"},
      {200, "deux cents"},
      {201, "deux cent un"},
      {280, "deux cent quatre-vingts"},
      {281, "deux cent quatre-vingt-un"},
      {1000, "mille"},
      {1001, "mille un"},
      {1200, "mille deux cents"},
      {1980, "mille neuf cent quatre-vingts"},
      {2000, "deux mille"},
      {2021, "deux mille vingt et un"},
      {21000, "vingt et un mille"},
      {71071, "soixante et onze mille soixante et onze"},
      {80000, "quatre-vingt mille"},
      {80080, "quatre-vingt mille quatre-vingts"},
      {81000, "quatre-vingt-un mille"},
      {100000, "cent mille"},
      {101000, "cent un mille"},
      {200000, "deux cent mille"},
      {200001, "deux cent mille un"},
      {300200, "trois cent mille deux cents"},
      {999999, "neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf"},
  };
  for (const auto& [n, words] : table) EXPECT_EQ(french_number(n), words) << n;
  expect_error([] { french_number(1000000); }, {"french_number", "1000000", "0 <= n < 1000000"});
  expect_error([] { french_number(-1); }, {"french_number", "-1"});
}

TEST(DataTasks, NumbersFrSpreadsOverMagnitudes) {
  const ToyTask task = make_task("numbers-fr", {.seed = 4});
  EXPECT_EQ(task.source_tokenizer, "chars");
  EXPECT_EQ(task.target_tokenizer, "words");
  std::map<size_t, int64_t> digits;
  for (const auto* split : {&task.train, &task.valid, &task.test}) {
    for (const auto& [source, target] : *split) {
      ASSERT_TRUE(std::all_of(source.begin(), source.end(), [](char c) { return std::isdigit(c); })) << source;
      ASSERT_TRUE(source == "0" || source[0] != '0') << source;
      ASSERT_EQ(target, french_number(std::stoll(source)));
      ++digits[source.size()];
    }
  }
  // Every number below a hundred, and most below a thousand, are drawn; the rest spread over 4..6 digits.
  EXPECT_EQ(digits[1], 10);
  EXPECT_EQ(digits[2], 90);
  EXPECT_GT(digits[3], 800);
  for (size_t d = 4; d <= 6; ++d) EXPECT_GT(digits[d], 3000) << d << " digits";
}

TEST(DataTasks, WriteTaskTsv) {
  const ToyTask task = make_task("reverse", {.seed = 1, .train_size = 20, .valid_size = 5, .test_size = 3});
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "heed_test_tasks" / "nested";
  std::filesystem::remove_all(dir.parent_path());
  write_task_tsv(task, dir.string());
  for (const auto& [file, pairs] : {std::pair{"train.tsv", &task.train}, std::pair{"valid.tsv", &task.valid},
                                    std::pair{"test.tsv", &task.test}}) {
    std::ifstream in(dir / file);
    ASSERT_TRUE(in) << file;
    std::vector<SentencePair> read;
    for (std::string line; std::getline(in, line);) {
      const size_t tab = line.find('\t');
      ASSERT_NE(tab, std::string::npos) << file << ": " << line;
      read.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    }
    EXPECT_EQ(read, *pairs) << file;
  }
  std::filesystem::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace heed::data
