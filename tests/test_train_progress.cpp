// Progress display (train/progress.h): the pure formatting functions and what ProgressPrinter
// writes in live and plain mode.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "heed/train/progress.h"

using namespace heed;

namespace {

train::StepRecord record(int64_t step, int64_t total, double elapsed) {
  return {.step = step, .total_steps = total, .epoch = 3, .loss = 1.23456, .lr = 8.45e-4, .grad_norm = 0.5,
          .tokens_per_second = 12345, .elapsed_seconds = elapsed};
}

// Collects what a ProgressPrinter writes.
class Capture {
 public:
  Capture() : file_(open_memstream(&data_, &size_)) {}
  ~Capture() {
    std::fclose(file_);
    std::free(data_);
  }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

}  // namespace

TEST(TrainProgress, DurationsAsMinutesAndHours) {
  EXPECT_EQ(train::format_duration(0), "0:00");
  EXPECT_EQ(train::format_duration(7.4), "0:07");
  EXPECT_EQ(train::format_duration(59.6), "1:00");
  EXPECT_EQ(train::format_duration(65), "1:05");
  EXPECT_EQ(train::format_duration(3723), "1:02:03");
  EXPECT_EQ(train::format_duration(-1), "--:--");
  EXPECT_EQ(train::format_duration(NAN), "--:--");
  EXPECT_EQ(train::format_duration(INFINITY), "--:--");
}

TEST(TrainProgress, QuantitiesInThreeSignificantDigits) {
  EXPECT_EQ(train::format_quantity(0), "0");
  EXPECT_EQ(train::format_quantity(950), "950");
  EXPECT_EQ(train::format_quantity(999.4), "999");
  EXPECT_EQ(train::format_quantity(999.6), "1.00k");
  EXPECT_EQ(train::format_quantity(12345), "12.3k");
  EXPECT_EQ(train::format_quantity(123456), "123k");
  EXPECT_EQ(train::format_quantity(4.56e6), "4.56M");
  EXPECT_EQ(train::format_quantity(2e9), "2.00G");
}

TEST(TrainProgress, EtaFromTheAveragePace) {
  EXPECT_DOUBLE_EQ(train::eta_seconds(50, 200, 10), 30);
  EXPECT_DOUBLE_EQ(train::eta_seconds(200, 200, 10), 0);
  EXPECT_TRUE(std::isnan(train::eta_seconds(0, 200, 0)));
}

TEST(TrainProgress, BarFillsInProportion) {
  EXPECT_EQ(train::progress_bar(0, 10, 10), "[          ]");
  EXPECT_EQ(train::progress_bar(5, 10, 10), "[=====>    ]");
  EXPECT_EQ(train::progress_bar(9, 10, 10), "[=========>]");
  EXPECT_EQ(train::progress_bar(10, 10, 10), "[==========]");
  EXPECT_EQ(train::progress_bar(1, 3, 4), "[=>  ]");
}

TEST(TrainProgress, LinesShowStepLossRateSpeedAndEta) {
  const train::StepRecord r = record(560, 1000, 52);  // 52 s for 560 steps: 440 more take 40.9 s
  const std::string live = train::format_progress_line(r);
  EXPECT_NE(live.find(" 560/1000"), std::string::npos) << live;
  EXPECT_NE(live.find("loss 1.2346"), std::string::npos) << live;
  EXPECT_NE(live.find("lr 8.45e-04"), std::string::npos) << live;
  EXPECT_NE(live.find("12.3k tok/s"), std::string::npos) << live;
  EXPECT_TRUE(live.ends_with("ETA 0:41")) << live;
  EXPECT_TRUE(live.starts_with("[=============>")) << live;  // 13 of 24 cells
  const std::string plain = train::format_log_line(r);
  EXPECT_TRUE(plain.starts_with("step  560/1000  epoch 3  loss 1.2346")) << plain;
  EXPECT_NE(plain.find("elapsed 0:52"), std::string::npos) << plain;
}

TEST(TrainProgress, ValidationShowsScoresAndSamples) {
  train::ValidationRecord v{.step = 500, .loss = 0.1234, .perplexity = 1.131, .bleu = 97.125, .exact_match = 0.935,
                            .token_accuracy = 0.99, .sentences = 200,
                            .samples = {{.source = "a b", .reference = "b a", .hypothesis = "b b"}}, .seconds = 1.25};
  const std::string text = train::format_validation(v);
  EXPECT_NE(text.find("step 500"), std::string::npos);
  EXPECT_NE(text.find("BLEU 97.12"), std::string::npos) << text;
  EXPECT_NE(text.find("exact match 93.50%"), std::string::npos) << text;
  EXPECT_NE(text.find("token accuracy 99.00%"), std::string::npos) << text;
  EXPECT_NE(text.find("reference  b a\n"), std::string::npos) << text;
  EXPECT_NE(text.find("output     b b\n"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
}

TEST(TrainProgress, PlainPrinterWritesOneLinePerLogAndNoEscapes) {
  Capture out;
  train::ProgressPrinter printer(out.file(), train::ProgressStyle::Plain);
  EXPECT_FALSE(printer.live());
  printer.on_step(record(1, 4, 1));
  EXPECT_EQ(out.text(), "");
  printer.on_log(record(2, 4, 2));
  printer.on_step(record(4, 4, 4));
  printer.on_log(record(4, 4, 4));
  printer.on_end({.steps = {}, .validations = {}, .seconds = 4});
  const std::string text = out.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find('\033'), std::string::npos);
}

TEST(TrainProgress, LivePrinterRedrawsInPlaceAndClearsForValidation) {
  Capture out;
  train::ProgressPrinter printer(out.file(), train::ProgressStyle::Live);
  printer.on_step(record(1, 4, 0.0));
  printer.on_step(record(2, 4, 0.01));  // too soon after the last redraw: skipped
  printer.on_step(record(3, 4, 0.5));
  printer.on_log(record(3, 4, 0.5));    // no plain line in live mode
  printer.on_validation({.step = 3, .sentences = 1}, {});
  printer.on_step(record(4, 4, 0.52));  // the last step is always drawn
  printer.on_end({.steps = {}, .validations = {}, .seconds = 1});
  const std::string text = out.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3 + 1 + 1) << text;  // 3 redraws, 1 clear, 1 redraw after validation
  EXPECT_EQ(text.find(" 2/4"), std::string::npos);
  EXPECT_NE(text.find(" 4/4"), std::string::npos);
  EXPECT_NE(text.find("valid at step 3"), std::string::npos);
  EXPECT_TRUE(text.ends_with("\n"));
}

// Training that ends in an error never reaches on_end: the printer, going out of scope as the
// error passes, ends the live line so the error message starts on a line of its own.
TEST(TrainProgress, LiveLineEndsWhenTrainingStopsWithAnError) {
  Capture out;
  {
    train::ProgressPrinter printer(out.file(), train::ProgressStyle::Live);
    printer.on_step(record(1, 4, 0.0));
    EXPECT_FALSE(out.text().ends_with("\n"));
  }
  EXPECT_TRUE(out.text().ends_with("\n")) << out.text();
  Capture quiet;
  { train::ProgressPrinter printer(quiet.file(), train::ProgressStyle::Live); }
  EXPECT_EQ(quiet.text(), "");  // nothing on screen, nothing to end
}
