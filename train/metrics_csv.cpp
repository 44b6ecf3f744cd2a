// metrics.csv from a TrainHistory.
#include "heed/train/metrics_csv.h"

#include <map>

#include <fmt/format.h>

#include "heed/data/text_file.h"

namespace heed::train {

std::string metrics_csv(const TrainHistory& history) {
  struct Row {
    const StepRecord* train = nullptr;
    const ValidationRecord* valid = nullptr;
  };
  std::map<int64_t, Row> rows;
  for (const StepRecord& record : history.steps) rows[record.step].train = &record;
  for (const ValidationRecord& record : history.validations) rows[record.step].valid = &record;

  std::string csv = "step,train_loss,lr,tokens_per_s,valid_loss,bleu,exact_match\n";
  for (const auto& [step, row] : rows) {
    csv += fmt::format("{},", step);
    csv += row.train ? fmt::format("{:.6g},{:.6g},{:.0f},", row.train->loss, row.train->lr, row.train->tokens_per_second)
                     : std::string(",,,");
    csv += row.valid ? fmt::format("{:.6g},{:.4f},{:.4f}\n", row.valid->loss, row.valid->bleu, row.valid->exact_match)
                     : std::string(",,\n");
  }
  return csv;
}

void write_metrics_csv(const TrainHistory& history, const std::string& path) {
  data::write_file_atomically(path, metrics_csv(history), "write_metrics_csv");
}

}  // namespace heed::train
