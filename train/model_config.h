// train::ModelConfig: which model, with which settings — what a model directory's config.json
// stores and what make_model builds from.
//
//   train::ModelConfig config = models::TransformerConfig{.source_vocab_size = 20, .target_vocab_size = 20};
//   std::shared_ptr<models::Seq2Seq> model = train::make_model(config);
//   train::model_kind(config)             // "transformer"
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "heed/models/lstm_seq2seq.h"
#include "heed/models/transformer.h"

namespace heed::train {

using ModelConfig = std::variant<models::TransformerConfig, models::LSTMSeq2SeqConfig>;

// "transformer" or "lstm".
std::string model_kind(const ModelConfig& config);
// A new model with freshly initialised weights (from the default generator: manual_seed first).
std::shared_ptr<models::Seq2Seq> make_model(const ModelConfig& config);
// The configuration of a Transformer or LSTMSeq2Seq; heed::Error for any other model.
ModelConfig config_of(const models::Seq2Seq& model);
// One line for printouts: "transformer: d_model 128, 4 heads, 3+3 layers, ff 512, ...".
std::string describe(const ModelConfig& config);

}  // namespace heed::train
