#include "heed/nn/embedding.h"

#include "heed/core/autograd.h"
#include "heed/nn/init.h"
#include "heed/ops/index.h"
#include "heed/ops/inplace.h"
#include "heed/ops/shape.h"

namespace heed::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, EmbeddingOptions options)
    : padding_idx(options.padding_idx) {
  HEED_CHECK(num_embeddings > 0 && embedding_dim > 0, "Embedding",
             "num_embeddings {} and embedding_dim {}; expected both > 0", num_embeddings, embedding_dim);
  if (padding_idx) {
    HEED_CHECK(*padding_idx >= -num_embeddings && *padding_idx < num_embeddings, "Embedding",
               "padding_idx {} is outside [{}, {})", *padding_idx, -num_embeddings, num_embeddings);
    if (*padding_idx < 0) *padding_idx += num_embeddings;
  }
  weight = register_parameter("weight", Tensor::empty({num_embeddings, embedding_dim}));
  init::normal_(weight);
  if (padding_idx) {
    NoGradGuard no_grad;
    Tensor row = ops::narrow(weight, 0, *padding_idx, 1);
    ops::zero_(row);
  }
}

Tensor Embedding::forward(const Tensor& ids) const { return ops::embedding(weight, ids, padding_idx); }

std::string Embedding::describe() const {
  return fmt::format("Embedding({}, {}{})", weight.size(0), weight.size(1),
                     padding_idx ? fmt::format(", padding_idx={}", *padding_idx) : "");
}

}  // namespace heed::nn
