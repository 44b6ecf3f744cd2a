// The dates task: a day between 1900-01-01 and 2099-12-31 written in one of 21 human formats
// ("Wednesday, March 3, 2021", "3rd of March 2021", "03/03/2021", "3 mar 21", ...) -> ISO 8601
// "2021-03-03". Every source names exactly one date, by these conventions:
//   - with a month name: the first number is the day, the last the year ("March 3, 2021");
//   - all digits: "-" orders year-month-day, "/" month/day/year (US), "." day.month.year unless
//     the first field has four digits (year.month.day); eight digits alone are yyyymmdd;
//   - two-digit years pivot at 50: 00..49 are 2000..2049 and 50..99 are 1950..1999, so formats
//     with a two-digit year are used only for days from 1950 to 2049;
//   - a weekday, when written, is the date's true weekday.
#include <cctype>
#include <functional>

#include "heed/core/error.h"
#include "heed/data/task_generators.h"

namespace heed::data::detail {
namespace {

struct Date {
  int64_t year, month, day;
  int64_t weekday;  // 0 Sunday .. 6 Saturday
};

// Days since 1970-01-01 -> the proleptic Gregorian date (H. Hinnant's civil_from_days).
Date date_from_days(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;                                               // [0, 146096]
  const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // from 1 March
  const int64_t shifted_month = (5 * day_of_year + 2) / 153;                                 // 0 = March
  const int64_t day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const int64_t month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  const int64_t weekday = ((days + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
  return {year, month, day, weekday};
}

constexpr int64_t kFirstDay = -25567;  // 1900-01-01
constexpr int64_t kLastDay = 47481;    // 2099-12-31

const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kWeekdays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}
std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string month(const Date& d) { return kMonths[d.month - 1]; }
std::string mon(const Date& d) { return month(d).substr(0, 3); }
std::string weekday(const Date& d) { return kWeekdays[d.weekday]; }
std::string wkd(const Date& d) { return weekday(d).substr(0, 3); }
std::string two(int64_t n) { return fmt::format("{:02}", n); }
std::string ordinal(int64_t day) {
  const char* suffix = (day % 10 == 1 && day != 11) ? "st"
                       : (day % 10 == 2 && day != 12) ? "nd"
                       : (day % 10 == 3 && day != 13) ? "rd"
                                                      : "th";
  return std::to_string(day) + suffix;
}

struct Format {
  bool two_digit_year;
  std::function<std::string(const Date&)> render;
};

const std::vector<Format>& formats() {
  using D = const Date&;
  static const std::vector<Format> all = {
      {false, [](D d) { return fmt::format("{} {} {}", d.day, month(d), d.year); }},        // 3 March 2021
      {false, [](D d) { return fmt::format("{} {}, {}", month(d), d.day, d.year); }},       // March 3, 2021
      {false, [](D d) { return fmt::format("{}/{}/{}", two(d.month), two(d.day), d.year); }},  // 03/03/2021
      {true, [](D d) { return fmt::format("{}/{}/{}", d.month, d.day, two(d.year % 100)); }},  // 3/3/21
      {false, [](D d) { return fmt::format("{} {} {}", mon(d), d.day, d.year); }},          // Mar 3 2021
      {true, [](D d) { return fmt::format("{} {} {}", d.day, lower(mon(d)), two(d.year % 100)); }},  // 3 mar 21
      {false, [](D d) { return fmt::format("{}, {} {}, {}", weekday(d), month(d), d.day, d.year); }},  // Wednesday, March 3, 2021
      {false, [](D d) { return fmt::format("{}, {} {} {}", wkd(d), d.day, mon(d), d.year); }},  // Wed, 3 Mar 2021
      {false, [](D d) { return fmt::format("{}.{}.{}", d.year, two(d.month), two(d.day)); }},  // 2021.03.03
      {false, [](D d) { return fmt::format("{}.{}.{}", two(d.day), two(d.month), d.year); }},  // 03.03.2021
      {false, [](D d) { return fmt::format("{} of {} {}", ordinal(d.day), month(d), d.year); }},  // 3rd of March 2021
      {false, [](D d) { return fmt::format("{} {}, {}", month(d), ordinal(d.day), d.year); }},  // March 3rd, 2021
      {false, [](D d) { return fmt::format("{} {} {}", d.day, upper(month(d)), d.year); }},  // 3 MARCH 2021
      {false, [](D d) { return fmt::format("{} {}, {}", lower(month(d)), d.day, d.year); }},  // march 3, 2021
      {false, [](D d) { return fmt::format("{}-{}-{}", d.year, two(d.month), two(d.day)); }},  // 2021-03-03
      {false, [](D d) { return fmt::format("{}{}{}", d.year, two(d.month), two(d.day)); }},   // 20210303
      {false, [](D d) { return fmt::format("{}-{}-{}", two(d.day), mon(d), d.year); }},       // 03-Mar-2021
      {false, [](D d) { return fmt::format("{} {} {} {}", weekday(d), d.day, month(d), d.year); }},  // Wednesday 3 March 2021
      {false, [](D d) { return fmt::format("the {} of {}, {}", ordinal(d.day), lower(month(d)), d.year); }},  // the 3rd of march, 2021
      {false, [](D d) { return upper(fmt::format("{}, {} {}, {}", weekday(d), month(d), d.day, d.year)); }},  // WEDNESDAY, MARCH 3, 2021
      {false, [](D d) { return fmt::format("{}. {}, {}", mon(d), d.day, d.year); }},          // Mar. 3, 2021
  };
  return all;
}

}  // namespace

ToyTask make_dates_task(const TaskOptions& options) {
  ToyTask task{"dates", "chars", "chars", {}, {}, {}};  // name, source and target tokenizers, splits
  std::vector<const Format*> four_digit_formats;
  for (const Format& format : formats())
    if (!format.two_digit_year) four_digit_formats.push_back(&format);
  draw_splits(task, options, [&](TaskRandom& random) {
    const Date date = date_from_days(random.between(kFirstDay, kLastDay));
    const bool pivot_window = date.year >= 1950 && date.year <= 2049;
    const Format& format = pivot_window ? random.pick(formats()) : *random.pick(four_digit_formats);
    return SentencePair{format.render(date), fmt::format("{}-{}-{}", date.year, two(date.month), two(date.day))};
  });
  return task;
}

}  // namespace heed::data::detail
