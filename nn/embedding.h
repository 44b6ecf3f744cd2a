// nn::Embedding: a lookup table of num_embeddings vectors of size embedding_dim, initialised
// N(0, 1) as in PyTorch. With padding_idx, that row starts at zero and never gets a gradient.
#pragma once

#include <optional>

#include "heed/nn/module.h"

namespace heed::nn {

struct EmbeddingOptions {
  std::optional<int64_t> padding_idx;
};

class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, EmbeddingOptions options = {});
  // ids int64 (...) -> (..., embedding_dim)
  Tensor forward(const Tensor& ids) const;
  std::string describe() const override;

  Tensor weight;  // (num_embeddings, embedding_dim)
  std::optional<int64_t> padding_idx;
};

}  // namespace heed::nn
