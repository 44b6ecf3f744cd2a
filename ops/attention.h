// Scaled dot-product attention, the core of every Transformer layer, as one fused op:
//
//   weights = softmax(Q Kᵀ / √d_k + masks)      (..., T, S)   one row per query, one column per key
//   output  = dropout(weights) · V              (..., T, Dv)
//
// The two matrix products run on BLAS through ops::matmul; the scaling, every mask and the softmax
// (and, while training, the dropout) run in one pass over each row of scores, and so does their
// backward. ops/attention.cpp explains the kernel and derives the backward; nn/multihead_attention.h
// builds the layer on top of it.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// What may hide a key from a query. Masks never multiply the scores: a blocked pair gets −∞ added
// before the softmax, so its weight is exactly 0. A query that every key is hidden from gets all-zero
// weights and a zero output (PyTorch gives NaN there). Masks carry no gradient.
struct AttentionOptions {
  // (B, S), any dtype: nonzero marks a padded key, hidden from every query of that batch entry.
  // B is the first dim of q (q needs at least 3 dims: (B, T, D) or (B, H, T, D)). A float mask is
  // read the same way (nonzero = padded), unlike PyTorch, which adds a float key_padding_mask.
  Tensor key_padding_mask = {};
  // Broadcastable to (..., T, S), e.g. (T, S) for every batch entry and head, or (B, 1, T, S):
  //   float32: added to the scaled scores (0 keeps a pair, −∞ blocks it, other values bias it);
  //   int64:   nonzero blocks the pair (as PyTorch's boolean masks: true = not allowed).
  Tensor attn_mask = {};
  // Query i may not attend to key j > i + (S − T): with T == S, nothing after itself. When there
  // are fewer queries than keys (T < S), the queries are the last T positions of the S keys, as
  // in incremental decoding with cached keys.
  bool causal = false;
  // While `training`, each weight is dropped with probability dropout_p (the rest scaled by
  // 1 / (1 − dropout_p)), drawn from heed's default generator exactly as ops::dropout would draw
  // for the (..., T, S) weights.
  float dropout_p = 0.0f;
  bool training = true;
};

// q (..., T, D), k (..., S, D), v (..., S, Dv) with the same leading dims (..., e.g. (B, H))
// -> (..., T, Dv), the scale being 1 / √D.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

// The output, and the attention weights (..., T, S) that multiplied V: after the masks, and after
// dropout while training (as PyTorch's nn.MultiheadAttention returns them). The weights are for
// inspection: they carry no gradient.
struct AttentionResult {
  Tensor output;   // (..., T, Dv)
  Tensor weights;  // (..., T, S)
};
AttentionResult scaled_dot_product_attention_with_weights(const Tensor& q, const Tensor& k, const Tensor& v,
                                                          const AttentionOptions& options = {});

// Self-attention straight from one packed projection, as multi-head attention makes it:
// qkv (B, T, 3·H·D) holds [q | k | v] along its last dim, each of them H heads of D features side by
// side. Returns the output (B, T, H·D), heads side by side again, and the weights (B, H, T, T).
// It computes what splitting qkv into heads (views), scaled_dot_product_attention and merging the
// heads would, but its backward writes dQ, dK and dV into one (B, T, 3·H·D) gradient, where the
// three views would each send back a zero-padded (B, T, 3·H·D) gradient for autograd to sum.
AttentionResult packed_self_attention(const Tensor& qkv, int64_t num_heads, const AttentionOptions& options = {});

}  // namespace heed::ops
