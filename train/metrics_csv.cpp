// metrics.csv from a TrainHistory, and back into columns.
#include "heed/train/metrics_csv.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "heed/core/error.h"
#include "heed/data/text_file.h"

namespace heed::train {

namespace {

// The line without its line end: getline leaves the '\r' of a CRLF line.
std::string without_carriage_return(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// The number in cell `column` (0-based) of line `line_number`, or an error naming them.
double number_in_cell(const std::string& cell, const std::string& path, int64_t line_number, size_t column,
                      const std::string& column_name) {
  double value = 0;
  const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  HEED_CHECK(error == std::errc() && end == cell.data() + cell.size(), "read_metrics_csv",
             "{}:{}: column {} ({}) is \"{}\"; expected a number", path, line_number, column + 1, column_name, cell);
  return value;
}

}  // namespace

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

std::map<std::string, MetricsColumn> read_metrics_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HEED_CHECK(in.good(), "read_metrics_csv", "{}: cannot open it", path);
  std::string line;
  HEED_CHECK(static_cast<bool>(std::getline(in, line)), "read_metrics_csv", "{} is empty; expected a metrics.csv", path);
  line = without_carriage_return(line);
  const std::vector<std::string> header = split_commas(line);
  HEED_CHECK(!header.empty() && header[0] == "step", "read_metrics_csv",
             "{}:1: the header is \"{}\"; expected a metrics.csv starting \"step,\"", path, line);
  std::map<std::string, MetricsColumn> columns;
  for (int64_t line_number = 2; std::getline(in, line); ++line_number) {
    const std::vector<std::string> cells = split_commas(without_carriage_return(line));
    if (cells.empty() || cells[0].empty()) continue;
    const double step = number_in_cell(cells[0], path, line_number, 0, header[0]);
    for (size_t c = 1; c < cells.size() && c < header.size(); ++c) {
      if (cells[c].empty()) continue;
      columns[header[c]].steps.push_back(step);
      columns[header[c]].values.push_back(number_in_cell(cells[c], path, line_number, c, header[c]));
    }
  }
  HEED_CHECK(!in.bad(), "read_metrics_csv", "{}: reading failed", path);
  return columns;
}

}  // namespace heed::train
