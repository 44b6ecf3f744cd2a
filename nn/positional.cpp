#include "heed/nn/positional.h"

#include <cmath>

#include "heed/core/autograd.h"
#include "heed/nn/init.h"
#include "heed/ops/elementwise.h"
#include "heed/ops/index.h"
#include "heed/ops/inplace.h"
#include "heed/ops/shape.h"

namespace heed::nn {
namespace {

// Rows offset .. offset + T − 1 of a (max_len, d_model) table, for x (B, T, d_model).
Tensor rows_for(const char* layer, const Tensor& x, int64_t offset, const Tensor& table) {
  const int64_t max_len = table.size(0), d_model = table.size(1);
  HEED_CHECK(x.dim() == 3 && x.size(2) == d_model, layer, "x has shape {}; expected (B, T, d_model = {})", x.shape(),
             d_model);
  const int64_t length = x.size(1);
  HEED_CHECK(offset >= 0 && offset + length <= max_len, layer,
             "T = {} positions from offset {} reach position {}; expected them all below max_len = {}", length,
             offset, offset + length - 1, max_len);
  return ops::narrow(table, 0, offset, length);  // (T, d_model)
}

}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int64_t d_model, int64_t max_len) {
  HEED_CHECK(d_model > 0 && max_len > 0, "SinusoidalPositionalEncoding",
             "d_model {} and max_len {}; expected both > 0", d_model, max_len);
  Tensor table = Tensor::empty({max_len, d_model});
  float* out = table.mutable_data<float>();
  // In double: in float, pos · frequency loses digits for large pos, and sin of it more.
  const double log_base = std::log(10000.0);
  for (int64_t column = 0; column < d_model; column += 2) {
    // 1 / 10000^(2i/d) for the pair of columns 2i, 2i + 1.
    const double frequency = std::exp(-static_cast<double>(column) / static_cast<double>(d_model) * log_base);
    for (int64_t pos = 0; pos < max_len; ++pos) {
      const double angle = static_cast<double>(pos) * frequency;
      out[pos * d_model + column] = static_cast<float>(std::sin(angle));
      if (column + 1 < d_model) out[pos * d_model + column + 1] = static_cast<float>(std::cos(angle));
    }
  }
  pe = register_buffer("pe", table);
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x, int64_t offset) const {
  Tensor positions = rows_for("SinusoidalPositionalEncoding", x, offset, pe);  // (T, d)
  return x + positions;                                                       // (B, T, d)
}

std::string SinusoidalPositionalEncoding::describe() const {
  return fmt::format("SinusoidalPositionalEncoding(d_model={}, max_len={})", pe.size(1), pe.size(0));
}

LearnedPositionalEncoding::LearnedPositionalEncoding(int64_t max_len, int64_t d_model) {
  HEED_CHECK(d_model > 0 && max_len > 0, "LearnedPositionalEncoding",
             "max_len {} and d_model {}; expected both > 0", max_len, d_model);
  weight = register_parameter("weight", Tensor::empty({max_len, d_model}));
  init::normal_(weight);
}

Tensor LearnedPositionalEncoding::forward(const Tensor& x, int64_t offset) const {
  Tensor positions = rows_for("LearnedPositionalEncoding", x, offset, weight);  // (T, d)
  return x + positions;                                                        // (B, T, d)
}

std::string LearnedPositionalEncoding::describe() const {
  return fmt::format("LearnedPositionalEncoding(max_len={}, d_model={})", weight.size(0), weight.size(1));
}

TokenEmbedding::TokenEmbedding(int64_t vocab_size, int64_t d_model, TokenEmbeddingOptions options)
    : padding_idx(options.padding_idx),
      scale(options.scale ? static_cast<float>(std::sqrt(static_cast<double>(d_model))) : 1.0f) {
  HEED_CHECK(vocab_size > 0 && d_model > 0, "TokenEmbedding", "vocab_size {} and d_model {}; expected both > 0",
             vocab_size, d_model);
  if (padding_idx) {
    HEED_CHECK(*padding_idx >= -vocab_size && *padding_idx < vocab_size, "TokenEmbedding",
               "padding_idx {} is outside [{}, {})", *padding_idx, -vocab_size, vocab_size);
    if (*padding_idx < 0) *padding_idx += vocab_size;
  }
  weight = register_parameter("weight", Tensor::empty({vocab_size, d_model}));
  init::normal_(weight, 0.0f, 1.0f / scale);
  if (padding_idx) {
    NoGradGuard no_grad;
    Tensor row = ops::narrow(weight, 0, *padding_idx, 1);  // (1, d_model)
    ops::zero_(row);
  }
}

Tensor TokenEmbedding::forward(const Tensor& ids) const {
  Tensor vectors = ops::embedding(weight, ids, padding_idx);  // (..., d_model)
  return scale == 1.0f ? vectors : vectors * scale;          // (..., d_model)
}

std::string TokenEmbedding::describe() const {
  return fmt::format("TokenEmbedding({}, {}{}, scale={:g})", weight.size(0), weight.size(1),
                     padding_idx ? fmt::format(", padding_idx={}", *padding_idx) : "", scale);
}

}  // namespace heed::nn
