// train::ModelConfig: which model, with which settings — what a model directory's config.json
// stores and what make_model builds from.
//
//   train::ModelConfig config = models::TransformerConfig{.source_vocab_size = 20, .target_vocab_size = 20};
//   std::shared_ptr<models::Seq2Seq> model = train::make_model(config);
//   train::model_kind(config)             // "transformer"
#pragma once

#include <map>
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
// check_fits_in_memory(config) first: a configuration too large for this machine is an error
// naming its largest part, not a std::bad_alloc after gigabytes.
std::shared_ptr<models::Seq2Seq> make_model(const ModelConfig& config);
// The floats a model of `config` holds (parameters, and buffers such as the sinusoidal position
// table), counted from the configuration alone; a double, as an oversized one overflows int64.
double weight_count(const ModelConfig& config);
// heed::Error unless the weights of `config` (4 bytes each) fit in available_memory()
// (core/allocator.h), naming the largest part of the model, its fields and their values.
void check_fits_in_memory(const ModelConfig& config);
// heed::Error unless the fields of `config` that set tensor shapes (vocabulary sizes, widths,
// layer counts) agree with `weights`, the shapes of the weights file (nn::load_shapes): names
// `config_file`, the field, its value, `weights_file` and its value. Tensors missing from the file
// are left to load_state_dict to report. Reads no tensor, so it runs before the model is built.
void check_config_fits_weights(const ModelConfig& config, const std::map<std::string, Shape>& weights,
                               const std::string& config_file, const std::string& weights_file);
// The configuration of a Transformer or LSTMSeq2Seq; heed::Error for any other model.
ModelConfig config_of(const models::Seq2Seq& model);
// One line for printouts: "transformer: d_model 128, 4 heads, 3+3 layers, ff 512, ...".
std::string describe(const ModelConfig& config);

}  // namespace heed::train
