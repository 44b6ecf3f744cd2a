// ModelConfig: building models, reading a model's config back, describing it.
#include "heed/train/model_config.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "heed/core/allocator.h"
#include "heed/core/error.h"

namespace heed::train {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;  // implicit in C++20, but clang 14 does not deduce aggregates

const char* attention_name(models::RnnAttentionKind kind) {
  switch (kind) {
    case models::RnnAttentionKind::Additive: return "additive";
    case models::RnnAttentionKind::LuongDot: return "dot";
    case models::RnnAttentionKind::LuongGeneral: return "general";
  }
  return "?";
}

// ---- sizes ----

// One part of a model's weights: what it is, with the fields that set its size, and its floats.
struct WeightPart {
  std::string what;
  double count;
};

double size_of(int64_t field) { return field > 0 ? static_cast<double>(field) : 0.0; }

std::vector<WeightPart> weight_parts(const models::TransformerConfig& c) {
  const double E = size_of(c.d_model), F = size_of(c.dim_feedforward), target = size_of(c.target_vocab_size);
  const double attention = 4 * E * E + 4 * E;     // in_proj (3E, E), out_proj (E, E) and their biases
  const double feed_forward = 2 * E * F + F + E;  // linear1 (F, E), linear2 (E, F) and their biases
  const double norm = 2 * E;                      // a LayerNorm's weight and bias
  const double final_norm = c.norm_first || c.final_norms ? norm : 0;
  const double position_tables = c.positions == models::PositionalEncoding::Sinusoidal ? 1 : 2;
  return {{fmt::format("the embeddings (source_vocab_size {}, target_vocab_size {}, d_model {})", c.source_vocab_size,
                       c.target_vocab_size, c.d_model),
           (c.share_embeddings ? target : size_of(c.source_vocab_size) + target) * E},
          {fmt::format("the positions (max_length {}, d_model {})", c.max_length, c.d_model),
           position_tables * size_of(c.max_length) * E},
          {fmt::format("the encoder (num_encoder_layers {}, d_model {}, dim_feedforward {})", c.num_encoder_layers,
                       c.d_model, c.dim_feedforward),
           size_of(c.num_encoder_layers) * (attention + feed_forward + 2 * norm) + final_norm},
          {fmt::format("the decoder (num_decoder_layers {}, d_model {}, dim_feedforward {})", c.num_decoder_layers,
                       c.d_model, c.dim_feedforward),
           size_of(c.num_decoder_layers) * (2 * attention + feed_forward + 3 * norm) + final_norm},
          {fmt::format("the output projection (d_model {}, target_vocab_size {})", c.d_model, c.target_vocab_size),
           c.tie_output ? 0 : E * target + target}};
}

// An LSTM layer's (or cell's) weight_ih (4h, input), weight_hh (4h, h) and its two biases (4h).
double lstm_layer_count(double input, double hidden) { return 4 * hidden * (input + hidden + 2); }

std::vector<WeightPart> weight_parts(const models::LSTMSeq2SeqConfig& c) {
  const double E = size_of(c.embedding_size), H = size_of(c.hidden_size), target = size_of(c.target_vocab_size);
  const double more_layers = std::max(size_of(c.num_layers) - 1, 0.0);
  const double directions = c.bidirectional_encoder ? 2 : 1;
  const double h = c.bidirectional_encoder ? size_of(c.hidden_size / 2) : H;  // each encoder direction's
  const double attention = c.attention == models::RnnAttentionKind::Additive       ? 2 * H * H + H
                           : c.attention == models::RnnAttentionKind::LuongGeneral ? H * H
                                                                                   : 0;
  return {{fmt::format("the embeddings (source_vocab_size {}, target_vocab_size {}, embedding_size {})",
                       c.source_vocab_size, c.target_vocab_size, c.embedding_size),
           (size_of(c.source_vocab_size) + target) * E},
          {fmt::format("the encoder (num_layers {}, embedding_size {}, hidden_size {})", c.num_layers, c.embedding_size,
                       c.hidden_size),
           directions * (lstm_layer_count(E, h) + more_layers * lstm_layer_count(directions * h, h))},
          {fmt::format("the decoder (num_layers {}, embedding_size {}, hidden_size {})", c.num_layers, c.embedding_size,
                       c.hidden_size),
           lstm_layer_count(E + (c.input_feeding ? H : 0), H) + more_layers * lstm_layer_count(H, H)},
          {fmt::format("the attention and output projection (hidden_size {}, target_vocab_size {})", c.hidden_size,
                       c.target_vocab_size),
           attention + 2 * H * H + H * target + target}};  // combine (H, 2H), generator (V, H) and its bias
}

std::vector<WeightPart> weight_parts(const ModelConfig& config) {
  return std::visit([](const auto& c) { return weight_parts(c); }, config);
}

std::string in_gib(double bytes) { return fmt::format("{:.3g} GiB", bytes / (1 << 30)); }

// ---- config against weights ----

// A configuration field that the weights file records as one size of one tensor.
struct SizeField {
  const char* field;
  int64_t value;
  std::string tensor;
  size_t dim;
};

// A configuration field that the weights file records as the number of layers "<prefix>N.".
struct LayerField {
  const char* field;
  int64_t value;
  std::string prefix;
};

std::pair<std::vector<SizeField>, std::vector<LayerField>> recorded_fields(const models::TransformerConfig& c) {
  const std::string source = c.share_embeddings ? "embedding.weight" : "source_embedding.weight";
  const std::string target = c.share_embeddings ? "embedding.weight" : "target_embedding.weight";
  const std::string positions =
      c.positions == models::PositionalEncoding::Sinusoidal ? "positions.pe" : "source_positions.weight";
  return {{{"source_vocab_size", c.source_vocab_size, source, 0},
           {"target_vocab_size", c.target_vocab_size, target, 0},
           {"d_model", c.d_model, target, 1},
           {"dim_feedforward", c.dim_feedforward, "encoder.layers.0.linear1.weight", 0},
           {"max_length", c.max_length, positions, 0}},
          {{"num_encoder_layers", c.num_encoder_layers, "encoder.layers."},
           {"num_decoder_layers", c.num_decoder_layers, "decoder.layers."}}};
}

std::pair<std::vector<SizeField>, std::vector<LayerField>> recorded_fields(const models::LSTMSeq2SeqConfig& c) {
  return {{{"source_vocab_size", c.source_vocab_size, "source_embedding.weight", 0},
           {"embedding_size", c.embedding_size, "source_embedding.weight", 1},
           {"target_vocab_size", c.target_vocab_size, "target_embedding.weight", 0},
           {"hidden_size", c.hidden_size, "generator.weight", 1}},
          {{"num_layers", c.num_layers, "decoder."}}};
}

// The layer numbers N of the tensors named "<prefix>N.<rest>".
std::set<std::string> layers_under(const std::map<std::string, Shape>& weights, const std::string& prefix) {
  std::set<std::string> layers;
  for (auto it = weights.lower_bound(prefix); it != weights.end() && it->first.starts_with(prefix); ++it) {
    const std::string rest = it->first.substr(prefix.size());
    layers.insert(rest.substr(0, rest.find('.')));
  }
  return layers;
}

}  // namespace

