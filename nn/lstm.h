// nn::LSTMCell and nn::LSTM: long short-term memory, as PyTorch's (same parameter names, shapes,
// gate order i, f, g, o and initialisation, so state dicts move between the two).
//
//   nn::LSTM rnn(64, 128, {.num_layers = 2, .bidirectional = true});
//   auto [output, state] = rnn.forward(x);             // x (T, B, 64) -> output (T, B, 256)
//   // state.h, state.c: (num_layers·num_directions, B, 128) = (4, B, 128)
//
// Padded batches: pass `lengths` (int64 (B)) and each sequence runs only over its real steps, as
// PyTorch's pack_padded_sequence / pad_packed_sequence would: the output is zero at padded steps,
// state.h and state.c hold each sequence's state after its last real step, and the reverse
// direction starts at that step. What the padding holds never matters.
#pragma once

#include <utility>

#include "heed/nn/recurrent.h"

namespace heed::nn {

// An LSTM's hidden and cell states: (B, H) for LSTMCell, (num_layers·num_directions, B, H) for
// LSTM. Undefined tensors stand for zeros.
struct LSTMState {
  Tensor h;
  Tensor c;
};

class LSTMCell : public RecurrentCell {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {});
  // x (B, input_size), state (h, c) each (B, H) or both undefined (zeros) -> (h', c') each (B, H)
  LSTMState forward(const Tensor& x, const LSTMState& state = {}) const;
};

class LSTM : public RecurrentLayers {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, RNNOptions options = {});
  // input (T, B, input_size), or (B, T, input_size) with batch_first
  // state: initial (h0, c0), each (num_layers·num_directions, B, H), or both undefined (zeros)
  // lengths: int64 (B), the real steps of each sequence (each in [1, T]), or undefined (all T)
  // -> output (T, B, num_directions·H) (or (B, T, ...)), and the final state (h_n, c_n)
  std::pair<Tensor, LSTMState> forward(const Tensor& input, const LSTMState& state = {},
                                       const Tensor& lengths = Tensor()) const;
};

}  // namespace heed::nn
