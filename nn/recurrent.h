// What the recurrent layers share. nn::LSTM and nn::GRU (nn/lstm.h, nn/gru.h) are stacks of layers
// that may run in both directions; nn::LSTMCell and nn::GRUCell are single steps. Here live their
// options, their parameters (PyTorch's names, shapes and initialisation: U(±1/√H) for all), the
// checks of inputs, states and lengths, and the loop over layers and directions.
//
// How a stack runs (RecurrentLayers::run_layers): each layer direction projects its whole input
// sequence in one GEMM (ops::linear), then a recurrence op (ops/lstm.h, ops/gru.h) runs the time
// steps. A bidirectional layer joins its two directions' outputs along the features; the next
// layer reads that. Dropout, while training, hits every layer's output but the last.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "heed/nn/module.h"

namespace heed::nn {

struct RNNOptions {
  int64_t num_layers = 1;
  bool bias = true;          // both biases, b_ih and b_hh, in every layer
  bool batch_first = false;  // input and output are (B, T, features) instead of (T, B, features)
  float dropout = 0.0f;      // probability of dropping each output of a layer but the last, in training
  bool bidirectional = false;
};

struct RNNCellOptions {
  bool bias = true;
};

// One layer direction's parameters: G gates (4 for LSTM, 3 for GRU) of H features each, stacked
// along the first dim in PyTorch's gate order.
struct RecurrentWeights {
  Tensor weight_ih;  // (G·H, the layer's input size)
  Tensor weight_hh;  // (G·H, H)
  Tensor bias_ih;    // (G·H), undefined without bias
  Tensor bias_hh;    // (G·H), undefined without bias
};

// The parameters and the plumbing of a stack of recurrent layers; LSTM and GRU add the recurrence.
class RecurrentLayers : public Module {
 public:
  // "LSTM(8, 16, num_layers=2, bidirectional=true)": sizes, then the options that differ from the
  // defaults, as PyTorch prints it.
  std::string describe() const override;
  int64_t num_directions() const { return options.bidirectional ? 2 : 1; }

  int64_t input_size;
  int64_t hidden_size;
  RNNOptions options;
  // weights[layer · num_directions() + direction], registered as weight_ih_l{layer}, ...,
  // bias_hh_l{layer}, with the suffix _reverse for direction 1 (which runs backwards in time).
  std::vector<RecurrentWeights> weights;

 protected:
  RecurrentLayers(const char* kind, int64_t gates, int64_t input_size, int64_t hidden_size, RNNOptions options);

  // The input as (T, B, input_size), after checking it (a view: batch_first transposes).
  Tensor time_major(const Tensor& input) const;
  // Checks an initial state (num_layers·num_directions, B, H) named `name`; undefined passes.
  void check_state(const Tensor& state, const char* name, int64_t batch) const;
  // Layer direction k's part (B, H) of a checked initial state, or undefined.
  static Tensor state_of(const Tensor& state, int64_t k);

  // One layer direction: (its input (T, B, features), its index k, reverse) -> its states (T, B, S)
  // from a recurrence op, whose first H features are the direction's output.
  using Direction = std::function<Tensor(const Tensor& input, int64_t k, bool reverse)>;
  struct Result {
    Tensor output;                    // (T, B, num_directions·H), or (B, T, ...) with batch_first
    std::vector<Tensor> final_states;  // [k]: (B, S), each sequence's state after its last real step
  };
  // Runs every layer and direction over x (T, B, input_size) after checking `lengths`.
  Result run_layers(const Tensor& x, const Tensor& lengths, const Direction& direction) const;

  const char* kind_;  // "LSTM" or "GRU", for describe() and errors
};

// The parameters of one recurrent step; LSTMCell and GRUCell add the step.
class RecurrentCell : public Module {
 public:
  // "LSTMCell(8, 16)", with ", bias=false" when so.
  std::string describe() const override;

  int64_t input_size;
  int64_t hidden_size;
  Tensor weight_ih;  // (G·H, input_size)
  Tensor weight_hh;  // (G·H, H)
  Tensor bias_ih;    // (G·H), undefined without bias
  Tensor bias_hh;    // (G·H), undefined without bias

 protected:
  RecurrentCell(const char* kind, int64_t gates, int64_t input_size, int64_t hidden_size, RNNCellOptions options);

  // Checks x (B, input_size).
  void check_input(const Tensor& x) const;
  // A state (B, H) after checking it, or zeros (B, H) when undefined.
  Tensor state_or_zeros(const Tensor& state, const char* name, int64_t batch) const;

  const char* kind_;  // "LSTMCell" or "GRUCell"
};

}  // namespace heed::nn
