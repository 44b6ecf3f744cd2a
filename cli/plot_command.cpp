// heed plot: several runs' metrics.csv in one SVG, one line per run in each chart (training loss,
// validation loss, validation BLEU), to compare a right run with a broken one (docs/pitfalls.md).
//
//   heed plot --out docs/figures/pitfall-no-scale.svg right=runs/right broken=runs/broken
#include <filesystem>

#include "commands.h"
#include "heed/data/text_file.h"
#include "heed/train/metrics_csv.h"
#include "heed/train/svg.h"
#include "usage.h"

namespace heed::cli {

namespace {

namespace fs = std::filesystem;

struct PlotFlags {
  std::vector<std::string> runs;  // LABEL=PATH: a model directory or a metrics.csv
  std::string out, title;
};

int run_plot(const PlotFlags& f) {
  std::vector<train::Chart> charts{
      {.title = "training loss", .x_label = "step", .y_label = "cross-entropy (smoothed labels)", .x_floor = 0},
      {.title = "validation loss", .x_label = "step", .y_label = "cross-entropy", .x_floor = 0},
      {.title = "validation BLEU", .x_label = "step", .y_label = "BLEU", .y_floor = 0, .y_ceiling = 100, .x_floor = 0}};
  const char* columns[] = {"train_loss", "valid_loss", "bleu"};
  for (const std::string& run : f.runs) {
    const size_t equals = run.find('=');
    require(equals != std::string::npos && equals > 0, "\"{}\": expected LABEL=PATH (a model directory or a metrics.csv)",
            run);
    const std::string label = run.substr(0, equals);
    std::string path = run.substr(equals + 1);
    if (fs::is_directory(path)) path = (fs::path(path) / "metrics.csv").string();
    require_regular_file(fmt::format("run {}:", label), path);
    const std::map<std::string, train::MetricsColumn> metrics = train::read_metrics_csv(path);
    for (size_t c = 0; c < charts.size(); ++c) {
      auto found = metrics.find(columns[c]);
      if (found == metrics.end()) continue;
      charts[c].series.push_back({.label = label, .x = found->second.steps, .y = found->second.values});
    }
  }
  if (!f.title.empty())
    for (train::Chart& chart : charts) chart.title = f.title + ": " + chart.title;
  data::write_file_atomically(f.out, train::charts_svg(charts), "heed plot");
  fmt::print("wrote {} ({} runs)\n", f.out, f.runs.size());
  return 0;
}

}  // namespace

Runner add_plot_command(CLI::App& command) {
  auto f = std::make_shared<PlotFlags>();
  command.footer("Example: heed plot --out compare.svg right=runs/right broken=runs/broken");
  command.add_option("runs", f->runs, "LABEL=PATH for each run: a model directory or its metrics.csv")->required();
  command.add_option("--out", f->out, "the SVG file to write")->required();
  command.add_option("--title", f->title, "put before each chart's title");
  return [f] { return run_plot(*f); };
}

}  // namespace heed::cli