std::string model_kind(const ModelConfig& config) {
  return std::holds_alternative<models::TransformerConfig>(config) ? "transformer" : "lstm";
}

double weight_count(const ModelConfig& config) {
  double count = 0;
  for (const WeightPart& part : weight_parts(config)) count += part.count;
  return count;
}

void check_fits_in_memory(const ModelConfig& config) {
  const std::vector<WeightPart> parts = weight_parts(config);
  const double bytes = weight_count(config) * sizeof(float);
  const double available = static_cast<double>(available_memory());
  if (bytes <= available) return;
  const WeightPart& largest = *std::max_element(
      parts.begin(), parts.end(), [](const WeightPart& a, const WeightPart& b) { return a.count < b.count; });
  throw Error(fmt::format("make_model: the {} model's weights would take {}, more than the {} of memory available "
                          "(MemAvailable, ulimit -v); the largest part is {}: {}",
                          model_kind(config), in_gib(bytes), in_gib(available), largest.what,
                          in_gib(largest.count * sizeof(float))));
}

void check_config_fits_weights(const ModelConfig& config, const std::map<std::string, Shape>& weights,
                               const std::string& config_file, const std::string& weights_file) {
  const auto [sizes, layers] = std::visit([](const auto& c) { return recorded_fields(c); }, config);
  for (const SizeField& f : sizes) {
    auto found = weights.find(f.tensor);
    if (found == weights.end() || found->second.size() <= f.dim) continue;
    HEED_CHECK(found->second[f.dim] == f.value, "load_model_dir",
               "{}: the field \"model.{}\" is {}, but {} has {} ({} is {})", config_file, f.field, f.value,
               weights_file, found->second[f.dim], f.tensor, found->second);
  }
  for (const LayerField& f : layers) {
    const std::set<std::string> found = layers_under(weights, f.prefix);
    HEED_CHECK(found.empty() || static_cast<int64_t>(found.size()) == f.value, "load_model_dir",
               "{}: the field \"model.{}\" is {}, but {} has {} layers (tensors \"{}N.*\")", config_file, f.field,
               f.value, weights_file, found.size(), f.prefix);
  }
}

