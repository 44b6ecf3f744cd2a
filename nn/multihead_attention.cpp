// nn::MultiHeadAttention: the in-projection, the heads, the fused attention op and out_proj; and,
// apart, the multiplicative-mask pitfall composed of plain ops (docs/pitfalls.md).
#include "heed/nn/multihead_attention.h"

#include <cmath>

#include "heed/core/factories.h"
#include "heed/nn/init.h"
#include "heed/ops/attention.h"
#include "heed/ops/dropout.h"
#include "heed/ops/elementwise.h"
#include "heed/ops/matmul.h"
#include "heed/ops/reduce.h"
#include "heed/ops/shape.h"
#include "heed/ops/softmax.h"

namespace heed::nn {

MultiHeadAttention::MultiHeadAttention(int64_t embed_dim_, int64_t num_heads_, MultiHeadAttentionOptions options)
    : embed_dim(embed_dim_), num_heads(num_heads_), head_dim(num_heads_ > 0 ? embed_dim_ / num_heads_ : 0),
      dropout(options.dropout), multiplicative_masks(options.multiplicative_masks) {
  HEED_CHECK(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0, "MultiHeadAttention",
             "embed_dim {} and num_heads {}; expected both > 0 and embed_dim divisible by num_heads", embed_dim,
             num_heads);
  HEED_CHECK(dropout >= 0.0f && dropout <= 1.0f, "MultiHeadAttention", "dropout {}; expected a probability in [0, 1]",
             dropout);
  in_proj_weight = register_parameter("in_proj_weight", Tensor::empty({3 * embed_dim, embed_dim}));
  init::xavier_uniform_(in_proj_weight);
  if (options.bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * embed_dim}));
  out_proj = register_module("out_proj", Linear(embed_dim, embed_dim, {.bias = options.bias}));
  if (options.bias) init::zeros_(out_proj->bias);
}

MultiHeadAttentionOutput MultiHeadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                     const MultiHeadAttentionArgs& args) const {
  HEED_CHECK(query.dim() == 3 && key.dim() == 3 && value.dim() == 3 && query.size(2) == embed_dim &&
                 key.size(2) == embed_dim && value.size(2) == embed_dim && key.size(0) == query.size(0) &&
                 value.size(0) == query.size(0) && key.size(1) == value.size(1),
             "MultiHeadAttention",
             "query is {}, key is {}, value is {}; expected query (B, T, E), key and value (B, S, E) with E = {} "
             "(batch first)",
             query.shape(), key.shape(), value.shape(), embed_dim);
  if (query.impl() == key.impl() && key.impl() == value.impl() && !multiplicative_masks) {
    Tensor qkv = project(query, 0, 3);  // (B, T, 3E)
    return finish(ops::packed_self_attention(qkv, num_heads, options_for(args, query.size(0))), args);  // (B, T, E)
  }
  Tensor q = project_query(query);                  // (B, H, T, Dh)
  auto [k, v] = project_key_value(key, value);      // (B, H, S, Dh) each
  return attend(q, k, v, args);
}

std::array<Tensor, 3> MultiHeadAttention::project_packed(const Tensor& x) const {
  std::vector<Tensor> heads = split_heads(project(x, 0, 3), 3);  // (B, H, T, Dh) each
  return {heads[0], heads[1], heads[2]};
}

Tensor MultiHeadAttention::project_query(const Tensor& query) const {
  return split_heads(project(query, 0, 1), 1)[0];  // (B, H, T, Dh)
}

std::pair<Tensor, Tensor> MultiHeadAttention::project_key_value(const Tensor& key, const Tensor& value) const {
  if (key.impl() == value.impl()) {
    std::vector<Tensor> heads = split_heads(project(key, 1, 2), 2);  // (B, H, S, Dh) each
    return {heads[0], heads[1]};
  }
  return {split_heads(project(key, 1, 1), 1)[0], split_heads(project(value, 2, 1), 1)[0]};  // (B, H, S, Dh)
}

MultiHeadAttentionOutput MultiHeadAttention::attend(const Tensor& q, const Tensor& k, const Tensor& v,
                                                    const MultiHeadAttentionArgs& args) const {
  const int64_t batch = q.size(0), queries = q.size(2);
  ops::AttentionResult heads = multiplicative_masks
                                   ? attend_multiplicative(q, k, v, args)
                                   : ops::scaled_dot_product_attention_with_weights(q, k, v, options_for(args, batch));  // (B, H, T, Dh)
  heads.output = ops::reshape(ops::transpose(heads.output, 1, 2), {batch, queries, embed_dim});  // (B, T, E)
  return finish(heads, args);
}

