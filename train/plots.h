// heed's training plots, drawn with train/svg.h:
//   training_svg       training.svg: the training loss (label smoothing included, so it stays above
//                      the validation loss, which has none) with the validation loss, and the
//                      validation BLEU and exact match (in %), against the update step
//   attention_heatmap  a translation's cross-attention: one row per target token (and </s> when
//                      the translation ended), one column per source token
//
//   data::write_file_atomically(dir + "/training.svg", train::training_svg(history), "my_program");
//   auto map = train::attention_heatmap(translations[0], {});            // mean of layers, heads
//   data::write_file_atomically("attention.svg", train::heatmap_svg(map), "my_program");
#pragma once

#include <optional>
#include <string>

#include "heed/train/history.h"
#include "heed/train/svg.h"
#include "heed/train/translator.h"

namespace heed::train {

std::string training_svg(const TrainHistory& history);

// Which attention to draw: a decoder layer and a head (0-based), or the mean over all of them.
struct AttentionSelection {
  std::optional<int64_t> layer;
  std::optional<int64_t> head;
};

// heed::Error when the translation has no attention (decode with need_attention) or the layer or
// head is out of range.
Heatmap attention_heatmap(const Translation& translation, const AttentionSelection& selection = {});

}  // namespace heed::train
