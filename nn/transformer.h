// Stacks of Transformer layers and the whole encoder-decoder, as PyTorch's nn.TransformerEncoder,
// nn.TransformerDecoder and nn.Transformer with batch_first=True. State-dict keys are PyTorch's:
//   encoder.layers.0.self_attn.in_proj_weight, ..., encoder.norm.weight,
//   decoder.layers.0.multihead_attn.out_proj.bias, ..., decoder.norm.bias
// The layers themselves live in nn/transformer_layer.h.
//
// One difference from PyTorch: a stack builds each layer afresh (its own random initialisation),
// where PyTorch deep-copies one layer N times, so all N start equal. nn::Transformer then
// re-initialises every matrix with xavier_uniform, as PyTorch's does, so there the two agree.
#pragma once

#include "heed/nn/module.h"
#include "heed/nn/transformer_layer.h"

namespace heed::nn {

class TransformerEncoder : public Module {
 public:
  // num_layers layers of (d_model, nhead, layer); with final_norm, a LayerNorm after the last one
  // (PyTorch's `norm` argument; pre-norm stacks need it).
  TransformerEncoder(int64_t num_layers, int64_t d_model, int64_t nhead, TransformerLayerOptions layer = {},
                     bool final_norm = false);
  // src (B, S, E) -> (B, S, E)
  Tensor forward(const Tensor& src, const TransformerEncoderArgs& args = {}) const;

  std::shared_ptr<ModuleList<TransformerEncoderLayer>> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

class TransformerDecoder : public Module {
 public:
  TransformerDecoder(int64_t num_layers, int64_t d_model, int64_t nhead, TransformerLayerOptions layer = {},
                     bool final_norm = false);
  // tgt (B, T, E), memory (B, S, E) -> (B, T, E)
  Tensor forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderArgs& args = {}) const;

  std::shared_ptr<ModuleList<TransformerDecoderLayer>> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

struct TransformerOptions {
  int64_t d_model = 512;
  int64_t nhead = 8;
  int64_t num_encoder_layers = 6;
  int64_t num_decoder_layers = 6;
  int64_t dim_feedforward = 2048;
  float dropout = 0.1f;
  Activation activation = Activation::ReLU;
  float layer_norm_eps = 1e-5f;
  bool norm_first = false;
};

// Every mask of an encoder-decoder pass (see ops::AttentionOptions for their rules).
struct TransformerArgs {
  Tensor src_mask = {};                  // (S, S), encoder self-attention
  Tensor tgt_mask = {};                  // (T, T), decoder self-attention
  Tensor memory_mask = {};               // (T, S), decoder attention to the encoder's output
  Tensor src_key_padding_mask = {};      // (B, S)
  Tensor tgt_key_padding_mask = {};      // (B, T)
  Tensor memory_key_padding_mask = {};   // (B, S), usually src_key_padding_mask
  bool tgt_is_causal = false;            // target position i may not attend to j > i
};

// The encoder-decoder of "Attention Is All You Need" without embeddings or output layer: both
// stacks end in a LayerNorm (encoder.norm, decoder.norm), and every parameter matrix starts from
// xavier_uniform.
class Transformer : public Module {
 public:
  explicit Transformer(TransformerOptions options = {});
  // src (B, S, E), tgt (B, T, E) -> (B, T, E): the decoder's output over the encoded src.
  Tensor forward(const Tensor& src, const Tensor& tgt, const TransformerArgs& args = {}) const;
  std::string describe() const override;

  // PyTorch's generate_square_subsequent_mask: (size, size) float32, −∞ above the diagonal and 0
  // on and below it (the causal mask as an additive tensor; the flag tgt_is_causal does the same).
  static Tensor generate_square_subsequent_mask(int64_t size);

  std::shared_ptr<TransformerEncoder> encoder;
  std::shared_ptr<TransformerDecoder> decoder;
  int64_t d_model, nhead;
};

}  // namespace heed::nn