ops::AttentionResult MultiHeadAttention::attend_multiplicative(const Tensor& q, const Tensor& k, const Tensor& v,
                                                               const MultiHeadAttentionArgs& args) const {
  const int64_t batch = q.size(0), queries = q.size(2), keys = k.size(2);
  const Tensor& padding = args.key_padding_mask;
  const Tensor& pairs = args.attn_mask;
  HEED_CHECK(!padding.defined() || padding.shape() == Shape({batch, keys}), "MultiHeadAttention",
             "key_padding_mask is {}; expected (B, S) = ({}, {})", padding.shape(), batch, keys);
  HEED_CHECK(!pairs.defined() || pairs.shape() == Shape({queries, keys}), "MultiHeadAttention",
             "attn_mask is {}; with multiplicative_masks expected (T, S) = ({}, {})", pairs.shape(), queries, keys);
  auto as_floats = [](const Tensor& mask) {  // nonzero (or −∞) marks a hidden pair
    if (!mask.defined()) return std::vector<float>();
    if (mask.dtype() == Dtype::Float32) return mask.to_vector<float>();
    std::vector<int64_t> values = mask.to_vector<int64_t>();
    return std::vector<float>(values.begin(), values.end());
  };
  const std::vector<float> padded = as_floats(padding), blocked = as_floats(pairs);
  std::vector<float> keep(static_cast<size_t>(batch * queries * keys), 1.0f);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < queries; ++t)
      for (int64_t s = 0; s < keys; ++s) {
        const bool hidden = (!padded.empty() && padded[static_cast<size_t>(b * keys + s)] != 0.0f) ||
                            (!blocked.empty() && blocked[static_cast<size_t>(t * keys + s)] != 0.0f) ||
                            (args.causal && s > t + (keys - queries));
        if (hidden) keep[static_cast<size_t>((b * queries + t) * keys + s)] = 0.0f;
      }
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  Tensor scores = ops::matmul(q, ops::transpose(k, 2, 3)) * scale;              // (B, H, T, S)
  scores = scores * from_vector(keep, {batch, 1, queries, keys});               // (B, H, T, S): the bug
  Tensor weights = ops::softmax(scores, -1);                                    // (B, H, T, S)
  Tensor output = ops::matmul(ops::dropout(weights, dropout, is_training()), v);  // (B, H, T, Dh)
  return {output, weights.detach()};
}

ops::AttentionOptions MultiHeadAttention::options_for(const MultiHeadAttentionArgs& args, int64_t batch) const {
  Tensor mask = args.attn_mask;  // PyTorch's (B·H, T, S) becomes (B, H, T, S), one head too; others broadcast
  if (mask.defined() && mask.dim() == 3 && mask.size(0) == batch * num_heads)
    mask = ops::reshape(mask, {batch, num_heads, mask.size(1), mask.size(2)});
  return {.key_padding_mask = args.key_padding_mask,
          .attn_mask = mask,
          .causal = args.causal,
          .dropout_p = dropout,
          .training = is_training()};
}

MultiHeadAttentionOutput MultiHeadAttention::finish(const ops::AttentionResult& heads,
                                                    const MultiHeadAttentionArgs& args) const {
  MultiHeadAttentionOutput result{out_proj->forward(heads.output), Tensor()};  // (B, T, E)
  if (args.need_weights)  // (B, T, S) averaged, or (B, H, T, S)
    result.weights = args.average_attn_weights ? ops::mean(heads.weights, {1}) : heads.weights;
  return result;
}

Tensor MultiHeadAttention::project(const Tensor& x, int64_t first, int64_t n) const {
  if (n == 3) return ops::linear(x, in_proj_weight, in_proj_bias);  // (B, L, 3E)
  Tensor weight = ops::narrow(in_proj_weight, 0, first * embed_dim, n * embed_dim);  // (n·E, E), a view
  Tensor bias = in_proj_bias.defined() ? ops::narrow(in_proj_bias, 0, first * embed_dim, n * embed_dim) : Tensor();
  return ops::linear(x, weight, bias);  // (B, L, n·E)
}

std::vector<Tensor> MultiHeadAttention::split_heads(const Tensor& x, int64_t n) const {
  const int64_t batch = x.size(0), length = x.size(1);
  std::vector<Tensor> heads = n == 1 ? std::vector<Tensor>{x} : ops::chunk(x, n, -1);  // (B, L, E) each
  for (Tensor& h : heads)
    h = ops::transpose(ops::view(h, {batch, length, num_heads, head_dim}), 1, 2);  // (B, H, L, Dh)
  return heads;
}

std::string MultiHeadAttention::describe() const {
  return fmt::format("MultiHeadAttention(embed_dim={}, num_heads={}, dropout={}, bias={})", embed_dim, num_heads,
                     dropout, in_proj_bias.defined());
}

}  // namespace heed::nn
