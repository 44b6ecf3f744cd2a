// LSTM ops: one fused step (lstm_cell, for nn::LSTMCell) and the recurrence of a whole layer
// direction (lstm_recurrence, for nn::LSTM). Both take gate pre-activations of 4H features in
// PyTorch's order i, f, g, o. The math, forward and backward, is at the top of ops/lstm.cpp and
// derived in docs/recurrent.md.
//
// An op records one output, so each returns the hidden state and the cell state side by side in
// one tensor, [h | c] along the last dim; a caller takes the halves with ops::narrow (views).
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// One LSTM step from the gate pre-activations a = gates_x + gates_h (each (B, 4H): the input's and
// the previous hidden state's projections, biases included) and the previous cell state c (B, H):
//   i, f, o = σ(a_i), σ(a_f), σ(a_o)   g = tanh(a_g)   c' = f ⊙ c + i ⊙ g   h' = o ⊙ tanh(c')
// Returns (B, 2H) = [h' | c']. The add, the four activations and the cell update are one kernel,
// and so is the backward.
Tensor lstm_cell(const Tensor& gates_x, const Tensor& gates_h, const Tensor& c);

// The recurrence of one LSTM layer direction over T steps:
//   gates_x (T, B, 4H)  the input projection of every step, x_t W_ihᵀ + b_ih + b_hh, computed
//                       beforehand in one GEMM (nn::LSTM uses ops::linear)
//   weight_hh (4H, H)   the recurrent weights; each step adds h_{t−1} W_hhᵀ to gates_x[t]
//   h0, c0 (B, H)       the initial state, zeros where undefined
//   lengths (B) int64   the real steps of each sequence, each in [1, T]; undefined: all T
//   reverse             visit the steps from T−1 down to 0 (a bidirectional layer's second half)
// Returns (T, B, 2H): [h_t | c_t], the state after step t, and zeros where t is padding
// (t >= lengths[b]). Each step costs one (B, H) x (H, 4H) GEMM and one fused kernel; backward costs
// the same per step, then one GEMM for W_hh's whole gradient. The padding never affects a
// sequence's states (see ops/recurrence.h): its last real state is at t = lengths[b] − 1 (forward)
// or at t = 0 (reverse).
Tensor lstm_recurrence(const Tensor& gates_x, const Tensor& weight_hh, const Tensor& h0 = Tensor(),
                       const Tensor& c0 = Tensor(), const Tensor& lengths = Tensor(), bool reverse = false);

}  // namespace heed::ops
