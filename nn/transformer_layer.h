// One Transformer encoder layer and one decoder layer, as PyTorch's nn.TransformerEncoderLayer and
// nn.TransformerDecoderLayer with batch_first=True: the same submodules under the same names, so
// state dicts load both ways.
//
// Encoder layer, on x (B, S, E):
//   post-norm (the paper's):  x = norm1(x + SA(x));         x = norm2(x + FF(x))
//   pre-norm (norm_first):    x = x + SA(norm1(x));         x = x + FF(norm2(x))
// Decoder layer, on x (B, T, E) and the encoder's output `memory` (B, S, E):
//   post-norm:  x = norm1(x + SA(x));  x = norm2(x + CA(x, memory));  x = norm3(x + FF(x))
//   pre-norm:   x = x + SA(norm1(x));  x = x + CA(norm2(x), memory);  x = x + FF(norm3(x))
// where SA is self-attention (self_attn), CA attention to memory (multihead_attn), FF the
// feed-forward block linear2(dropout(activation(linear1(x)))), and each block's output passes
// through its own dropout (dropout1, dropout2, dropout3) before the residual sum.
//
// Incremental decoding runs a decoder layer one new position at a time: cache_memory projects the
// memory's keys and values for CA once, then each forward_step projects only the new position,
// appends its SA keys and values to the cache and attends to all cached positions. Step by step it
// computes what forward computes with the causal mask, position by position.
#pragma once

#include "heed/nn/activation.h"
#include "heed/nn/layer_norm.h"
#include "heed/nn/linear.h"
#include "heed/nn/multihead_attention.h"

namespace heed::nn {

enum class Activation { ReLU, GELU };

struct TransformerLayerOptions {
  int64_t dim_feedforward = 2048;
  float dropout = 0.1f;  // in attention, in the feed-forward block, and after each block
  Activation activation = Activation::ReLU;
  float layer_norm_eps = 1e-5f;
  bool norm_first = false;  // pre-norm instead of the paper's post-norm
  bool multiplicative_masks = false;  // a pitfall: see MultiHeadAttentionOptions
};

// Masks of a self-attention stack (see ops::AttentionOptions for their rules).
struct TransformerEncoderArgs {
  Tensor src_mask = {};              // (S, S): int64 nonzero blocks a pair, float32 is added
  Tensor src_key_padding_mask = {};  // (B, S): nonzero marks padding
  bool is_causal = false;            // position i may not attend to j > i
};

struct TransformerDecoderArgs {
  Tensor tgt_mask = {};                  // (T, T), for self-attention
  Tensor memory_mask = {};               // (T, S), for attention to memory
  Tensor tgt_key_padding_mask = {};      // (B, T)
  Tensor memory_key_padding_mask = {};   // (B, S)
  bool tgt_is_causal = false;            // target position i may not attend to j > i
};

class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options = {});
  // src (B, S, E) -> (B, S, E)
  Tensor forward(const Tensor& src, const TransformerEncoderArgs& args = {}) const;
  std::string describe() const override;

  std::shared_ptr<MultiHeadAttention> self_attn;
  std::shared_ptr<Linear> linear1;  // (E -> dim_feedforward)
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;  // (dim_feedforward -> E)
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Dropout> dropout1, dropout2;
  Activation activation;
  bool norm_first;
};

// Keys or values of the positions decoded so far, (N, H, t, Dh), in a buffer with room for more:
// appending a position writes its (N, H, 1, Dh) slice in place, and the buffer moves into one
// twice as long only when full, so T steps copy O(T) positions in all, where growing by cat copied
// O(T²). It holds values, not a graph (decoding runs under NoGradGuard).
class PositionCache {
 public:
  void append(const Tensor& position);  // (N, H, 1, Dh)
  Tensor so_far() const;                // (N, H, t, Dh): a view of the buffer
  void select(const Tensor& rows);      // keeps rows (N') of the N, in that order (beam search)

 private:
  Tensor buffer_;  // (N, H, capacity, Dh), the first length_ positions written
  int64_t length_ = 0;
};

// What one decoder layer keeps between incremental steps, for N rows.
struct DecoderLayerCache {
  Tensor memory_keys = {}, memory_values = {};  // (N, H, S, Dh): the memory projected for CA, once
  PositionCache self_keys = {}, self_values = {};  // (N, H, t, Dh): SA's keys and values of the t positions so far
};

struct DecoderLayerStepOutput {
  Tensor output;          // (N, 1, E)
  Tensor memory_weights;  // (N, H, 1, S): CA's weights per head with need_weights, else undefined
};

class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options = {});
  // tgt (B, T, E), memory (B, S, E) -> (B, T, E)
  Tensor forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderArgs& args = {}) const;
  // memory (N, S, E) -> a cache holding its CA keys and values, and no position yet.
  DecoderLayerCache cache_memory(const Tensor& memory) const;
  // The next position x (N, 1, E), attending to itself and the cached positions before it, and to
  // the memory (memory_key_padding_mask (N, S) marks its padding) -> (N, 1, E). Appends x's SA keys
  // and values to the cache.
  DecoderLayerStepOutput forward_step(const Tensor& x, DecoderLayerCache& cache,
                                      const Tensor& memory_key_padding_mask = {}, bool need_weights = false) const;
  std::string describe() const override;

  std::shared_ptr<MultiHeadAttention> self_attn;
  std::shared_ptr<MultiHeadAttention> multihead_attn;  // queries from tgt, keys and values from memory
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;
  std::shared_ptr<Dropout> dropout1, dropout2, dropout3;
  Activation activation;
  bool norm_first;
};

}  // namespace heed::nn
