#include "heed/nn/transformer_layer.h"

#include <algorithm>
#include <functional>

#include "heed/core/anomaly.h"
#include "heed/core/autograd.h"
#include "heed/ops/elementwise.h"
#include "heed/ops/index.h"
#include "heed/ops/inplace.h"
#include "heed/ops/shape.h"

namespace heed::nn {
namespace {

using Block = std::function<Tensor(const Tensor&)>;  // (B, L, E) -> (B, L, E)

// linear2(dropout(activation(linear1(x)))): x (B, L, E) -> (B, L, E)
Tensor feed_forward(const Linear& linear1, const Dropout& dropout, const Linear& linear2, Activation activation,
                    const Tensor& x) {
  Tensor hidden = linear1.forward(x);  // (B, L, F)
  hidden = activation == Activation::ReLU ? ops::relu(hidden) : ops::gelu(hidden);  // (B, L, F)
  return linear2.forward(dropout.forward(hidden));  // (B, L, E)
}

// One block with its dropout and residual connection: pre-norm x + dropout(block(norm(x))),
// post-norm norm(x + dropout(block(x))).  x (B, L, E) -> (B, L, E)
Tensor residual(bool norm_first, const LayerNorm& norm, const Dropout& dropout, const Tensor& x, const Block& block) {
  if (norm_first) return x + dropout.forward(block(norm.forward(x)));  // (B, L, E)
  return norm.forward(x + dropout.forward(block(x)));                  // (B, L, E)
}

// The decoder layer's three blocks around its two attentions, shared by forward and forward_step.
Tensor decoder_blocks(const TransformerDecoderLayer& layer, const Tensor& tgt, const Block& self_attention,
                      const Block& memory_attention) {
  auto feed_forward_block = [&](const Tensor& x) {  // (B, T, E) -> (B, T, E)
    return feed_forward(*layer.linear1, *layer.dropout, *layer.linear2, layer.activation, x);
  };
  Tensor x = residual(layer.norm_first, *layer.norm1, *layer.dropout1, tgt, self_attention);  // (B, T, E)
  x = residual(layer.norm_first, *layer.norm2, *layer.dropout2, x, memory_attention);         // (B, T, E)
  return residual(layer.norm_first, *layer.norm3, *layer.dropout3, x, feed_forward_block);    // (B, T, E)
}

MultiHeadAttentionOptions attention_options(const TransformerLayerOptions& options) {
  return {.dropout = options.dropout, .bias = true, .multiplicative_masks = options.multiplicative_masks};
}

const char* name_of(Activation activation) { return activation == Activation::ReLU ? "relu" : "gelu"; }

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options)
    : activation(options.activation), norm_first(options.norm_first) {
  self_attn = register_module("self_attn", MultiHeadAttention(d_model, nhead, attention_options(options)));
  linear1 = register_module("linear1", Linear(d_model, options.dim_feedforward));
  dropout = register_module("dropout", Dropout(options.dropout));
  linear2 = register_module("linear2", Linear(options.dim_feedforward, d_model));
  norm1 = register_module("norm1", LayerNorm(d_model, {.eps = options.layer_norm_eps}));
  norm2 = register_module("norm2", LayerNorm(d_model, {.eps = options.layer_norm_eps}));
  dropout1 = register_module("dropout1", Dropout(options.dropout));
  dropout2 = register_module("dropout2", Dropout(options.dropout));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const TransformerEncoderArgs& args) const {
  auto self_attention = [&](const Tensor& x) {  // (B, S, E) -> (B, S, E)
    AnomalyScope scope("self_attn");
    return self_attn->forward(x, x, x, {.key_padding_mask = args.src_key_padding_mask,
                                        .attn_mask = args.src_mask,
                                        .causal = args.is_causal})
        .output;
  };
  auto feed_forward_block = [&](const Tensor& x) {  // (B, S, E) -> (B, S, E)
    return feed_forward(*linear1, *dropout, *linear2, activation, x);
  };
  Tensor x = residual(norm_first, *norm1, *dropout1, src, self_attention);  // (B, S, E)
  return residual(norm_first, *norm2, *dropout2, x, feed_forward_block);    // (B, S, E)
}

std::string TransformerEncoderLayer::describe() const {
  return fmt::format("TransformerEncoderLayer(d_model={}, nhead={}, dim_feedforward={}, dropout={}, activation={}, "
                     "norm_first={})",
                     self_attn->embed_dim, self_attn->num_heads, linear1->weight.size(0), dropout->p,
                     name_of(activation), norm_first);
}

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options)
    : activation(options.activation), norm_first(options.norm_first) {
  self_attn = register_module("self_attn", MultiHeadAttention(d_model, nhead, attention_options(options)));
  multihead_attn = register_module("multihead_attn", MultiHeadAttention(d_model, nhead, attention_options(options)));
  linear1 = register_module("linear1", Linear(d_model, options.dim_feedforward));
  dropout = register_module("dropout", Dropout(options.dropout));
  linear2 = register_module("linear2", Linear(options.dim_feedforward, d_model));
  norm1 = register_module("norm1", LayerNorm(d_model, {.eps = options.layer_norm_eps}));
  norm2 = register_module("norm2", LayerNorm(d_model, {.eps = options.layer_norm_eps}));
  norm3 = register_module("norm3", LayerNorm(d_model, {.eps = options.layer_norm_eps}));
  dropout1 = register_module("dropout1", Dropout(options.dropout));
  dropout2 = register_module("dropout2", Dropout(options.dropout));
  dropout3 = register_module("dropout3", Dropout(options.dropout));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory,
                                        const TransformerDecoderArgs& args) const {
  auto self_attention = [&](const Tensor& x) {  // (B, T, E) -> (B, T, E)
    AnomalyScope scope("self_attn");
    return self_attn->forward(x, x, x, {.key_padding_mask = args.tgt_key_padding_mask,
                                        .attn_mask = args.tgt_mask,
                                        .causal = args.tgt_is_causal})
        .output;
  };
  auto memory_attention = [&](const Tensor& x) {  // (B, T, E), memory (B, S, E) -> (B, T, E)
    AnomalyScope scope("multihead_attn");
    const MultiHeadAttentionArgs masks{.key_padding_mask = args.memory_key_padding_mask, .attn_mask = args.memory_mask};
    return multihead_attn->forward(x, memory, memory, masks).output;
  };
  return decoder_blocks(*this, tgt, self_attention, memory_attention);  // (B, T, E)
}

