// The training report files: SVG charts and heatmaps (train/svg.h, train/plots.h), metrics.csv
// (train/metrics_csv.h).
#include <gtest/gtest.h>

#include <sstream>

#include "heed/core/factories.h"
#include "heed/train/metrics_csv.h"
#include "heed/train/plots.h"
#include "heed/train/svg.h"
#include "test_util.h"

using namespace heed;
using heed::testing::expect_error;

namespace {

// Checks that tags nest properly and that no text or attribute holds a raw '<' or a bare '&'.
// Returns "" when the document is well formed, else what is wrong.
std::string xml_problem(const std::string& xml) {
  std::vector<std::string> open;
  size_t at = 0;
  while (at < xml.size()) {
    if (xml[at] == '&') {
      size_t end = xml.find(';', at);
      if (end == std::string::npos || end - at > 6) return "bare & at " + std::to_string(at);
      at = end + 1;
      continue;
    }
    if (xml[at] != '<') {
      ++at;
      continue;
    }
    size_t end = xml.find('>', at);
    if (end == std::string::npos) return "unclosed tag at " + std::to_string(at);
    std::string tag = xml.substr(at + 1, end - at - 1);
    if (tag.find('<') != std::string::npos) return "'<' inside a tag at " + std::to_string(at);
    // Quotes inside a tag must pair up, and attribute values must not hold a bare '&'.
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return "unbalanced quotes in <" + tag + ">";
    for (size_t amp = tag.find('&'); amp != std::string::npos; amp = tag.find('&', amp + 1)) {
      size_t semi = tag.find(';', amp);
      if (semi == std::string::npos || semi - amp > 6) return "bare & in <" + tag + ">";
    }
    if (tag.starts_with("?")) {
    } else if (tag.starts_with("/")) {
      if (open.empty() || open.back() != tag.substr(1)) return "unexpected </" + tag.substr(1) + ">";
      open.pop_back();
    } else if (!tag.ends_with("/")) {
      open.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    at = end + 1;
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

train::TrainHistory sample_history() {
  train::TrainHistory history;
  for (int64_t step = 10; step <= 40; step += 10)
    history.steps.push_back({.step = step, .total_steps = 40, .epoch = 0, .loss = 4.0 / static_cast<double>(step),
                             .lr = 1e-3 * static_cast<double>(step), .grad_norm = 1, .tokens_per_second = 1000.0 + static_cast<double>(step),
                             .elapsed_seconds = static_cast<double>(step)});
  history.validations.push_back({.step = 20, .loss = 0.5, .perplexity = 1.65, .bleu = 40.5, .exact_match = 0.25});
  history.validations.push_back({.step = 25, .loss = 0.25, .perplexity = 1.28, .bleu = 80, .exact_match = 0.5});
  history.validations.push_back({.step = 40, .loss = 0.125, .perplexity = 1.13, .bleu = 99, .exact_match = 0.75});
  return history;
}

}  // namespace

TEST(TrainSvg, XmlEscapeReplacesMarkupAndControlCharacters) {
  EXPECT_EQ(train::xml_escape("<s> & \"q\" 'a'"), "&lt;s&gt; &amp; &quot;q&quot; &apos;a&apos;");
  EXPECT_EQ(train::xml_escape("été ▁x"), "été ▁x");
  EXPECT_EQ(train::xml_escape(std::string("a\x01" "b")), "a\xEF\xBF\xBD" "b");
}

TEST(TrainSvg, NiceTicksCoverTheRangeWithRoundEvenSteps) {
  struct Case {
    double low, high;
    int max;
  };
  for (Case c : {Case{0, 1, 6}, Case{0, 97, 6}, Case{3.7, 3.9, 5}, Case{-12, 1234, 8}, Case{0.001, 0.0042, 4}, Case{7, 7, 6}}) {
    std::vector<double> ticks = train::nice_ticks(c.low, c.high, c.max);
    ASSERT_GE(ticks.size(), 2u);
    EXPECT_LE(ticks.size(), static_cast<size_t>(c.max));
    EXPECT_LE(ticks.front(), c.low);
    EXPECT_GE(ticks.back(), c.high);
    const double step = ticks[1] - ticks[0];
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    EXPECT_TRUE(std::fabs(mantissa - 1) < 1e-6 || std::fabs(mantissa - 2) < 1e-6 || std::fabs(mantissa - 5) < 1e-6)
        << "step " << step;
    for (size_t i = 1; i < ticks.size(); ++i) EXPECT_NEAR(ticks[i] - ticks[i - 1], step, step * 1e-9);
  }
  std::vector<double> unit = train::nice_ticks(0, 1, 6);
  EXPECT_EQ(unit.size(), 6u);
  EXPECT_NEAR(unit[1], 0.2, 1e-12);
  expect_error([] { train::nice_ticks(2, 1, 5); }, {"nice_ticks", "[2, 1]"});
}

TEST(TrainSvg, ChartsAreWellFormedWithOneGroupPerSeriesAndEscapedLegends) {
  train::Chart chart{.title = "a <b> & c", .x_label = "step", .y_label = "loss",
                     .series = {{.label = "train <loss>", .x = {1, 2, 3}, .y = {3, 2, 1}},
                                {.label = "valid", .x = {2}, .y = {1.5}},
                                {.label = "empty", .x = {}, .y = {}},
                                {.label = "nan only", .x = {1}, .y = {NAN}}}};
  std::string svg = train::charts_svg({chart, chart});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_TRUE(svg.starts_with("<?xml"));
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_EQ(count(svg, "<g class=\"series\""), 4u);       // two drawable series in each of two charts
  EXPECT_EQ(count(svg, "class=\"legend-label\""), 4u);
  EXPECT_EQ(count(svg, "train &lt;loss&gt;"), 4u);         // in the legend and the group's data-label
  EXPECT_EQ(count(svg, "a &lt;b&gt; &amp; c"), 2u);
  EXPECT_EQ(svg.find("<loss>"), std::string::npos);
  EXPECT_GE(count(svg, "class=\"tick\""), 8u);
  train::Chart bad{.series = {{.label = "x", .x = {1, 2}, .y = {1}}}};
  expect_error([&] { train::charts_svg({bad}); }, {"charts_svg", "2 x values", "1 y values"});
}

TEST(TrainSvg, HeatmapHasALabelPerRowAndColumnAndACellPerValue) {
  train::Heatmap map{.title = "attention", .row_labels = {"le", "chat", "</s>"},
                     .column_labels = {"the", "cat", "<unk>", "&"},
                     .values = {1, 0, 0, 0, 0, 0.5f, 0.5f, 0, 0, 0, 0.25f, 2.0f}};
  std::string svg = train::heatmap_svg(map);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(count(svg, "class=\"row-label\""), 3u);
  EXPECT_EQ(count(svg, "class=\"column-label\""), 4u);
  EXPECT_EQ(count(svg, "class=\"cell\""), 12u);
  EXPECT_NE(svg.find("&lt;unk&gt;"), std::string::npos);
  EXPECT_NE(svg.find("&lt;/s&gt;"), std::string::npos);
  // 0 is white, 1 (and 2, clamped) the darkest blue.
  EXPECT_NE(svg.find("fill=\"#ffffff\"><title>le / cat"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#08306b\"><title>le / the"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#08306b\"><title>&lt;/s&gt; / &amp;"), std::string::npos);
  map.values.pop_back();
  expect_error([&] { train::heatmap_svg(map); }, {"heatmap_svg", "11 values", "3 rows", "4 columns"});
}

TEST(TrainPlots, AttentionHeatmapAveragesOrSelectsLayersAndHeads) {
  // 2 target steps (one token, then EOS), 2 layers, 2 heads, 3 source tokens; value = t + l/10 + h/100 + s/1000.
  std::vector<float> values;
  for (int t = 0; t < 2; ++t)
    for (int l = 0; l < 2; ++l)
      for (int h = 0; h < 2; ++h)
        for (int s = 0; s < 3; ++s) values.push_back(static_cast<float>(t + l / 10.0 + h / 100.0 + s / 1000.0));
  train::Translation translation{.text = "x", .tokens = {"x"}, .source_tokens = {"a", "b", "c"}, .score = 0,
                                 .finished = true, .attention = from_vector(values, {2, 2, 2, 3})};
  train::Heatmap mean = train::attention_heatmap(translation);
  EXPECT_EQ(mean.row_labels, (std::vector<std::string>{"x", "</s>"}));
  EXPECT_EQ(mean.column_labels, translation.source_tokens);
  ASSERT_EQ(mean.values.size(), 6u);
  EXPECT_NEAR(mean.values[4], 1 + 0.05 + 0.005 + 0.001, 1e-6);  // t = 1, s = 1: means of l/10 and h/100
  train::Heatmap one = train::attention_heatmap(translation, {.layer = 1, .head = 0});
  EXPECT_NEAR(one.values[2], 0.1 + 0.002, 1e-6);
  train::Heatmap layer = train::attention_heatmap(translation, {.layer = 0, .head = std::nullopt});
  EXPECT_NEAR(layer.values[3], 1 + 0.005, 1e-6);
  expect_error([&] { train::attention_heatmap(translation, {.layer = 2, .head = std::nullopt}); }, {"layer 2", "2 decoder layer"});
  expect_error([&] { train::attention_heatmap(translation, {.layer = std::nullopt, .head = -1}); }, {"head -1"});
  translation.attention = Tensor();
  expect_error([&] { train::attention_heatmap(translation); }, {"no attention"});
}

TEST(TrainPlots, TrainingSvgDrawsLossesAndScores) {
  std::string svg = train::training_svg(sample_history());
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(count(svg, "<g class=\"chart\">"), 2u);
  for (const char* label : {"train (label-smoothed)", "valid", "BLEU", "exact match %"})
    EXPECT_EQ(count(svg, std::string("data-label=\"") + label + "\""), 1u) << label;
  // An empty history still gives a valid (empty) chart.
  EXPECT_EQ(xml_problem(train::training_svg({})), "");
}

TEST(TrainMetricsCsv, OneRowPerStepWithEmptyCellsWhereNothingWasMeasured) {
  std::string csv = train::metrics_csv(sample_history());
  std::vector<std::string> lines;
  std::stringstream in(csv);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);  // header, steps 10, 20, 25, 30, 40
  EXPECT_EQ(lines[0], "step,train_loss,lr,tokens_per_s,valid_loss,bleu,exact_match");
  EXPECT_EQ(lines[1], "10,0.4,0.01,1010,,,");
  EXPECT_EQ(lines[2], "20,0.2,0.02,1020,0.5,40.5000,0.2500");
  EXPECT_EQ(lines[3], "25,,,,0.25,80.0000,0.5000");
  EXPECT_EQ(lines[5], "40,0.1,0.04,1040,0.125,99.0000,0.7500");
  for (const std::string& line : lines) EXPECT_EQ(std::count(line.begin(), line.end(), ','), 6) << line;
}

