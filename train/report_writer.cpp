// ReportWriter: metrics.csv and training.svg after each validation and at the end.
#include "heed/train/report_writer.h"

#include <filesystem>

#include "heed/data/text_file.h"
#include "heed/train/metrics_csv.h"
#include "heed/train/plots.h"

namespace heed::train {

void ReportWriter::write(const TrainHistory& history) const {
  const std::filesystem::path dir(dir_);
  write_metrics_csv(history, (dir / kMetricsFile).string());
  data::write_file_atomically((dir / kTrainingPlotFile).string(), training_svg(history), "write_reports");
}

void ReportWriter::on_validation(const ValidationRecord& /*record*/, const TrainHistory& so_far) { write(so_far); }

void ReportWriter::on_end(const TrainHistory& history) { write(history); }

}  // namespace heed::train
