#include "heed/nn/lstm.h"

#include "heed/ops/elementwise.h"
#include "heed/ops/lstm.h"
#include "heed/ops/matmul.h"
#include "heed/ops/shape.h"

namespace heed::nn {
namespace {

// An LSTM needs both states or neither.
void check_pair(const LSTMState& state, const char* kind) {
  HEED_CHECK(state.h.defined() == state.c.defined(), kind,
             "the state has h {} and c {}; expected both (h, c) or neither (zeros)",
             state.h.defined() ? fmt::format("{}", state.h.shape()) : "undefined",
             state.c.defined() ? fmt::format("{}", state.c.shape()) : "undefined");
}

}  // namespace

LSTMCell::LSTMCell(int64_t input, int64_t hidden, RNNCellOptions options)
    : RecurrentCell("LSTMCell", 4, input, hidden, options) {}

LSTMState LSTMCell::forward(const Tensor& x, const LSTMState& state) const {
  check_input(x);
  check_pair(state, kind_);
  return step(ops::linear(x, weight_ih, bias_ih), bias_hh, state);  // x · W_ihᵀ + b_ih: (B, 4H)
}

LSTMState LSTMCell::step(const Tensor& gates_x, const Tensor& bias_h, const LSTMState& state) const {
  const int64_t batch = gates_x.size(0), H = hidden_size;
  const Tensor h = state_or_zeros(state.h, "h", batch);  // (B, H)
  const Tensor c = state_or_zeros(state.c, "c", batch);  // (B, H)
  Tensor gates_h = ops::linear(h, weight_hh, bias_h);    // (B, 4H)
  Tensor hc = ops::lstm_cell(gates_x, gates_h, c);       // (B, 2H) = [h' | c']
  return {ops::narrow(hc, 1, 0, H), ops::narrow(hc, 1, H, H)};
}

LSTMKnownInput LSTMCell::project_known(const Tensor& known) const {
  HEED_CHECK(known.dim() == 3 && known.size(2) > 0 && known.size(2) < input_size, kind_,
             "known inputs of shape {}; expected (B, T, K) with 0 < K < input_size {}", known.shape(), input_size);
  const int64_t K = known.size(2);
  const Tensor bias = bias_ih.defined() ? bias_ih + bias_hh : Tensor();             // (4H)
  return {ops::linear(known, ops::narrow(weight_ih, 1, 0, K), bias),                // (B, T, 4H)
          ops::narrow(weight_ih, 1, K, input_size - K)};                            // (4H, input_size − K)
}

LSTMState LSTMCell::forward(const LSTMKnownInput& known, int64_t t, const Tensor& rest, const LSTMState& state) const {
  const int64_t rest_size = known.rest_weight.size(1), steps = known.gates.size(1);
  HEED_CHECK(rest.dim() == 2 && rest.size(0) == known.gates.size(0) && rest.size(1) == rest_size, kind_,
             "rest of the input has shape {}; expected ({}, {}) for known gates {}", rest.shape(),
             known.gates.size(0), rest_size, known.gates.shape());
  HEED_CHECK(t >= 0 && t < steps, kind_, "step {} of known gates {}; expected it in [0, {})", t, known.gates.shape(),
             steps);
  check_pair(state, kind_);
  Tensor gates_x = ops::select(known.gates, 1, t) + ops::linear(rest, known.rest_weight);  // (B, 4H)
  return step(gates_x, Tensor(), state);  // both biases are in known.gates
}

LSTM::LSTM(int64_t input, int64_t hidden, RNNOptions opts) : RecurrentLayers("LSTM", 4, input, hidden, opts) {}

std::pair<Tensor, LSTMState> LSTM::forward(const Tensor& input, const LSTMState& state, const Tensor& lengths) const {
  const Tensor x = time_major(input);  // (T, B, input_size)
  check_pair(state, kind_);
  check_state(state.h, "h0", x.size(1));
  check_state(state.c, "c0", x.size(1));
  const int64_t H = hidden_size;
  Result result = run_layers(x, lengths, [&](const Tensor& layer_input, int64_t k, bool reverse) {
    const RecurrentWeights& w = weights[k];
    // b_ih and b_hh always appear summed, so both join the input projection.
    const Tensor bias = w.bias_ih.defined() ? w.bias_ih + w.bias_hh : Tensor();   // (4H)
    const Tensor gates_x = ops::linear(layer_input, w.weight_ih, bias);           // (T, B, 4H)
    return ops::lstm_recurrence(gates_x, w.weight_hh, state_of(state.h, k), state_of(state.c, k), lengths,
                                reverse);                                         // (T, B, 2H) = [h | c]
  });
  std::vector<Tensor> h_n, c_n;
  for (const Tensor& last : result.final_states) {  // (B, 2H)
    h_n.push_back(ops::narrow(last, 1, 0, H));      // (B, H)
    c_n.push_back(ops::narrow(last, 1, H, H));      // (B, H)
  }
  return {result.output, {ops::stack(h_n, 0), ops::stack(c_n, 0)}};  // h_n, c_n (num_layers·num_directions, B, H)
}

}  // namespace heed::nn
