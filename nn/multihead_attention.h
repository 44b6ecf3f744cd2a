// nn::MultiHeadAttention: PyTorch's nn.MultiheadAttention with batch_first=True.
//
//   q = query·W_qᵀ + b_q, k = key·W_kᵀ + b_k, v = value·W_vᵀ + b_v     the in-projection
//   split q, k, v into H heads of Dh = E / H features
//   o_h = softmax(q_h k_hᵀ / √Dh + masks) v_h                           ops::scaled_dot_product_attention
//   output = concat(o_1 .. o_H)·W_oᵀ + b_o                             out_proj
//
// Parameters have PyTorch's names, layouts and initialisation, so state dicts load both ways:
// in_proj_weight (3E, E) stacks W_q, W_k, W_v (xavier-uniform), in_proj_bias (3E) stacks the three
// biases (zeros), and out_proj is an nn::Linear (Linear's init for its weight, a zero bias).
//
// forward chooses the fewest GEMMs: self-attention (query, key and value the same tensor) projects
// once with the whole (3E, E) weight and attends straight from that packed projection
// (ops::packed_self_attention); key == value projects keys and values together with its (2E, E)
// half. The steps are public members (project_query, project_key_value, project_packed,
// attend) so a decoder can keep projected keys and values between calls and attend to them later.
//
// Not offered (PyTorch has them): kdim/vdim different from embed_dim, add_bias_kv, add_zero_attn,
// unbatched (T, E) inputs.
#pragma once

#include <array>
#include <utility>

#include "heed/nn/linear.h"
#include "heed/nn/module.h"
#include "heed/ops/attention.h"

namespace heed::nn {

struct MultiHeadAttentionOptions {
  float dropout = 0.0f;  // on the attention weights, while training
  bool bias = true;      // in_proj_bias and out_proj.bias
  // A pitfall, wrong on purpose (docs/pitfalls.md): multiply the scores by a 0/1 keep-mask
  // instead of adding −∞, so a "masked" score becomes 0 and still gets weight e^0 / Σ. It runs
  // apart from the fused op (attend_multiplicative), composed of matmul, mul and softmax.
  bool multiplicative_masks = false;
};

// The masks and switches of one call (see ops::AttentionOptions for the masks' rules).
struct MultiHeadAttentionArgs {
  Tensor key_padding_mask = {};  // (B, S), any dtype: nonzero marks a padded key
  // (T, S), or broadcastable to (B, H, T, S), or PyTorch's (B·H, T, S): int64 nonzero blocks a
  // pair, float32 is added to the scores.
  Tensor attn_mask = {};
  bool causal = false;                // query i may not attend to key j > i + (S − T)
  bool need_weights = false;          // also return the attention weights (PyTorch's default is true)
  bool average_attn_weights = true;   // weights (B, T, S) averaged over heads, else (B, H, T, S)
};

struct MultiHeadAttentionOutput {
  Tensor output;   // (B, T, E)
  Tensor weights;  // (B, T, S) or (B, H, T, S) with need_weights, else undefined; no gradient
};

class MultiHeadAttention : public Module {
 public:
  MultiHeadAttention(int64_t embed_dim, int64_t num_heads, MultiHeadAttentionOptions options = {});

  // query (B, T, E), key (B, S, E), value (B, S, E) -> output (B, T, E) [and weights].
  MultiHeadAttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const MultiHeadAttentionArgs& args = {}) const;

  // ---- the steps of forward ----
  // x (B, T, E) -> q, k, v (B, H, T, Dh) each, from one (B·T, E) x (E, 3E) GEMM.
  std::array<Tensor, 3> project_packed(const Tensor& x) const;
  // query (B, T, E) -> q (B, H, T, Dh).
  Tensor project_query(const Tensor& query) const;
  // key, value (B, S, E) -> k, v (B, H, S, Dh); one GEMM when key and value are the same tensor.
  std::pair<Tensor, Tensor> project_key_value(const Tensor& key, const Tensor& value) const;
  // Projected heads q (B, H, T, Dh), k and v (B, H, S, Dh) -> output (B, T, E) [and weights].
  MultiHeadAttentionOutput attend(const Tensor& q, const Tensor& k, const Tensor& v,
                                  const MultiHeadAttentionArgs& args = {}) const;

  std::string describe() const override;

  Tensor in_proj_weight;  // (3E, E): rows [0, E) for queries, [E, 2E) keys, [2E, 3E) values
  Tensor in_proj_bias;    // (3E), undefined without bias
  std::shared_ptr<Linear> out_proj;
  int64_t embed_dim, num_heads, head_dim;
  float dropout;
  bool multiplicative_masks;  // the pitfall of MultiHeadAttentionOptions

 private:
  // The op's options for these args; a (B·H, T, S) mask is read as (B, H, T, S).
  ops::AttentionOptions options_for(const MultiHeadAttentionArgs& args, int64_t batch) const;
  // Heads merged (B, T, E) -> out_proj, and the weights if asked for.
  MultiHeadAttentionOutput finish(const ops::AttentionResult& heads, const MultiHeadAttentionArgs& args) const;
  // The pitfall path of attend: q (B, H, T, Dh), k, v (B, H, S, Dh) -> output (B, H, T, Dh) and
  // weights (B, H, T, S), with softmax(q kᵀ / √Dh × keep) where keep is 0 on every masked pair.
  ops::AttentionResult attend_multiplicative(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const MultiHeadAttentionArgs& args) const;
  // x (B, L, n·E) -> n tensors (B, H, L, Dh), views of x.
  std::vector<Tensor> split_heads(const Tensor& x, int64_t n) const;
  // Rows [first·E, (first + n)·E) of the in-projection, applied to x (B, L, E) -> (B, L, n·E).
  Tensor project(const Tensor& x, int64_t first, int64_t n) const;
};

}  // namespace heed::nn
