// Showing training as it goes. On a terminal, a single progress line redrawn in place:
//
//   [=============>          ]  560/1000  loss 1.2345  lr 8.45e-04  12.3k tok/s  ETA 0:41
//
// elsewhere (a file, a pipe, CI logs) one plain line every log interval:
//
//   step  560/1000  epoch 3  loss 1.2345  lr 8.45e-04  12.3k tok/s  elapsed 0:52  ETA 0:41
//
// and every validation in full, with two sample translations. The formatting functions are pure,
// so tests (and other displays) can use them; ProgressPrinter is the TrainObserver that prints.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "heed/train/trainer.h"

namespace heed::train {

// "0:07", "12:34", "1:02:03" (rounded to the second); "--:--" when unknown (negative, NaN, inf).
std::string format_duration(double seconds);
// A rate or count in 3 significant digits with a k / M / G suffix: "950", "12.3k", "4.56M".
std::string format_quantity(double value);
// Seconds left at the average pace so far; NaN before the first step.
double eta_seconds(int64_t step, int64_t total, double elapsed_seconds);
// "[=====>    ]" with `width` cells between the brackets, filled in proportion to step / total.
std::string progress_bar(int64_t step, int64_t total, int width);

std::string format_progress_line(const StepRecord& record);   // the live line (no newline)
std::string format_log_line(const StepRecord& record);        // the plain line (no newline)
// Several lines, each ending with a newline: the scores, then each sample's source, reference
// and hypothesis.
std::string format_validation(const ValidationRecord& record);

enum class ProgressStyle {
  Auto,   // Live when the output is a terminal, else Plain
  Live,
  Plain,
};

class ProgressPrinter : public TrainObserver {
 public:
  explicit ProgressPrinter(std::FILE* out = stdout, ProgressStyle style = ProgressStyle::Auto);
  // Ends a live line still on screen, so whatever is printed next (an error, when training
  // stopped with one) starts on a line of its own.
  ~ProgressPrinter() override;

  void on_step(const StepRecord& running) override;
  void on_log(const StepRecord& record) override;
  void on_validation(const ValidationRecord& record, const TrainHistory& so_far) override;
  void on_end(const TrainHistory& history) override;

  bool live() const { return live_; }

 private:
  void redraw(const StepRecord& record);
  void clear_line();

  std::FILE* out_;
  bool live_;
  bool line_shown_ = false;       // a live line is on screen
  double last_drawn_ = -1;        // elapsed seconds at the last redraw
  StepRecord last_{};
};

}  // namespace heed::train
