// models::Transformer: the encoder-decoder of "Attention Is All You Need" as a translation model.
//
//   source ids (B, S) -> embedding · √E + positions -> dropout -> encoder stack -> memory (B, S, E)
//   target ids (B, T) -> embedding · √E + positions -> dropout -> decoder stack (causal, attends to
//   memory) -> generator -> logits (B, T, V)
//
// Source padding (src == pad) is hidden from the encoder's self-attention and from the decoder's
// attention to memory. Target padding needs no mask: it only ever follows the real tokens, and the
// causal mask keeps every real position from seeing anything after it.
//
// Decoding does not rerun the decoder over the whole prefix at each step. start() encodes once and
// projects the memory's keys and values for every decoder layer's attention to memory; step() embeds
// only the newest token at its position t, and each layer (nn::TransformerDecoderLayer::forward_step)
// appends that position's self-attention keys and values to its cache and attends over positions
// 0..t. The result equals forward's logits at position t (tests/test_models_transformer.cpp checks).
//
// Where to go next: nn/transformer_layer.cpp for a layer's blocks and its one-step form,
// nn/multihead_attention.h for the projections the cache keeps, models/decode.h for greedy and beam
// search over start/step/select.
#include "heed/models/transformer.h"

#include <algorithm>
#include <array>

#include "heed/core/anomaly.h"
#include "heed/core/factories.h"
#include "heed/nn/init.h"
#include "heed/ops/index.h"
#include "heed/ops/matmul.h"
#include "heed/ops/shape.h"

namespace heed::models {
namespace {

void check_config(const TransformerConfig& c) {
  HEED_CHECK(c.source_vocab_size > 0 && c.target_vocab_size > 0, "Transformer",
             "source_vocab_size {} and target_vocab_size {}; expected both > 0", c.source_vocab_size,
             c.target_vocab_size);
  HEED_CHECK(c.d_model > 0 && c.nhead > 0 && c.d_model % c.nhead == 0, "Transformer",
             "d_model {} and nhead {}; expected both > 0 and d_model divisible by nhead", c.d_model, c.nhead);
  HEED_CHECK(c.num_encoder_layers > 0 && c.num_decoder_layers > 0 && c.dim_feedforward > 0 && c.max_length > 0,
             "Transformer",
             "num_encoder_layers {}, num_decoder_layers {}, dim_feedforward {}, max_length {}; expected all > 0",
             c.num_encoder_layers, c.num_decoder_layers, c.dim_feedforward, c.max_length);
  HEED_CHECK(c.dropout >= 0.0f && c.dropout < 1.0f, "Transformer", "dropout {}; expected a probability in [0, 1)",
             c.dropout);
  HEED_CHECK(!c.share_embeddings || c.source_vocab_size == c.target_vocab_size, "Transformer",
             "share_embeddings needs one vocabulary size; source_vocab_size is {} and target_vocab_size {}",
             c.source_vocab_size, c.target_vocab_size);
  const SpecialIds& s = c.special;
  const int64_t smallest_vocab = std::min(c.source_vocab_size, c.target_vocab_size);
  HEED_CHECK(s.pad >= 0 && s.pad < smallest_vocab && s.bos >= 0 && s.bos < c.target_vocab_size && s.eos >= 0 &&
                 s.eos < c.target_vocab_size,
             "Transformer",
             "special ids pad {}, bos {}, eos {}; expected pad in both vocabularies ([0, {}) and [0, {})) and bos, "
             "eos in the target's",
             s.pad, s.bos, s.eos, c.source_vocab_size, c.target_vocab_size);
}

// ids must be (B, L) int64 with B, L > 0.
void check_ids(const Tensor& ids, const char* op, const char* name) {
  HEED_CHECK(ids.defined(), op, "{} is an undefined tensor", name);
  check_dtype(ids, Dtype::Int64, op, name);
  HEED_CHECK(ids.dim() == 2 && ids.size(0) > 0 && ids.size(1) > 0, op,
             "{} has shape {}; expected (B, L) token ids with B, L > 0", name, ids.shape());
}

// ids (B, S) -> (B, S) int64: 1 where ids == pad, else 0.
Tensor padding_mask(const Tensor& ids, int64_t pad) {
  std::vector<int64_t> is_pad = ids.to_vector<int64_t>();
  for (int64_t& id : is_pad) id = id == pad ? 1 : 0;
  return from_vector(is_pad, ids.shape());  // (B, S)
}

// What Transformer::step carries between tokens, for N rows.
class TransformerDecoderState : public DecoderState {
 public:
  void select(const Tensor& rows) override {
    memory_padding = ops::index_select(memory_padding, 0, rows);  // (N', S)
    for (nn::DecoderLayerCache& layer : layers) {
      for (Tensor* cached : {&layer.memory_keys, &layer.memory_values})
        if (cached->defined()) *cached = ops::index_select(*cached, 0, rows);  // (N', H, S, Dh)
      layer.self_keys.select(rows);    // (N', H, t, Dh)
      layer.self_values.select(rows);  // (N', H, t, Dh)
    }
  }
  int64_t rows() const override { return memory_padding.size(0); }

