#include "heed/nn/transformer.h"

#include <limits>

#include "heed/core/anomaly.h"
#include "heed/core/factories.h"
#include "heed/nn/init.h"

namespace heed::nn {

TransformerEncoder::TransformerEncoder(int64_t num_layers, int64_t d_model, int64_t nhead,
                                       TransformerLayerOptions layer, bool final_norm) {
  HEED_CHECK(num_layers > 0, "TransformerEncoder", "num_layers {}; expected at least 1", num_layers);
  layers = register_module("layers", ModuleList<TransformerEncoderLayer>());
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(TransformerEncoderLayer(d_model, nhead, layer));
  if (final_norm) norm = register_module("norm", LayerNorm(d_model, {.eps = layer.layer_norm_eps}));
}

Tensor TransformerEncoder::forward(const Tensor& src, const TransformerEncoderArgs& args) const {
  Tensor x = src;  // (B, S, E)
  for (size_t i = 0; i < layers->size(); ++i) {
    AnomalyScope scope("layers", static_cast<int64_t>(i));
    x = (*layers)[i].forward(x, args);  // (B, S, E)
  }
  AnomalyScope scope("norm");
  return norm ? norm->forward(x) : x;  // (B, S, E)
}

TransformerDecoder::TransformerDecoder(int64_t num_layers, int64_t d_model, int64_t nhead,
                                       TransformerLayerOptions layer, bool final_norm) {
  HEED_CHECK(num_layers > 0, "TransformerDecoder", "num_layers {}; expected at least 1", num_layers);
  layers = register_module("layers", ModuleList<TransformerDecoderLayer>());
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(TransformerDecoderLayer(d_model, nhead, layer));
  if (final_norm) norm = register_module("norm", LayerNorm(d_model, {.eps = layer.layer_norm_eps}));
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderArgs& args) const {
  Tensor x = tgt;  // (B, T, E)
  for (size_t i = 0; i < layers->size(); ++i) {
    AnomalyScope scope("layers", static_cast<int64_t>(i));
    x = (*layers)[i].forward(x, memory, args);  // (B, T, E)
  }
  AnomalyScope scope("norm");
  return norm ? norm->forward(x) : x;  // (B, T, E)
}

Transformer::Transformer(TransformerOptions options) : d_model(options.d_model), nhead(options.nhead) {
  const TransformerLayerOptions layer{.dim_feedforward = options.dim_feedforward,
                                     .dropout = options.dropout,
                                     .activation = options.activation,
                                     .layer_norm_eps = options.layer_norm_eps,
                                     .norm_first = options.norm_first};
  encoder = register_module("encoder", TransformerEncoder(options.num_encoder_layers, d_model, nhead, layer, true));
  decoder = register_module("decoder", TransformerDecoder(options.num_decoder_layers, d_model, nhead, layer, true));
  for (Tensor& p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p);
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt, const TransformerArgs& args) const {
  HEED_CHECK(src.dim() == 3 && tgt.dim() == 3 && src.size(0) == tgt.size(0) && src.size(2) == d_model &&
                 tgt.size(2) == d_model,
             "Transformer", "src is {} and tgt is {}; expected (B, S, {}) and (B, T, {}) (batch first)", src.shape(),
             tgt.shape(), d_model, d_model);
  Tensor memory;
  {
    AnomalyScope scope("encoder");
    memory = encoder->forward(src, {.src_mask = args.src_mask,
                                    .src_key_padding_mask = args.src_key_padding_mask});  // (B, S, E)
  }
  AnomalyScope scope("decoder");
  return decoder->forward(tgt, memory,
                          {.tgt_mask = args.tgt_mask,
                           .memory_mask = args.memory_mask,
                           .tgt_key_padding_mask = args.tgt_key_padding_mask,
                           .memory_key_padding_mask = args.memory_key_padding_mask,
                           .tgt_is_causal = args.tgt_is_causal});  // (B, T, E)
}

std::string Transformer::describe() const {
  return fmt::format("Transformer(d_model={}, nhead={}, num_encoder_layers={}, num_decoder_layers={})", d_model, nhead,
                     encoder->layers->size(), decoder->layers->size());
}

Tensor Transformer::generate_square_subsequent_mask(int64_t size) {
  std::vector<float> values(static_cast<size_t>(size * size), 0.0f);
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = i + 1; j < size; ++j) values[i * size + j] = -std::numeric_limits<float>::infinity();
  return from_vector(values, {size, size});
}

}  // namespace heed::nn
