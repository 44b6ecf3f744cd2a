// Dependency-free SVG drawing for training reports: line charts (with axes, ticks and a legend)
// and labelled heatmaps. Each function returns the whole document as a string; write it with
// data::write_file_atomically (data/text_file.h). train/plots.h draws heed's own plots with them.
//
//   train::Chart loss{.title = "loss", .x_label = "step", .y_label = "cross-entropy",
//                     .series = {{.label = "train", .x = steps, .y = losses}}};
//   std::string svg = train::charts_svg({loss});
//
// Text is XML-escaped; elements carry classes ("series", "legend-label", "row-label",
// "column-label", "cell", ...) so a reader or a test can find them.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace heed::train {

struct Series {
  std::string label = {};
  std::vector<double> x = {}, y = {};  // equal lengths; non-finite points are left out
};

struct Chart {
  std::string title = {}, x_label = {}, y_label = {};
  std::vector<Series> series = {};
  double y_floor = NAN;              // when set, the y axis reaches at least down (up) to it,
  double y_ceiling = NAN;            // e.g. 0 and 100 for BLEU
  double x_floor = NAN;              // the same for the x axis, e.g. step 0
};

// The charts side by side in one document.
std::string charts_svg(const std::vector<Chart>& charts);

struct Heatmap {
  std::string title = {};
  std::vector<std::string> row_labels = {}, column_labels = {};
  std::vector<float> values = {};        // rows × columns, row-major, in [0, 1] (clamped when drawn)
};

// One cell per value, white (0) to dark blue (1), row labels on the left, column labels on top,
// and a colour scale.
std::string heatmap_svg(const Heatmap& heatmap);

// Text safe inside XML elements and attributes: & < > " ' escaped, control characters (other
// than tab and newline) replaced by U+FFFD.
std::string xml_escape(std::string_view text);

// Round tick positions covering [low, high]: a step of 1, 2 or 5 times a power of ten giving at
// most max_ticks ticks (at least 2), from the multiple of the step at or below low to the one at
// or above high. low == high is widened around the value.
std::vector<double> nice_ticks(double low, double high, int max_ticks);

}  // namespace heed::train
