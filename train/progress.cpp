// Progress formatting and ProgressPrinter.
#include "heed/train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace heed::train {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<int64_t>(std::llround(seconds));
  const int64_t hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  if (hours > 0) return fmt::format("{}:{:02d}:{:02d}", hours, minutes, secs);
  return fmt::format("{}:{:02d}", minutes, secs);
}

std::string format_quantity(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  static constexpr const char* kSuffixes[] = {"", "k", "M", "G", "T"};
  size_t power = 0;
  double scaled = value;
  // Rounding decides the suffix: 999.96 shows as "1.00k", not "1000".
  while (power + 1 < std::size(kSuffixes) && std::fabs(scaled) >= 999.5) {
    scaled /= 1000;
    ++power;
  }
  if (power == 0) return fmt::format("{:.0f}", scaled);
  const double magnitude = std::fabs(scaled);
  const int decimals = magnitude < 9.995 ? 2 : magnitude < 99.95 ? 1 : 0;
  return fmt::format("{:.{}f}{}", scaled, decimals, kSuffixes[power]);
}

double eta_seconds(int64_t step, int64_t total, double elapsed_seconds) {
  if (step <= 0) return std::nan("");
  return elapsed_seconds / static_cast<double>(step) * static_cast<double>(std::max<int64_t>(total - step, 0));
}

std::string progress_bar(int64_t step, int64_t total, int width) {
  const double fraction = total > 0 ? std::clamp(static_cast<double>(step) / static_cast<double>(total), 0.0, 1.0) : 0.0;
  const int filled = static_cast<int>(fraction * width);
  std::string bar = "[";
  bar.append(static_cast<size_t>(filled), '=');
  if (filled < width) {
    bar += step > 0 ? '>' : ' ';
    bar.append(static_cast<size_t>(width - filled - 1), ' ');
  }
  return bar + "]";
}

std::string format_progress_line(const StepRecord& r) {
  const int digits = static_cast<int>(fmt::formatted_size("{}", r.total_steps));
  return fmt::format("{} {:>{}}/{}  loss {:.4f}  lr {:.2e}  {} tok/s  ETA {}", progress_bar(r.step, r.total_steps, 24),
                     r.step, digits, r.total_steps, r.loss, r.lr, format_quantity(r.tokens_per_second),
                     format_duration(eta_seconds(r.step, r.total_steps, r.elapsed_seconds)));
}

std::string format_log_line(const StepRecord& r) {
  const int digits = static_cast<int>(fmt::formatted_size("{}", r.total_steps));
  return fmt::format("step {:>{}}/{}  epoch {}  loss {:.4f}  lr {:.2e}  {} tok/s  elapsed {}  ETA {}", r.step, digits,
                     r.total_steps, r.epoch, r.loss, r.lr, format_quantity(r.tokens_per_second),
                     format_duration(r.elapsed_seconds),
                     format_duration(eta_seconds(r.step, r.total_steps, r.elapsed_seconds)));
}

std::string format_validation(const ValidationRecord& r) {
  std::string text = fmt::format(
      "valid at step {}: loss {:.4f}  perplexity {:.3f}  BLEU {:.2f}  exact match {:.2f}%  token accuracy {:.2f}%"
      "  ({} sentences, {:.1f} s)\n",
      r.step, r.loss, r.perplexity, r.bleu, 100 * r.exact_match, 100 * r.token_accuracy, r.sentences, r.seconds);
  for (const SampleTranslation& sample : r.samples)
    text += fmt::format("  source     {}\n  reference  {}\n  output     {}\n", sample.source, sample.reference,
                        sample.hypothesis);
  return text;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, ProgressStyle style)
    : out_(out), live_(style == ProgressStyle::Live || (style == ProgressStyle::Auto && ::isatty(::fileno(out)))) {}

ProgressPrinter::~ProgressPrinter() {
  if (!line_shown_) return;
  fmt::print(out_, "\n");
  std::fflush(out_);
}

void ProgressPrinter::clear_line() {
  if (!line_shown_) return;
  fmt::print(out_, "\r\033[K");
  line_shown_ = false;
}

void ProgressPrinter::redraw(const StepRecord& record) {
  fmt::print(out_, "\r{}\033[K", format_progress_line(record));
  std::fflush(out_);
  line_shown_ = true;
  last_drawn_ = record.elapsed_seconds;
}

void ProgressPrinter::on_step(const StepRecord& running) {
  last_ = running;
  // At most ten redraws a second, and always the last step's.
  if (live_ && (running.step == running.total_steps || last_drawn_ < 0 || running.elapsed_seconds - last_drawn_ >= 0.1))
    redraw(running);
}

void ProgressPrinter::on_log(const StepRecord& record) {
  if (live_) return;
  fmt::print(out_, "{}\n", format_log_line(record));
  std::fflush(out_);
}

void ProgressPrinter::on_validation(const ValidationRecord& record, const TrainHistory& /*so_far*/) {
  clear_line();
  fmt::print(out_, "{}", format_validation(record));
  if (live_) redraw(last_);
  std::fflush(out_);
}

void ProgressPrinter::on_end(const TrainHistory& history) {
  if (line_shown_) fmt::print(out_, "\n");
  line_shown_ = false;
  fmt::print(out_, "trained {} steps in {}\n", last_.step, format_duration(history.seconds));
  std::fflush(out_);
}

}  // namespace heed::train
