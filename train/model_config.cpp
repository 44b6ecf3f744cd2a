// ModelConfig: building models, reading a model's config back, describing it.
#include "heed/train/model_config.h"

#include <fmt/format.h>

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

}  // namespace

std::string model_kind(const ModelConfig& config) {
  return std::holds_alternative<models::TransformerConfig>(config) ? "transformer" : "lstm";
}

std::shared_ptr<models::Seq2Seq> make_model(const ModelConfig& config) {
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
