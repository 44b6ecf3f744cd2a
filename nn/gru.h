// nn::GRUCell and nn::GRU: gated recurrent units, as PyTorch's (same parameter names, shapes, gate
// order r, z, n, formula n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) and initialisation).
//
//   nn::GRU rnn(64, 128, {.batch_first = true});
//   auto [output, h_n] = rnn.forward(x, Tensor(), lengths);   // x (B, T, 64) -> output (B, T, 128)
//
// Options and padded batches (`lengths`) behave as nn::LSTM's (nn/lstm.h).
#pragma once

#include <utility>

#include "heed/nn/recurrent.h"

namespace heed::nn {

class GRUCell : public RecurrentCell {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {});
  // x (B, input_size), h (B, H) or undefined (zeros) -> h' (B, H)
  Tensor forward(const Tensor& x, const Tensor& h = Tensor()) const;
};

class GRU : public RecurrentLayers {
 public:
  GRU(int64_t input_size, int64_t hidden_size, RNNOptions options = {});
  // input (T, B, input_size), or (B, T, input_size) with batch_first
  // h0: (num_layers·num_directions, B, H), or undefined (zeros)
  // lengths: int64 (B), the real steps of each sequence (each in [1, T]), or undefined (all T)
  // -> output (T, B, num_directions·H) (or (B, T, ...)), and h_n (num_layers·num_directions, B, H)
  std::pair<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0 = Tensor(),
                                    const Tensor& lengths = Tensor()) const;
};

}  // namespace heed::nn
