#include "heed/nn/transformer_layer.h"

#include "heed/ops/elementwise.h"

namespace heed::nn {
namespace {

// linear2(dropout(activation(linear1(x)))): x (B, L, E) -> (B, L, E)
Tensor feed_forward(const Linear& linear1, const Dropout& dropout, const Linear& linear2, Activation activation,
                    const Tensor& x) {
  Tensor hidden = linear1.forward(x);  // (B, L, F)
  hidden = activation == Activation::ReLU ? ops::relu(hidden) : ops::gelu(hidden);  // (B, L, F)
  return linear2.forward(dropout.forward(hidden));  // (B, L, E)
}

const char* name_of(Activation activation) { return activation == Activation::ReLU ? "relu" : "gelu"; }

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options)
    : activation(options.activation), norm_first(options.norm_first) {
  self_attn = register_module("self_attn", MultiHeadAttention(d_model, nhead, {.dropout = options.dropout}));
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
    return dropout1->forward(self_attn->forward(x, x, x, {.key_padding_mask = args.src_key_padding_mask,
                                                          .attn_mask = args.src_mask,
                                                          .causal = args.is_causal})
                                 .output);
  };
  auto feed_forward_block = [&](const Tensor& x) {  // (B, S, E) -> (B, S, E)
    return dropout2->forward(feed_forward(*linear1, *dropout, *linear2, activation, x));
  };
  Tensor x = src;  // (B, S, E)
  if (norm_first) {
    x = x + self_attention(norm1->forward(x));      // (B, S, E)
    x = x + feed_forward_block(norm2->forward(x));  // (B, S, E)
  } else {
    x = norm1->forward(x + self_attention(x));      // (B, S, E)
    x = norm2->forward(x + feed_forward_block(x));  // (B, S, E)
  }
  return x;
}

std::string TransformerEncoderLayer::describe() const {
  return fmt::format("TransformerEncoderLayer(d_model={}, nhead={}, dim_feedforward={}, dropout={}, activation={}, "
                     "norm_first={})",
                     self_attn->embed_dim, self_attn->num_heads, linear1->weight.size(0), dropout->p,
                     name_of(activation), norm_first);
}

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options)
    : activation(options.activation), norm_first(options.norm_first) {
  self_attn = register_module("self_attn", MultiHeadAttention(d_model, nhead, {.dropout = options.dropout}));
  multihead_attn = register_module("multihead_attn", MultiHeadAttention(d_model, nhead, {.dropout = options.dropout}));
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
    return dropout1->forward(self_attn->forward(x, x, x, {.key_padding_mask = args.tgt_key_padding_mask,
                                                          .attn_mask = args.tgt_mask,
                                                          .causal = args.tgt_is_causal})
                                 .output);
  };
  auto memory_attention = [&](const Tensor& x) {  // (B, T, E), memory (B, S, E) -> (B, T, E)
    const MultiHeadAttentionArgs masks{.key_padding_mask = args.memory_key_padding_mask, .attn_mask = args.memory_mask};
    return dropout2->forward(multihead_attn->forward(x, memory, memory, masks).output);
  };
  auto feed_forward_block = [&](const Tensor& x) {  // (B, T, E) -> (B, T, E)
    return dropout3->forward(feed_forward(*linear1, *dropout, *linear2, activation, x));
  };
  Tensor x = tgt;  // (B, T, E)
  if (norm_first) {
    x = x + self_attention(norm1->forward(x));      // (B, T, E)
    x = x + memory_attention(norm2->forward(x));    // (B, T, E)
    x = x + feed_forward_block(norm3->forward(x));  // (B, T, E)
  } else {
    x = norm1->forward(x + self_attention(x));      // (B, T, E)
    x = norm2->forward(x + memory_attention(x));    // (B, T, E)
    x = norm3->forward(x + feed_forward_block(x));  // (B, T, E)
  }
  return x;
}

std::string TransformerDecoderLayer::describe() const {
  return fmt::format("TransformerDecoderLayer(d_model={}, nhead={}, dim_feedforward={}, dropout={}, activation={}, "
                     "norm_first={})",
                     self_attn->embed_dim, self_attn->num_heads, linear1->weight.size(0), dropout->p,
                     name_of(activation), norm_first);
}

}  // namespace heed::nn