std::shared_ptr<models::Seq2Seq> make_model(const ModelConfig& config) {
  check_fits_in_memory(config);
  return std::visit(Overloaded{
                        [](const models::TransformerConfig& c) -> std::shared_ptr<models::Seq2Seq> {
                          return std::make_shared<models::Transformer>(c);
                        },
                        [](const models::LSTMSeq2SeqConfig& c) -> std::shared_ptr<models::Seq2Seq> {
                          return std::make_shared<models::LSTMSeq2Seq>(c);
                        },
                    },
                    config);
}

ModelConfig config_of(const models::Seq2Seq& model) {
  if (const auto* transformer = dynamic_cast<const models::Transformer*>(&model)) return transformer->config;
  if (const auto* lstm = dynamic_cast<const models::LSTMSeq2Seq*>(&model)) return lstm->config;
  throw Error(fmt::format("config_of: {} is neither a models::Transformer nor a models::LSTMSeq2Seq; only those "
                          "two can be rebuilt from a configuration",
                          model.describe()));
}

std::string describe(const ModelConfig& config) {
  return std::visit(
      Overloaded{
          [](const models::TransformerConfig& c) {
            return fmt::format(
                "transformer: d_model {}, {} heads, {}+{} layers, feed-forward {}, dropout {}, {}, {} positions{}{}, "
                "vocabularies {} -> {}{}",
                c.d_model, c.nhead, c.num_encoder_layers, c.num_decoder_layers, c.dim_feedforward, c.dropout,
                c.norm_first ? "pre-norm" : "post-norm",
                c.positions == models::PositionalEncoding::Sinusoidal ? "sinusoidal" : "learned",
                c.share_embeddings ? ", shared embeddings" : "", c.tie_output ? ", tied output" : "",
                c.source_vocab_size, c.target_vocab_size,
                c.pitfall == models::Pitfall::None ? "" : fmt::format(", PITFALL {}", models::pitfall_name(c.pitfall)));
          },
          [](const models::LSTMSeq2SeqConfig& c) {
            return fmt::format(
                "lstm: embedding {}, hidden {}, {} layer(s), {} encoder, {} attention{}, dropout {}, "
                "vocabularies {} -> {}",
                c.embedding_size, c.hidden_size, c.num_layers, c.bidirectional_encoder ? "bidirectional" : "forward",
                attention_name(c.attention), c.input_feeding ? ", input feeding" : "", c.dropout, c.source_vocab_size,
                c.target_vocab_size);
          },
      },
      config);
}

}  // namespace heed::train