void PositionCache::append(const Tensor& position) {
  constexpr int64_t kFirstCapacity = 16;
  NoGradGuard no_grad;  // values only: the buffer is written in place
  if (length_ == (buffer_.defined() ? buffer_.size(2) : 0)) {
    Tensor grown = Tensor::empty({position.size(0), position.size(1), std::max(2 * length_, kFirstCapacity),
                                  position.size(3)});  // (N, H, capacity, Dh)
    if (length_ > 0) {
      Tensor kept = ops::narrow(grown, 2, 0, length_);  // (N, H, t, Dh)
      ops::copy_(kept, so_far());
    }
    buffer_ = grown;
  }
  Tensor slot = ops::narrow(buffer_, 2, length_, 1);  // (N, H, 1, Dh)
  ops::copy_(slot, position);
  ++length_;
}

Tensor PositionCache::so_far() const { return length_ > 0 ? ops::narrow(buffer_, 2, 0, length_) : Tensor(); }

void PositionCache::select(const Tensor& rows) {
  if (buffer_.defined()) buffer_ = ops::index_select(buffer_, 0, rows);  // (N', H, capacity, Dh)
}

DecoderLayerCache TransformerDecoderLayer::cache_memory(const Tensor& memory) const {
  HEED_CHECK(memory.dim() == 3 && memory.size(2) == multihead_attn->embed_dim, "TransformerDecoderLayer",
             "memory is {}; expected (N, S, {})", memory.shape(), multihead_attn->embed_dim);
  auto [keys, values] = multihead_attn->project_key_value(memory, memory);  // (N, H, S, Dh) each
  return {.memory_keys = keys, .memory_values = values};
}

DecoderLayerStepOutput TransformerDecoderLayer::forward_step(const Tensor& x, DecoderLayerCache& cache,
                                                             const Tensor& memory_key_padding_mask,
                                                             bool need_weights) const {
  const int64_t rows = cache.memory_keys.defined() ? cache.memory_keys.size(0) : 0;
  HEED_CHECK(x.dim() == 3 && x.size(0) == rows && x.size(1) == 1 && x.size(2) == self_attn->embed_dim,
             "TransformerDecoderLayer", "step input is {} for a cache of {} rows; expected (N = {}, 1, {})",
             x.shape(), rows, rows, self_attn->embed_dim);
  auto self_attention = [&](const Tensor& new_position) {  // (N, 1, E) -> (N, 1, E)
    AnomalyScope scope("self_attn");
    auto [q, k, v] = self_attn->project_packed(new_position);  // (N, H, 1, Dh) each
    cache.self_keys.append(k);                                 // (N, H, t + 1, Dh)
    cache.self_values.append(v);                               // (N, H, t + 1, Dh)
    return self_attn->attend(q, cache.self_keys.so_far(), cache.self_values.so_far()).output;  // (N, 1, E): no later key to hide
  };
  Tensor memory_weights;
  auto memory_attention = [&](const Tensor& query) {  // (N, 1, E) -> (N, 1, E)
    AnomalyScope scope("multihead_attn");
    Tensor q = multihead_attn->project_query(query);  // (N, H, 1, Dh)
    MultiHeadAttentionOutput attended = multihead_attn->attend(
        q, cache.memory_keys, cache.memory_values,
        {.key_padding_mask = memory_key_padding_mask, .need_weights = need_weights, .average_attn_weights = false});
    memory_weights = attended.weights;  // (N, H, 1, S) or undefined
    return attended.output;             // (N, 1, E)
  };
  Tensor output = decoder_blocks(*this, x, self_attention, memory_attention);  // (N, 1, E)
  return {.output = output, .memory_weights = memory_weights};
}

std::string TransformerDecoderLayer::describe() const {
  return fmt::format("TransformerDecoderLayer(d_model={}, nhead={}, dim_feedforward={}, dropout={}, activation={}, "
                     "norm_first={})",
                     self_attn->embed_dim, self_attn->num_heads, linear1->weight.size(0), dropout->p,
                     name_of(activation), norm_first);
}

}  // namespace heed::nn
