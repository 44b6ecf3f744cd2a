// Attention for RNN decoders: at each decoder step, a query (the decoder's state) scores every
// encoder state, the scores become weights by a softmax over the source positions, and the context
// is the weighted sum of the values (usually the encoder states again):
//
//   score_j = score(query, key_j)                       j = 0 .. S−1, the source positions
//   weights = softmax(score), padded positions excluded
//   context = Σ_j weights_j · value_j
//
// Two scores: AdditiveAttention (Bahdanau et al. 2015, "Neural Machine Translation by Jointly
// Learning to Align and Translate", where the query is the previous decoder state s_{i−1}) and
// LuongAttention (Luong et al. 2015, "Effective Approaches to Attention-based NMT", dot and
// general; the query is the current decoder state h_t, and the decoder then forms
// tanh(W_c [context; h_t]) itself). Multi-head attention for Transformers lives in nn/attention.h.
//
// The decoder calls attention once per output token against the same encoder states, so the part
// of the score that depends only on the keys is computed once per source sentence:
//
//   Tensor keys = attention.project_keys(encoder_states);            // once: (B, S, A)
//   for each step:
//     auto [context, weights] = attention.forward_projected(state, keys, encoder_states, mask);
//
// forward(query, keys, values, mask) does both in one call. A padding mask (B, S) marks padded
// source positions with a nonzero value (any dtype): they get exactly zero weight, and a row with
// every position padded gets zero weights and a zero context, never NaN.
#pragma once

#include <memory>

#include "heed/nn/linear.h"
#include "heed/nn/module.h"

namespace heed::nn {

struct RnnAttentionOutput {
  Tensor context;  // (B, Hv)
  Tensor weights;  // (B, S), each row sums to 1 (or is all zeros where every position is padded)
};

// score(q, k_j) = vᵀ tanh(W_q q + W_k k_j): a one-hidden-layer network of size attention_size
// scores each (query, key) pair. W_q, W_k and v are Linear layers without bias ("query_proj",
// "key_proj", "v"; v.weight is (1, attention_size)), initialised as nn::Linear.
class AdditiveAttention : public Module {
 public:
  AdditiveAttention(int64_t query_size, int64_t key_size, int64_t attention_size);

  // query (B, Hq), keys (B, S, Hk), values (B, S, Hv), key_padding_mask (B, S) or undefined.
  RnnAttentionOutput forward(const Tensor& query, const Tensor& keys, const Tensor& values,
                             const Tensor& key_padding_mask = Tensor()) const;
  // W_k keys: keys (B, S, Hk) -> (B, S, attention_size). Once per source sentence.
  Tensor project_keys(const Tensor& keys) const;
  // forward with the keys already projected by project_keys: projected_keys (B, S, attention_size).
  RnnAttentionOutput forward_projected(const Tensor& query, const Tensor& projected_keys, const Tensor& values,
                                       const Tensor& key_padding_mask = Tensor()) const;
  std::string describe() const override;

  std::shared_ptr<Linear> query_proj;  // W_q: Hq -> attention_size
  std::shared_ptr<Linear> key_proj;    // W_k: Hk -> attention_size
  std::shared_ptr<Linear> v;           // attention_size -> 1
};

enum class LuongScore {
  Dot,      // score(q, k) = qᵀ k; query_size must equal key_size
  General,  // score(q, k) = qᵀ W k, W (query_size, key_size)
};

struct LuongAttentionOptions {
  LuongScore score = LuongScore::General;  // the better of the two in Luong et al.'s experiments
};

// Multiplicative scores. With General, W is a Linear(key_size, query_size) without bias named
// "linear_in" (OpenNMT's name), applied to the keys: W k_j is what project_keys precomputes.
class LuongAttention : public Module {
 public:
  LuongAttention(int64_t query_size, int64_t key_size, LuongAttentionOptions options = {});

  // query (B, Hq), keys (B, S, Hk), values (B, S, Hv), key_padding_mask (B, S) or undefined.
  RnnAttentionOutput forward(const Tensor& query, const Tensor& keys, const Tensor& values,
                             const Tensor& key_padding_mask = Tensor()) const;
  // keys (B, S, Hk) -> (B, S, Hq): W keys with General, the keys themselves with Dot.
  Tensor project_keys(const Tensor& keys) const;
  // forward with projected_keys (B, S, Hq) from project_keys.
  RnnAttentionOutput forward_projected(const Tensor& query, const Tensor& projected_keys, const Tensor& values,
                                       const Tensor& key_padding_mask = Tensor()) const;
  std::string describe() const override;

  std::shared_ptr<Linear> linear_in;  // W: Hk -> Hq; null with Dot
  LuongScore score;
  int64_t query_size, key_size;
};

}  // namespace heed::nn
