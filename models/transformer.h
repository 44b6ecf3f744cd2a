// models::Transformer: the encoder-decoder of "Attention Is All You Need" as a complete translation
// model: token embeddings (scaled by √d_model) plus positions, nn::Transformer's encoder and
// decoder stacks, and a linear output projection ("generator") to target-vocabulary logits.
//
//   models::Transformer model({.source_vocab_size = 20, .target_vocab_size = 20, .d_model = 64});
//   Tensor logits = model.forward(src, tgt_in);     // (B, S), (B, T) -> (B, T, V)
//
// Source padding (src == pad) is masked in encoder self-attention and in the decoder's attention
// to the encoder; the decoder's self-attention is causal. Decoding (models/decode.h) runs the
// decoder one token at a time with each layer's keys and values cached: step t projects only the
// new token and attends to the cached keys of positions 0..t.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "heed/models/seq2seq.h"
#include "heed/nn/positional.h"
#include "heed/nn/transformer.h"

namespace heed::models {

enum class PositionalEncoding { Sinusoidal, Learned };

// The classic Transformer bugs, reproduced on purpose for the labs of docs/pitfalls.md (heed train
// --pitfall NAME). None is the right model. The model itself reads three of them:
//   NoEmbeddingScale    token embeddings are not multiplied by √d_model (the table still starts
//                       N(0, 1/d_model)), so the positions, of size 1, drown the tokens
//   MultiplicativeMask  attention multiplies the scores by a 0/1 mask instead of adding −∞:
//                       padded keys and future positions keep weight e^0 / Σ
//   LeakingCausalMask   teacher-forced decoding drops the causal mask: position t sees the target
//                       tokens after it (incremental decoding cannot, so translating fails)
// and the training loop the other two (the heed command sets them):
//   NoWarmup            the learning rate starts at its peak
//   PostNormHighLr      post-norm layers (the paper's) trained with a high learning rate
enum class Pitfall { None, NoEmbeddingScale, MultiplicativeMask, LeakingCausalMask, NoWarmup, PostNormHighLr };

// "none", "no-scale", "multiplicative-mask", "leaking-mask", "no-warmup", "post-norm-high-lr".
std::string_view pitfall_name(Pitfall pitfall);
// The pitfall of that name; nullopt for an unknown name.
std::optional<Pitfall> pitfall_from_name(std::string_view name);

struct TransformerConfig {
  int64_t source_vocab_size = 0;
  int64_t target_vocab_size = 0;
  int64_t d_model = 128;
  int64_t nhead = 4;
  int64_t num_encoder_layers = 3;
  int64_t num_decoder_layers = 3;
  int64_t dim_feedforward = 512;
  float dropout = 0.1f;
  nn::Activation activation = nn::Activation::ReLU;
  bool norm_first = true;                // pre-norm (trains more easily); false: the paper's post-norm
  bool final_norms = false;              // post-norm stacks also end in a LayerNorm, as PyTorch's
                                         // nn.Transformer's do (pre-norm stacks always end in one)
  PositionalEncoding positions = PositionalEncoding::Sinusoidal;
  int64_t max_length = 1024;             // longest source or target the position table covers
  bool share_embeddings = false;         // one table for source and target (needs equal vocab sizes)
  bool tie_output = false;               // the output projection reuses the target embedding table
  SpecialIds special = {};
  Pitfall pitfall = Pitfall::None;       // a classic bug on purpose, for the labs; leave None
};

class Transformer : public Seq2Seq {
 public:
  explicit Transformer(TransformerConfig config);

  Tensor forward(const Tensor& src, const Tensor& tgt_in) const override;
  std::unique_ptr<DecoderState> start(const Tensor& src) const override;
  StepOutput step(DecoderState& state, const Tensor& tokens, bool need_attention = false) const override;

  int64_t max_positions() const override { return config.max_length; }
  int64_t source_vocab_size() const override { return config.source_vocab_size; }
  int64_t target_vocab_size() const override { return config.target_vocab_size; }
  SpecialIds special_ids() const override { return config.special; }
  std::string describe() const override;

  TransformerConfig config;
  // One table with share_embeddings (registered as "embedding"), else "source_embedding" and
  // "target_embedding"; each scaled by √d_model, its pad row zero.
  std::shared_ptr<nn::TokenEmbedding> source_embedding, target_embedding;
  // Sinusoidal: one fixed table "positions" for both sides. Learned: "source_positions" and
  // "target_positions". The other kind is null.
  std::shared_ptr<nn::SinusoidalPositionalEncoding> positions;
  std::shared_ptr<nn::LearnedPositionalEncoding> source_positions, target_positions;
  std::shared_ptr<nn::Dropout> dropout;  // after embedding plus positions, on both sides
  // The stacks; with norm_first or final_norms each ends in its LayerNorm ("encoder.norm",
  // "decoder.norm").
  std::shared_ptr<nn::TransformerEncoder> encoder;
  std::shared_ptr<nn::TransformerDecoder> decoder;
  // Decoder output (E) -> target logits (V); null with tie_output, where the logits are the
  // decoder output times the target embedding table (V, E) transposed, with no bias.
  std::shared_ptr<nn::Linear> generator;

 private:
  // Token ids (B, L) -> embedding · √d_model + positions offset .. offset + L − 1, then dropout
  // -> (B, L, E).
  Tensor embed(const nn::TokenEmbedding& table, const nn::LearnedPositionalEncoding* learned, const Tensor& ids,
               int64_t offset) const;
  // src (B, S) -> memory (B, S, E), with its padding mask (B, S) int64, 1 on padding.
  std::pair<Tensor, Tensor> encode(const Tensor& src) const;
  // Decoder output (B, L, E) -> logits (B, L, V).
  Tensor project(const Tensor& x) const;
};

}  // namespace heed::models