  Tensor memory_padding;                      // (N, S) int64, 1 on source padding
  std::vector<nn::DecoderLayerCache> layers;  // one per decoder layer
  int64_t position = 0;                       // tokens fed so far: the next token's position
};

constexpr std::array<std::pair<Pitfall, std::string_view>, 6> kPitfallNames{{
    {Pitfall::None, "none"},
    {Pitfall::NoEmbeddingScale, "no-scale"},
    {Pitfall::MultiplicativeMask, "multiplicative-mask"},
    {Pitfall::LeakingCausalMask, "leaking-mask"},
    {Pitfall::NoWarmup, "no-warmup"},
    {Pitfall::PostNormHighLr, "post-norm-high-lr"},
}};

}  // namespace

std::string_view pitfall_name(Pitfall pitfall) {
  for (const auto& [value, name] : kPitfallNames)
    if (value == pitfall) return name;
  return "none";
}

std::optional<Pitfall> pitfall_from_name(std::string_view name) {
  for (const auto& [value, known] : kPitfallNames)
    if (known == name) return value;
  return std::nullopt;
}

Transformer::Transformer(TransformerConfig config_) : config(config_) {
  check_config(config);
  const int64_t E = config.d_model;
  const nn::TokenEmbeddingOptions embedding{.padding_idx = config.special.pad};
  if (config.share_embeddings) {
    source_embedding = target_embedding =
        register_module("embedding", nn::TokenEmbedding(config.target_vocab_size, E, embedding));
  } else {
    source_embedding = register_module("source_embedding", nn::TokenEmbedding(config.source_vocab_size, E, embedding));
    target_embedding = register_module("target_embedding", nn::TokenEmbedding(config.target_vocab_size, E, embedding));
  }
  if (config.pitfall == Pitfall::NoEmbeddingScale) source_embedding->scale = target_embedding->scale = 1.0f;
  if (config.positions == PositionalEncoding::Sinusoidal) {
    positions = register_module("positions", nn::SinusoidalPositionalEncoding(E, config.max_length));
  } else {
    source_positions = register_module("source_positions", nn::LearnedPositionalEncoding(config.max_length, E));
    target_positions = register_module("target_positions", nn::LearnedPositionalEncoding(config.max_length, E));
  }
  dropout = register_module("dropout", nn::Dropout(config.dropout));
  const nn::TransformerLayerOptions layer{.dim_feedforward = config.dim_feedforward,
                                          .dropout = config.dropout,
                                          .activation = config.activation,
                                          .norm_first = config.norm_first,
                                          .multiplicative_masks = config.pitfall == Pitfall::MultiplicativeMask};
  const bool final_norm = config.norm_first || config.final_norms;
  encoder = register_module(
      "encoder", nn::TransformerEncoder(config.num_encoder_layers, E, config.nhead, layer, final_norm));
  decoder = register_module(
      "decoder", nn::TransformerDecoder(config.num_decoder_layers, E, config.nhead, layer, final_norm));
  for (nn::Module* stack : {static_cast<nn::Module*>(encoder.get()), static_cast<nn::Module*>(decoder.get())})
    for (Tensor& p : stack->parameters())
      if (p.dim() > 1) nn::init::xavier_uniform_(p);  // as nn::Transformer and the paper's code
  if (!config.tie_output) generator = register_module("generator", nn::Linear(E, config.target_vocab_size));
}

Tensor Transformer::embed(const nn::TokenEmbedding& table, const nn::LearnedPositionalEncoding* learned,
                          const Tensor& ids, int64_t offset) const {
  Tensor x = table.forward(ids);                                                   // (B, L, E)
  x = learned != nullptr ? learned->forward(x, offset) : positions->forward(x, offset);  // (B, L, E)
  return dropout->forward(x);                                                       // (B, L, E)
}

std::pair<Tensor, Tensor> Transformer::encode(const Tensor& src) const {
  check_ids(src, "Transformer", "src");
  Tensor padding = padding_mask(src, config.special.pad);                         // (B, S)
  Tensor x = embed(*source_embedding, source_positions.get(), src, 0);            // (B, S, E)
  AnomalyScope scope("encoder");
  Tensor memory = encoder->forward(x, {.src_key_padding_mask = padding});         // (B, S, E)
  return {memory, padding};
}

Tensor Transformer::project(const Tensor& x) const {
  return generator ? generator->forward(x) : ops::linear(x, target_embedding->weight);  // (B, L, V)
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt_in) const {
  check_ids(src, "Transformer", "src");
  check_ids(tgt_in, "Transformer", "tgt_in");
  HEED_CHECK(src.size(0) == tgt_in.size(0), "Transformer",
             "src is {} and tgt_in is {}; expected (B, S) and (B, T) with the same B", src.shape(), tgt_in.shape());
  auto [memory, padding] = encode(src);                                      // (B, S, E), (B, S)
  Tensor x = embed(*target_embedding, target_positions.get(), tgt_in, 0);    // (B, T, E)
  {
    AnomalyScope scope("decoder");
    const bool causal = config.pitfall != Pitfall::LeakingCausalMask;  // the leak: position t sees t + 1, ...
    x = decoder->forward(x, memory, {.memory_key_padding_mask = padding, .tgt_is_causal = causal});  // (B, T, E)
  }
  return project(x);                                                         // (B, T, V)
}

std::unique_ptr<DecoderState> Transformer::start(const Tensor& src) const {
  auto state = std::make_unique<TransformerDecoderState>();
  auto [memory, padding] = encode(src);  // (B, S, E), (B, S)
  state->memory_padding = padding;       // (B, S)
  for (const auto& layer : *decoder->layers) state->layers.push_back(layer->cache_memory(memory));
  return state;
}

StepOutput Transformer::step(DecoderState& state, const Tensor& tokens, bool need_attention) const {
  auto* decoding = dynamic_cast<TransformerDecoderState*>(&state);
  HEED_CHECK(decoding != nullptr, "Transformer::step", "the state was not made by Transformer::start");
  HEED_CHECK(tokens.defined(), "Transformer::step", "tokens is an undefined tensor");
  check_dtype(tokens, Dtype::Int64, "Transformer::step", "tokens");
  HEED_CHECK(tokens.dim() == 1 && tokens.size(0) == decoding->rows(), "Transformer::step",
             "tokens have shape {}; expected (N = {}), one token per row of the state", tokens.shape(),
             decoding->rows());
  Tensor x = embed(*target_embedding, target_positions.get(), ops::unsqueeze(tokens, 1),
                   decoding->position);  // (N, 1, E)
  std::vector<Tensor> weights;           // (N, H, 1, S) per layer, with need_attention
  for (size_t i = 0; i < decoder->layers->size(); ++i) {
    AnomalyScope scope("decoder.layers", static_cast<int64_t>(i));
    nn::DecoderLayerStepOutput layer = (*decoder->layers)[i].forward_step(x, decoding->layers[i],
                                                                          decoding->memory_padding, need_attention);
    x = layer.output;  // (N, 1, E)
    weights.push_back(layer.memory_weights);
  }
  if (decoder->norm) x = decoder->norm->forward(x);  // (N, 1, E)
  ++decoding->position;
  StepOutput result{.logits = ops::squeeze(project(x), 1), .attention = Tensor()};  // (N, V)
  if (need_attention) result.attention = ops::squeeze(ops::stack(weights, 1), 3);  // (N, L, H, S)
  return result;
}

std::string Transformer::describe() const {
  return fmt::format(
      "Transformer(source_vocab_size={}, target_vocab_size={}, d_model={}, nhead={}, num_encoder_layers={}, "
      "num_decoder_layers={}, dim_feedforward={}, dropout={}, activation={}, norm_first={}, positions={}, "
      "share_embeddings={}, tie_output={}{})",
      config.source_vocab_size, config.target_vocab_size, config.d_model, config.nhead, config.num_encoder_layers,
      config.num_decoder_layers, config.dim_feedforward, config.dropout,
      config.activation == nn::Activation::ReLU ? "relu" : "gelu", config.norm_first,
      config.positions == PositionalEncoding::Sinusoidal ? "sinusoidal" : "learned", config.share_embeddings,
      config.tie_output,
      config.pitfall == Pitfall::None ? "" : fmt::format(", pitfall={}", pitfall_name(config.pitfall)));
}

}  // namespace heed::models
