#include "heed/nn/rnn_attention.h"

#include <limits>

#include "heed/ops/additive_attention.h"
#include "heed/ops/elementwise.h"
#include "heed/ops/index.h"
#include "heed/ops/matmul.h"
#include "heed/ops/shape.h"
#include "heed/ops/softmax.h"

namespace heed::nn {
namespace {

void check_query(const char* layer, const Tensor& query, int64_t query_size) {
  HEED_CHECK(query.dim() == 2 && query.size(1) == query_size, layer,
             "query has shape {}; expected (B, query_size = {})", query.shape(), query_size);
}

void check_keys(const char* layer, const Tensor& keys, int64_t key_size) {
  HEED_CHECK(keys.dim() == 3 && keys.size(2) == key_size, layer, "keys have shape {}; expected (B, S, key_size = {})",
             keys.shape(), key_size);
}

// projected keys (B, S, size) for query (B, ·), values (B, S, Hv), mask (B, S) or undefined.
void check_memory(const char* layer, const Tensor& query, const Tensor& projected_keys, int64_t size,
                  const Tensor& values, const Tensor& mask) {
  const int64_t batch = query.size(0);
  HEED_CHECK(projected_keys.dim() == 3 && projected_keys.size(0) == batch && projected_keys.size(2) == size, layer,
             "projected keys have shape {} for a query of shape {}; expected (B = {}, S, {}) from project_keys",
             projected_keys.shape(), query.shape(), batch, size);
  const int64_t source = projected_keys.size(1);
  HEED_CHECK(values.dim() == 3 && values.size(0) == batch && values.size(1) == source, layer,
             "values have shape {} for keys of shape {}; expected (B = {}, S = {}, Hv)", values.shape(),
             projected_keys.shape(), batch, source);
  HEED_CHECK(!mask.defined() || mask.shape() == (Shape{batch, source}), layer,
             "key_padding_mask has shape {}; expected (B, S) = [{}, {}]", mask.shape(), batch, source);
}

// The part both scores share: scores (B, S) -> masked softmax -> weighted sum of values (B, S, Hv).
RnnAttentionOutput attend(Tensor scores, const Tensor& values, const Tensor& mask) {
  if (mask.defined()) scores = ops::masked_fill(scores, mask, -std::numeric_limits<float>::infinity());  // (B, S)
  Tensor weights = ops::softmax(scores, 1);  // (B, S); an all-padded row is all zeros
  Tensor context = ops::squeeze(ops::matmul(ops::unsqueeze(weights, 1), values), 1);  // (B, 1, S)(B, S, Hv) -> (B, Hv)
  return {context, weights};
}

}  // namespace

// ---- AdditiveAttention ----

AdditiveAttention::AdditiveAttention(int64_t query_size, int64_t key_size, int64_t attention_size)
    : query_proj(register_module("query_proj", Linear(query_size, attention_size, {.bias = false}))),
      key_proj(register_module("key_proj", Linear(key_size, attention_size, {.bias = false}))),
      v(register_module("v", Linear(attention_size, 1, {.bias = false}))) {}

RnnAttentionOutput AdditiveAttention::forward(const Tensor& query, const Tensor& keys, const Tensor& values,
                                              const Tensor& key_padding_mask) const {
  return forward_projected(query, project_keys(keys), values, key_padding_mask);
}

Tensor AdditiveAttention::project_keys(const Tensor& keys) const {
  check_keys("AdditiveAttention", keys, key_proj->weight.size(1));
  return key_proj->forward(keys);  // (B, S, A)
}

RnnAttentionOutput AdditiveAttention::forward_projected(const Tensor& query, const Tensor& projected_keys,
                                                        const Tensor& values, const Tensor& key_padding_mask) const {
  check_query("AdditiveAttention", query, query_proj->weight.size(1));
  check_memory("AdditiveAttention", query, projected_keys, v->weight.size(1), values, key_padding_mask);
  Tensor q = query_proj->forward(query);                                     // (B, A)
  Tensor v_row = ops::reshape(v->weight, {v->weight.size(1)});               // (1, A) -> (A)
  Tensor scores = ops::additive_scores(projected_keys, q, v_row);           // vᵀ tanh(keys + q): (B, S)
  return attend(scores, values, key_padding_mask);
}

std::string AdditiveAttention::describe() const {
  return fmt::format("AdditiveAttention(query_size={}, key_size={}, attention_size={})", query_proj->weight.size(1),
                     key_proj->weight.size(1), v->weight.size(1));
}

// ---- LuongAttention ----

LuongAttention::LuongAttention(int64_t q_size, int64_t k_size, LuongAttentionOptions options)
    : score(options.score), query_size(q_size), key_size(k_size) {
  HEED_CHECK(query_size > 0 && key_size > 0, "LuongAttention", "query_size {} and key_size {}; expected both > 0",
             query_size, key_size);
  HEED_CHECK(score == LuongScore::General || query_size == key_size, "LuongAttention",
             "dot scores need query_size == key_size; got {} and {} (use LuongScore::General)", query_size,
             key_size);
  if (score == LuongScore::General)
    linear_in = register_module("linear_in", Linear(key_size, query_size, {.bias = false}));
}

RnnAttentionOutput LuongAttention::forward(const Tensor& query, const Tensor& keys, const Tensor& values,
                                           const Tensor& key_padding_mask) const {
  return forward_projected(query, project_keys(keys), values, key_padding_mask);
}

Tensor LuongAttention::project_keys(const Tensor& keys) const {
  check_keys("LuongAttention", keys, key_size);
  return linear_in ? linear_in->forward(keys) : keys;  // (B, S, Hq)
}

RnnAttentionOutput LuongAttention::forward_projected(const Tensor& query, const Tensor& projected_keys,
                                                     const Tensor& values, const Tensor& key_padding_mask) const {
  check_query("LuongAttention", query, query_size);
  check_memory("LuongAttention", query, projected_keys, query_size, values, key_padding_mask);
  Tensor q = ops::unsqueeze(query, 2);                                  // (B, Hq, 1)
  Tensor scores = ops::squeeze(ops::matmul(projected_keys, q), 2);      // (B, S, Hq)(B, Hq, 1) -> (B, S)
  return attend(scores, values, key_padding_mask);
}

std::string LuongAttention::describe() const {
  return fmt::format("LuongAttention(query_size={}, key_size={}, score={})", query_size, key_size,
                     score == LuongScore::Dot ? "dot" : "general");
}

}  // namespace heed::nn
