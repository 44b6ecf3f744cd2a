// SVG line charts and heatmaps, written as text.
#include "heed/train/svg.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "heed/core/error.h"

namespace heed::train {

namespace {

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
constexpr double kPanelWidth = 480, kPanelHeight = 320;
constexpr double kLeft = 64, kRight = 16, kTop = 58, kBottom = 52;  // margins around a plot area
constexpr double kCharWidth = 7.2;                                 // of 12px sans-serif, roughly

// Unicode code points in UTF-8 text (continuation bytes not counted), for label widths.
double text_width(std::string_view text) {
  int64_t points = 0;
  for (unsigned char c : text) points += (c & 0xC0) != 0x80;
  return static_cast<double>(points) * kCharWidth;
}

// Tick labels with as many decimals as the step needs.
std::string tick_label(double value, double step) {
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  if (std::fabs(value) < step * 1e-6) value = 0;  // no "-0.0"
  return fmt::format("{:.{}f}", value, decimals);
}

struct Range {
  double low = 0, high = 1;
};

Range data_range(const std::vector<Series>& series, bool use_x, double floor_value, double ceiling_value) {
  double low = INFINITY, high = -INFINITY;
  for (const Series& s : series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double v = use_x ? s.x[i] : s.y[i];
      low = std::min(low, v);
      high = std::max(high, v);
    }
  if (std::isfinite(floor_value)) low = std::min(low, floor_value), high = std::max(high, floor_value);
  if (std::isfinite(ceiling_value)) high = std::max(high, ceiling_value), low = std::min(low, ceiling_value);
  if (low > high) return {0, 1};  // no data
  return {low, high};
}

void draw_chart(std::string& svg, const Chart& chart, double origin_x) {
  const double plot_x = origin_x + kLeft, plot_y = kTop;
  const double plot_w = kPanelWidth - kLeft - kRight, plot_h = kPanelHeight - kTop - kBottom;
  const std::vector<double> xticks = [&] {
    Range r = data_range(chart.series, true, chart.x_floor, NAN);
    return nice_ticks(r.low, r.high, 6);
  }();
  const std::vector<double> yticks = [&] {
    Range r = data_range(chart.series, false, chart.y_floor, chart.y_ceiling);
    return nice_ticks(r.low, r.high, 6);
  }();
  const double x0 = xticks.front(), x1 = xticks.back(), y0 = yticks.front(), y1 = yticks.back();
  auto px = [&](double x) { return plot_x + (x - x0) / (x1 - x0) * plot_w; };
  auto py = [&](double y) { return plot_y + plot_h - (y - y0) / (y1 - y0) * plot_h; };

  svg += fmt::format("<g class=\"chart\">\n<text class=\"title\" x=\"{:.1f}\" y=\"24\" text-anchor=\"middle\" "
                     "font-size=\"15\" font-weight=\"bold\">{}</text>\n",
                     plot_x + plot_w / 2, xml_escape(chart.title));
  // Grid lines and tick labels.
  const double xstep = xticks.size() > 1 ? xticks[1] - xticks[0] : 1, ystep = yticks.size() > 1 ? yticks[1] - yticks[0] : 1;
  for (double t : xticks)
    svg += fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e5e5e5\"/>"
                       "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
                       px(t), plot_y, plot_y + plot_h, plot_y + plot_h + 16, tick_label(t, xstep));
  for (double t : yticks)
    svg += fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#e5e5e5\"/>"
                       "<text class=\"tick\" x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       plot_x, py(t), plot_x + plot_w, plot_x - 6, py(t) + 4, tick_label(t, ystep));
  // Axes and their names.
  svg += fmt::format("<rect class=\"axes\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
                     "stroke=\"#333\"/>\n",
                     plot_x, plot_y, plot_w, plot_h);
  svg += fmt::format("<text class=\"axis-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                     plot_x + plot_w / 2, plot_y + plot_h + 38, xml_escape(chart.x_label));
  svg += fmt::format("<text class=\"axis-label\" transform=\"translate({:.1f},{:.1f}) rotate(-90)\" "
                     "text-anchor=\"middle\">{}</text>\n",
                     origin_x + 16, plot_y + plot_h / 2, xml_escape(chart.y_label));
  // The series: a line through the points, and markers when there are few.
  size_t drawn = 0;
  double legend_x = plot_x;
  for (const Series& s : chart.series) {
    HEED_CHECK(s.x.size() == s.y.size(), "charts_svg", "series '{}' has {} x values and {} y values", s.label,
               s.x.size(), s.y.size());
    std::string points;
    size_t count = 0;
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        points += fmt::format("{}{:.1f},{:.1f}", count ? " " : "", px(s.x[i]), py(s.y[i]));
        ++count;
      }
    if (count == 0) continue;
    const char* color = kColors[drawn % std::size(kColors)];
    svg += fmt::format("<g class=\"series\" data-label=\"{}\">\n<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" "
                       "stroke-width=\"2\"/>\n",
                       xml_escape(s.label), points, color);
    if (count <= 60)
      for (size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
          svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px(s.x[i]), py(s.y[i]), color);
    svg += "</g>\n";
    // Legend entry: a row between the title and the plot, left to right.
    const double lx = legend_x, ly = 44;
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"3\"/>"
                       "<text class=\"legend-label\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
                       lx, ly - 4, lx + 20, ly - 4, color, lx + 26, ly, xml_escape(s.label));
    legend_x += 26 + text_width(s.label) + 18;
    ++drawn;
  }
  svg += "</g>\n";
}

