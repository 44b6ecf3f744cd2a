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
// stops early.
#pragma once

#include <string>

#include "heed/train/history.h"

namespace heed::train {

std::string metrics_csv(const TrainHistory& history);
void write_metrics_csv(const TrainHistory& history, const std::string& path);

}  // namespace heed::train
