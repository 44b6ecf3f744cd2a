// What the LSTM and GRU recurrences (ops/lstm.cpp, ops/gru.cpp) share: the sequence lengths, the
// order in which a direction visits the time steps, the per-step buffers and the two GEMMs of a
// recurrence.
//
// A recurrence runs over gates_x (T, B, G·H), the input projection of every time step computed
// beforehand in one GEMM (G gates of H features each). Step by step it adds the recurrent product
// h_prev · W_hhᵀ and applies one fused gate kernel. With `lengths`, sequence b has lengths[b] real
// steps: at time t it is active while t < lengths[b]. An inactive row keeps its state unchanged
// and outputs zeros, in both directions: the forward direction stops at its last real step, the
// reverse direction starts there (it meets the padding first, while still in its initial state).
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "heed/core/tensor.h"

namespace heed::ops {

// The real length of each of `batch` sequences of at most `steps` steps: `lengths` (int64, shape
// (batch), every value in [1, steps]) read out, or `steps` for all when lengths is undefined.
// Errors name `who` (an op or a layer), the shapes and the offending value.
std::vector<int64_t> sequence_lengths(const Tensor& lengths, int64_t batch, int64_t steps, const char* who);

namespace recurrence {

// The time step a direction handles at its step-th step: 0, 1, ..., T−1 or T−1, ..., 0.
inline int64_t time_at(int64_t step, int64_t steps, bool reverse) { return reverse ? steps - 1 - step : step; }

// Per-time-step slots of (B, width) floats in a tensor (slots, B, width). When backward will read
// every step, there is one slot per time step; otherwise a few reused ones (slot t % slots): one
// for scratch, two for a state that step t reads while writing step t ± 1's.
class Slots {
 public:
  Slots(int64_t slots, int64_t batch, int64_t width)
      : tensor_(Tensor::empty({slots, batch, width})), base_(tensor_.mutable_data<float>()),
        slots_(slots), size_(batch * width) {}
  float* at(int64_t t) const { return base_ + (t % slots_) * size_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Tensor tensor_;
  float* base_;
  int64_t slots_, size_;
};

// Throws naming `op` unless every defined tensor of the list is float32.
void check_float32(std::initializer_list<std::pair<const char*, const Tensor*>> tensors, const char* op);

// Copies an initial state (B, H) into a slot of `count` = B·H floats; zeros when it is undefined.
void write_initial(const Tensor& state, float* slot, int64_t count);

// Rows of a gate kernel per thread: below this many rows the kernel runs on one thread.
inline int64_t rows_per_thread(int64_t hidden) { return std::max<int64_t>(1, 2048 / std::max<int64_t>(hidden, 1)); }

// gates (B, G·H) = h (B, H) · W_hhᵀ + bias: the recurrent product of one step. W_hh (G·H, H) and
// bias (G·H) are dense; without a bias pass nullptr.
void recurrent_product(const float* h, const Tensor& weight_hh, const float* bias, int64_t batch, float* gates);

// dh (B, H) += dgates (B, G·H) · W_hh: the gradient one step sends back to the previous state.
void recurrent_product_backward(const float* dgates, const Tensor& weight_hh, int64_t batch, float* dh);

// dW_hh = Σ_t dgates[t]ᵀ · h_in[t] over all T·B rows at once: (G·H, T·B) x (T·B, H), one GEMM
// instead of one per step. dgates (T, B, G·H) and h_in (T, B, H) are dense.
Tensor weight_hh_gradient(const Tensor& dgates, const Tensor& h_in);

}  // namespace recurrence
}  // namespace heed::ops