// White (0) to dark blue (1), through light blues.
std::string heat_color(float value) {
  const double v = std::clamp(static_cast<double>(std::isfinite(value) ? value : 0.0f), 0.0, 1.0);
  auto mix = [v](int from, int to) { return static_cast<int>(std::lround(from + (to - from) * v)); };
  return fmt::format("#{:02x}{:02x}{:02x}", mix(255, 8), mix(255, 48), mix(255, 107));
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += "\xEF\xBF\xBD";
        else out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double low, double high, int max_ticks) {
  HEED_CHECK(std::isfinite(low) && std::isfinite(high) && low <= high, "nice_ticks",
             "the range [{}, {}] must be finite and ordered", low, high);
  max_ticks = std::max(max_ticks, 2);
  if (low == high) {
    const double pad = low == 0 ? 1 : std::fabs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  double power = std::pow(10.0, std::floor(std::log10((high - low) / max_ticks)) - 1);
  for (;;) {
    for (double mantissa : {1.0, 2.0, 5.0}) {
      const double step = mantissa * power;
      const double first = std::floor(low / step + 1e-9), last = std::ceil(high / step - 1e-9);
      if (last - first + 1 <= max_ticks) {
        std::vector<double> ticks;
        for (double i = first; i <= last; ++i) ticks.push_back(i * step);
        if (ticks.size() < 2) ticks.push_back((last + 1) * step);
        return ticks;
      }
    }
    power *= 10;
  }
}

std::string charts_svg(const std::vector<Chart>& charts) {
  const double width = kPanelWidth * static_cast<double>(std::max<size_t>(charts.size(), 1));
  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, kPanelHeight);
  for (size_t i = 0; i < charts.size(); ++i) draw_chart(svg, charts[i], kPanelWidth * static_cast<double>(i));
  return svg + "</svg>\n";
}

std::string heatmap_svg(const Heatmap& heatmap) {
  const size_t rows = heatmap.row_labels.size(), columns = heatmap.column_labels.size();
  HEED_CHECK(heatmap.values.size() == rows * columns, "heatmap_svg",
             "{} values for {} rows and {} columns; expected {}", heatmap.values.size(), rows, columns, rows * columns);
  const double cell = std::clamp(720.0 / static_cast<double>(std::max<size_t>(columns, 1)), 14.0, 32.0);
  double row_label_width = 0, column_label_width = 0;
  for (const std::string& label : heatmap.row_labels) row_label_width = std::max(row_label_width, text_width(label));
  for (const std::string& label : heatmap.column_labels) column_label_width = std::max(column_label_width, text_width(label));
  // Column labels are written upwards at 60°: they need about 0.87 of their length in height.
  const double grid_x = 16 + row_label_width + 8, grid_y = 40 + column_label_width * 0.87 + 12;
  const double grid_w = cell * static_cast<double>(columns), grid_h = cell * static_cast<double>(rows);
  const double scale_x = grid_x + grid_w + 24;
  const double width = std::max(scale_x + 60, 32 + text_width(heatmap.title) * 1.25), height = std::max(grid_y + grid_h + 24, grid_y + 160);

  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text class=\"title\" x=\"16\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{2}</text>\n",
      width, height, xml_escape(heatmap.title));
  for (size_t r = 0; r < rows; ++r)
    svg += fmt::format("<text class=\"row-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                       grid_x - 6, grid_y + cell * (static_cast<double>(r) + 0.5) + 4, xml_escape(heatmap.row_labels[r]));
  for (size_t c = 0; c < columns; ++c)
    svg += fmt::format("<text class=\"column-label\" transform=\"translate({:.1f},{:.1f}) rotate(-60)\">{}</text>\n",
                       grid_x + cell * (static_cast<double>(c) + 0.5) + 4, grid_y - 6, xml_escape(heatmap.column_labels[c]));
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < columns; ++c) {
      const float value = heatmap.values[r * columns + c];
      svg += fmt::format("<rect class=\"cell\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
                         "<title>{} / {}: {:.3f}</title></rect>\n",
                         grid_x + cell * static_cast<double>(c), grid_y + cell * static_cast<double>(r), cell, cell,
                         heat_color(value), xml_escape(heatmap.row_labels[r]), xml_escape(heatmap.column_labels[c]),
                         value);
    }
  svg += fmt::format("<rect class=\"grid-border\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                     "fill=\"none\" stroke=\"#999\"/>\n",
                     grid_x, grid_y, grid_w, grid_h);
  // The colour scale: 0 at the bottom, 1 at the top.
  svg += "<g class=\"scale\">\n";
  for (int i = 0; i < 20; ++i)
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"14\" height=\"6.5\" fill=\"{}\"/>\n", scale_x,
                       grid_y + 6 * (19 - i), heat_color(static_cast<float>(i) / 19.0f));
  svg += fmt::format("<text x=\"{0:.1f}\" y=\"{1:.1f}\">1</text><text x=\"{0:.1f}\" y=\"{2:.1f}\">0</text>\n</g>\n",
                     scale_x + 20, grid_y + 10, grid_y + 120);
  return svg + "</svg>\n";
}

}  // namespace heed::train
