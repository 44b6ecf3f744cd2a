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

// Teacher forcing through an LSTMCell when the first K features of every step's input are known
// before the loop (a decoder's target embeddings) and the rest come step by step (the previous
// attention context). LSTMCell::project_known makes it; LSTMCell::forward(known, t, rest, state)
// reads it.
struct LSTMKnownInput {
  Tensor gates;        // (B, T, 4H): known · W_ih[:, :K]ᵀ + b_ih + b_hh, every step in one GEMM
  Tensor rest_weight;  // (4H, input_size − K): W_ih's other columns, one view shared by every step
};

class LSTMCell : public RecurrentCell {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {});
  // x (B, input_size), state (h, c) each (B, H) or both undefined (zeros) -> (h', c') each (B, H)
  LSTMState forward(const Tensor& x, const LSTMState& state = {}) const;

  //   nn::LSTMKnownInput known = cell.project_known(embedded);   // (B, T, E): one GEMM for all T
  //   for t: state = cell.forward(known, t, context, state);     // context (B, input_size − E)
  // Step t computes what forward(cat({embedded[:, t], context}, 1), state) computes, but the
  // embedding share of the input projection was one (B·T, E) x (E, 4H) GEMM instead of T small ones.
  // known (B, T, K) with 0 < K < input_size.
  LSTMKnownInput project_known(const Tensor& known) const;
  // rest (B, input_size − K), t in [0, T) -> (h', c') each (B, H)
  LSTMState forward(const LSTMKnownInput& known, int64_t t, const Tensor& rest, const LSTMState& state = {}) const;

 private:
  // Both forwards after the input's share of the gates, gates_x (B, 4H): adds h · W_hhᵀ + bias_h
  // (which may be undefined) and runs the cell.
  LSTMState step(const Tensor& gates_x, const Tensor& bias_h, const LSTMState& state) const;
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
