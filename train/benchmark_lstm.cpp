// train::BenchmarkLSTM: the `lstm` benchmark workload's encoder-decoder (see the header).
#include "heed/train/benchmark_lstm.h"

#include "heed/core/factories.h"
#include "heed/ops/shape.h"

namespace heed::train {
namespace {

// ids (B, S) -> (B, S) int64: 1 where ids == 0 (padding), else 0.
Tensor padding_mask(const Tensor& ids) {
  std::vector<int64_t> is_pad = ids.to_vector<int64_t>();
  for (int64_t& id : is_pad) id = id == 0 ? 1 : 0;
  return from_vector(is_pad, ids.shape());  // (B, S)
}

}  // namespace

BenchmarkLSTM::BenchmarkLSTM(BenchmarkLSTMConfig config_)
    : config(config_),
      source_embedding(register_module(
          "source_embedding", nn::Embedding(config.vocab_size, config.embedding_size, {.padding_idx = 0}))),
      encoder(register_module("encoder",
                              nn::LSTM(config.embedding_size, config.hidden_size, {.batch_first = true}))),
      target_embedding(register_module(
          "target_embedding", nn::Embedding(config.vocab_size, config.embedding_size, {.padding_idx = 0}))),
      decoder(register_module("decoder",
                              nn::LSTMCell(config.embedding_size + config.hidden_size, config.hidden_size))),
      attention(register_module("attention",
                                nn::AdditiveAttention(config.hidden_size, config.hidden_size, config.hidden_size))),
      generator(register_module("generator", nn::Linear(2 * config.hidden_size, config.vocab_size))) {}

Tensor BenchmarkLSTM::forward(const Tensor& src, const Tensor& tgt_in) const {
  HEED_CHECK(src.dim() == 2 && tgt_in.dim() == 2 && src.size(0) == tgt_in.size(0), "BenchmarkLSTM",
             "src has shape {} and tgt_in {}; expected (B, S) and (B, T) token ids", src.shape(), tgt_in.shape());
  auto [memory, finals] = encoder->forward(source_embedding->forward(src));  // (B, S, H), (1, B, H) each
  const Tensor keys = attention->project_keys(memory);                         // (B, S, H)
  const Tensor padding = padding_mask(src);                                    // (B, S)
  // The decoder's input is [y_t embedded; context]: the embedding share of its input projection
  // is known for every step before the loop, one GEMM for all T (nn::LSTMCell::project_known).
  const nn::LSTMKnownInput known = decoder->project_known(target_embedding->forward(tgt_in));  // (B, T, 4H)
  nn::LSTMState state{ops::squeeze(finals.h, 0), ops::squeeze(finals.c, 0)};  // (B, H) each
  Tensor context = zeros({src.size(0), config.hidden_size});                   // (B, H)
  std::vector<Tensor> outputs;
  for (int64_t t = 0; t < tgt_in.size(1); ++t) {
    state = decoder->forward(known, t, context, state);  // [y_t embedded; context] -> (B, H) each
    context = attention->forward_projected(state.h, keys, memory, padding).context;  // (B, H)
    outputs.push_back(ops::cat({state.h, context}, 1));                              // (B, 2H)
  }
  return generator->forward(ops::stack(outputs, 1));  // (B, T, 2H) -> (B, T, V)
}

}  // namespace heed::train
