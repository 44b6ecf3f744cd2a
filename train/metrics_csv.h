// metrics.csv: a training run's history as one table, for spreadsheets and plotting scripts.
//
//   step,train_loss,lr,tokens_per_s,valid_loss,bleu,exact_match
//   50,3.912,0.00025,10234,,,
//   100,2.051,0.0005,10410,1.873,41.2,0.12
//
// One row per logged step and per validation step (merged when they fall on the same step), in
// step order; a column without a value at that step is empty. BLEU is 0..100, exact_match a
// fraction in [0, 1]. The whole file is rewritten each time (write_metrics_csv writes a temporary
// file and renames it), so a reader never sees half a row, and the file stays valid when training
// stops early. read_metrics_csv reads one back (heed plot draws several runs' files in one SVG).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "heed/train/history.h"

namespace heed::train {

std::string metrics_csv(const TrainHistory& history);
void write_metrics_csv(const TrainHistory& history, const std::string& path);

// One column of a metrics.csv: the steps of the rows that have a value, and the values.
struct MetricsColumn {
  std::vector<double> steps, values;
};

// The columns of the metrics.csv at `path` by name ("train_loss", ...), empty cells left out. Lines
// may end in CRLF (a file saved by a spreadsheet). heed::Error naming the file, the line and the
// column for a missing header or a cell that is not a number.
std::map<std::string, MetricsColumn> read_metrics_csv(const std::string& path);

}  // namespace heed::train
