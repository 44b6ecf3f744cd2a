#include "heed/nn/gru.h"

#include "heed/ops/gru.h"
#include "heed/ops/matmul.h"
#include "heed/ops/shape.h"

namespace heed::nn {

GRUCell::GRUCell(int64_t input, int64_t hidden, RNNCellOptions options)
    : RecurrentCell("GRUCell", 3, input, hidden, options) {}

Tensor GRUCell::forward(const Tensor& x, const Tensor& h) const {
  check_input(x);
  const Tensor h_prev = state_or_zeros(h, "h", x.size(0));  // (B, H)
  Tensor gates_x = ops::linear(x, weight_ih, bias_ih);       // (B, 3H)
  Tensor gates_h = ops::linear(h_prev, weight_hh, bias_hh);  // (B, 3H)
  return ops::gru_cell(gates_x, gates_h, h_prev);            // (B, H)
}

GRU::GRU(int64_t input, int64_t hidden, RNNOptions opts) : RecurrentLayers("GRU", 3, input, hidden, opts) {}

std::pair<Tensor, Tensor> GRU::forward(const Tensor& input, const Tensor& h0, const Tensor& lengths) const {
  const Tensor x = time_major(input);  // (T, B, input_size)
  check_state(h0, "h0", x.size(1));
  Result result = run_layers(x, lengths, [&](const Tensor& layer_input, int64_t k, bool reverse) {
    const RecurrentWeights& w = weights[k];
    const Tensor gates_x = ops::linear(layer_input, w.weight_ih, w.bias_ih);                      // (T, B, 3H)
    return ops::gru_recurrence(gates_x, w.weight_hh, w.bias_hh, state_of(h0, k), lengths, reverse);  // (T, B, H)
  });
  return {result.output, ops::stack(result.final_states, 0)};  // h_n (num_layers·num_directions, B, H)
}

}  // namespace heed::nn
