// GRU ops: one fused step (gru_cell, for nn::GRUCell) and the recurrence of a whole layer
// direction (gru_recurrence, for nn::GRU). Gate pre-activations have 3H features in PyTorch's
// order r, z, n. The math, forward and backward, is at the top of ops/gru.cpp and derived in
// docs/recurrent.md.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// One GRU step from gates_x = W_ih x + b_ih and gates_h = W_hh h + b_hh (each (B, 3H)) and the
// previous hidden state h (B, H), as PyTorch:
//   r = σ(x_r + h_r)   z = σ(x_z + h_z)   n = tanh(x_n + r ⊙ h_n)   h' = (1 − z) ⊙ n + z ⊙ h
// Returns h' (B, H); forward and backward are one kernel each.
Tensor gru_cell(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h);

// The recurrence of one GRU layer direction over T steps:
//   gates_x (T, B, 3H)  the input projection of every step, x_t W_ihᵀ + b_ih, computed beforehand
//                       in one GEMM (nn::GRU uses ops::linear)
//   weight_hh (3H, H), bias_hh (3H) or undefined   each step's gates_h = h_{t−1} W_hhᵀ + b_hh
//                       (b_hh cannot join b_ih: its n part is multiplied by r)
//   h0 (B, H)           the initial state, zeros where undefined
//   lengths, reverse    as lstm_recurrence (ops/lstm.h)
// Returns (T, B, H): h_t, the state after step t, and zeros where t is padding.
Tensor gru_recurrence(const Tensor& gates_x, const Tensor& weight_hh, const Tensor& bias_hh = Tensor(),
                      const Tensor& h0 = Tensor(), const Tensor& lengths = Tensor(), bool reverse = false);

}  // namespace heed::ops
