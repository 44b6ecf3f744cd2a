// train::BenchmarkLSTM: the model of the `lstm` benchmark workload (issue 5), an attentional LSTM
// encoder-decoder in Bahdanau's arrangement, built to match bench/reference/lstm_seq2seq.py layer
// for layer (1,953,000 parameters at vocabulary 1000, embeddings 128, hidden 256).
//
//   encoder   src (B, S) -> source_embedding (E) -> nn::LSTM, one layer, unidirectional -> (B, S, H)
//   decoder   starts from the encoder's final (h, c) and a zero context; each target position t:
//               x       = [target_embedding(y_t); context_{t−1}]        (B, E + H)
//               h, c    = decoder(x, (h, c))                            LSTMCell, (B, H)
//               context = additive attention(h, encoder states)         (B, H), padding masked
//               logits  = generator([h; context])                      Linear 2H -> V with bias
//   attention vᵀ tanh(W_q h + W_k k_j), W_q and W_k H -> H and v H -> 1, none with a bias.
//
// It is not a models::Seq2Seq (no decoding): models::LSTMSeq2Seq is heed's translation LSTM; this
// one exists so that heed and PyTorch time the very same network.
#pragma once

#include <memory>

#include "heed/nn/embedding.h"
#include "heed/nn/linear.h"
#include "heed/nn/lstm.h"
#include "heed/nn/rnn_attention.h"

namespace heed::train {

struct BenchmarkLSTMConfig {
  int64_t vocab_size = 1000;  // source and target alike; id 0 is padding
  int64_t embedding_size = 128;
  int64_t hidden_size = 256;
};

class BenchmarkLSTM : public nn::Module {
 public:
  explicit BenchmarkLSTM(BenchmarkLSTMConfig config = {});
  // src (B, S), tgt_in (B, T) int64 -> logits (B, T, V)
  Tensor forward(const Tensor& src, const Tensor& tgt_in) const;

  BenchmarkLSTMConfig config;
  std::shared_ptr<nn::Embedding> source_embedding;  // (V, E), pad row zero
  std::shared_ptr<nn::LSTM> encoder;                // batch_first, E -> H
  std::shared_ptr<nn::Embedding> target_embedding;  // (V, E), pad row zero
  std::shared_ptr<nn::LSTMCell> decoder;            // E + H -> H
  std::shared_ptr<nn::AdditiveAttention> attention; // H, H -> H
  std::shared_ptr<nn::Linear> generator;            // 2H -> V
};

}  // namespace heed::train
