// training.svg and attention heatmaps from a TrainHistory and a Translation.
#include "heed/train/plots.h"

#include "heed/core/error.h"

namespace heed::train {

std::string training_svg(const TrainHistory& history) {
  Series train_loss{.label = "train (label-smoothed)"}, valid_loss{.label = "valid"};
  Series bleu{.label = "BLEU"}, exact{.label = "exact match %"};
  for (const StepRecord& record : history.steps) {
    train_loss.x.push_back(static_cast<double>(record.step));
    train_loss.y.push_back(record.loss);
  }
  for (const ValidationRecord& record : history.validations) {
    const auto step = static_cast<double>(record.step);
    valid_loss.x.push_back(step);
    valid_loss.y.push_back(record.loss);
    bleu.x.push_back(step);
    bleu.y.push_back(record.bleu);
    exact.x.push_back(step);
    exact.y.push_back(100 * record.exact_match);
  }
  Chart losses{.title = "Loss", .x_label = "step", .y_label = "cross-entropy per token",
               .series = {train_loss, valid_loss}, .y_floor = 0, .y_ceiling = NAN, .x_floor = 0};
  Chart scores{.title = "Validation", .x_label = "step", .y_label = "BLEU, exact match (%)",
               .series = {bleu, exact}, .y_floor = 0, .y_ceiling = 100, .x_floor = 0};
  return charts_svg({losses, scores});
}

Heatmap attention_heatmap(const Translation& translation, const AttentionSelection& selection) {
  const Tensor& attention = translation.attention;  // (steps, L, H, S)
  HEED_CHECK(attention.defined() && attention.dim() == 4, "attention_heatmap",
             "the translation has no attention weights (decode with need_attention)");
  const int64_t steps = attention.size(0), layers = attention.size(1), heads = attention.size(2),
                sources = attention.size(3);
  HEED_CHECK(!selection.layer || (*selection.layer >= 0 && *selection.layer < layers), "attention_heatmap",
             "layer {} is out of range: the model has {} decoder layer(s), numbered from 0", *selection.layer, layers);
  HEED_CHECK(!selection.head || (*selection.head >= 0 && *selection.head < heads), "attention_heatmap",
             "head {} is out of range: the model has {} head(s), numbered from 0", *selection.head, heads);
  HEED_CHECK(static_cast<size_t>(sources) == translation.source_tokens.size(), "attention_heatmap",
             "attention over {} source positions for {} source tokens", sources, translation.source_tokens.size());

  Heatmap map;
  map.column_labels = translation.source_tokens;
  map.row_labels = translation.tokens;
  if (static_cast<size_t>(steps) > translation.tokens.size()) map.row_labels.emplace_back("</s>");
  map.row_labels.resize(static_cast<size_t>(steps));
  const std::string layer_text = selection.layer ? fmt::format("layer {}", *selection.layer) : "mean of layers";
  const std::string head_text = selection.head ? fmt::format("head {}", *selection.head) : "mean of heads";
  map.title = fmt::format("Cross-attention ({}, {})", layer_text, head_text);

  const std::vector<float> values = attention.to_vector<float>();
  const int64_t l0 = selection.layer.value_or(0), l1 = selection.layer ? l0 + 1 : layers;
  const int64_t h0 = selection.head.value_or(0), h1 = selection.head ? h0 + 1 : heads;
  const auto averaged = static_cast<float>((l1 - l0) * (h1 - h0));
  map.values.assign(static_cast<size_t>(steps * sources), 0.0f);
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t l = l0; l < l1; ++l)
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t s = 0; s < sources; ++s)
          map.values[static_cast<size_t>(t * sources + s)] +=
              values[static_cast<size_t>(((t * layers + l) * heads + h) * sources + s)] / averaged;
  return map;
}

}  // namespace heed::train
