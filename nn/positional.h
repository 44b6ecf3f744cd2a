// Telling a Transformer where each token sits: positional encodings added to token embeddings, and
// the token embedding itself, scaled by √d_model as in "Attention Is All You Need" (section 3.4).
//
//   nn::TokenEmbedding embed(vocab, 512, {.padding_idx = 0});
//   nn::SinusoidalPositionalEncoding positions(512, /*max_len=*/1024);
//   Tensor x = positions.forward(embed.forward(ids));     // ids (B, T) -> (B, T, 512)
//
// While decoding one token at a time, the token at step t sits at position t: pass offset = t so
// the new (B, 1, d) slice gets position t, not 0. Dropout after the sum belongs to the model.
#pragma once

#include <optional>

#include "heed/nn/module.h"

namespace heed::nn {

// Fixed sin/cos positions (Vaswani et al., section 3.5), a table computed once:
//   PE(pos, 2i) = sin(pos / 10000^(2i/d)),   PE(pos, 2i+1) = cos(pos / 10000^(2i/d))
// Each pair of columns turns at its own frequency, from 1 radian per position (i = 0) down to
// 1/10000 (the last pair), so PE(pos + k) is a fixed rotation of PE(pos) for every pos.
// The table is a buffer ("pe", saved in the state dict, not trained). An odd d_model is allowed:
// its last column is a sine with no cosine partner.
class SinusoidalPositionalEncoding : public Module {
 public:
  SinusoidalPositionalEncoding(int64_t d_model, int64_t max_len);
  // x (B, T, d_model) -> x + pe[offset : offset + T], same shape. offset + T must not exceed max_len.
  Tensor forward(const Tensor& x, int64_t offset = 0) const;
  std::string describe() const override;

  Tensor pe;  // (max_len, d_model)
};

// Learned positions: one trained vector per position, a table "weight" (max_len, d_model) that
// starts N(0, 1) as nn::Embedding(max_len, d_model) would (GPT-2 and BERT start at N(0, 0.02²);
// call init::normal_(weight, 0, 0.02f) for that). Positions beyond max_len cannot be encoded.
class LearnedPositionalEncoding : public Module {
 public:
  LearnedPositionalEncoding(int64_t max_len, int64_t d_model);
  // x (B, T, d_model) -> x + weight[offset : offset + T], same shape.
  Tensor forward(const Tensor& x, int64_t offset = 0) const;
  std::string describe() const override;

  Tensor weight;  // (max_len, d_model)
};

struct TokenEmbeddingOptions {
  std::optional<int64_t> padding_idx = std::nullopt;  // that row starts at zero and never gets a gradient
  bool scale = true;                   // multiply by √d_model
};

// Token ids to vectors, multiplied by √d_model (Vaswani et al., section 3.4) so they are not
// drowned by positional encodings whose entries are of size 1. The table ("weight", as in
// nn::Embedding) starts N(0, 1/d_model) when scaling, so the scaled vectors start N(0, 1) (as
// fairseq does), and N(0, 1) as nn::Embedding without scaling: either way the output starts with
// entries of variance 1. Tying this table to the output projection (same weight) is the paper's
// choice, and the reason for the small initial values.
class TokenEmbedding : public Module {
 public:
  TokenEmbedding(int64_t vocab_size, int64_t d_model, TokenEmbeddingOptions options = {});
  // ids int64 (...) -> (..., d_model)
  Tensor forward(const Tensor& ids) const;
  std::string describe() const override;

  Tensor weight;  // (vocab_size, d_model)
  std::optional<int64_t> padding_idx;
  float scale;    // √d_model, or 1 without scaling
};

}  // namespace heed::nn
