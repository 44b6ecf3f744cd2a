// train::ReportWriter: a TrainObserver that keeps a run's report files up to date in a folder:
// metrics.csv (train/metrics_csv.h) and training.svg (train/plots.h), rewritten atomically after
// every validation and at the end of training, so they can be watched while a long run goes on.
//
//   train::ReportWriter report("out/");
//   trainer.add_observer(report);
#pragma once

#include <string>

#include "heed/train/trainer.h"

namespace heed::train {

inline constexpr const char* kMetricsFile = "metrics.csv";
inline constexpr const char* kTrainingPlotFile = "training.svg";

class ReportWriter : public TrainObserver {
 public:
  // `dir` must exist.
  explicit ReportWriter(std::string dir) : dir_(std::move(dir)) {}

  void on_validation(const ValidationRecord& record, const TrainHistory& so_far) override;
  void on_end(const TrainHistory& history) override;

  // Writes both files for `history` now.
  void write(const TrainHistory& history) const;

 private:
  std::string dir_;
};

}  // namespace heed::train
