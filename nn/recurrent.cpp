#include "heed/nn/recurrent.h"

#include <cmath>

#include "heed/core/factories.h"
#include "heed/nn/init.h"
#include "heed/ops/dropout.h"
#include "heed/ops/index.h"
#include "heed/ops/recurrence.h"
#include "heed/ops/shape.h"

namespace heed::nn {
namespace {

// PyTorch's initialisation for every recurrent parameter: U(−1/√H, 1/√H).
void init_recurrent(Tensor& t, int64_t hidden_size) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  init::uniform_(t, -bound, bound);
}

// Each sequence's state after its last real step, (B, S), from a direction's states (T, B, S):
// the reverse direction ends at t = 0; the forward one at t = T − 1, or at row last_rows[b] of the
// states read as (T·B, S) when the sequences have lengths.
Tensor final_state(const Tensor& states, const Tensor& last_rows, bool reverse) {
  if (reverse || !last_rows.defined())
    return ops::squeeze(ops::narrow(states, 0, reverse ? 0 : states.size(0) - 1, 1), 0);  // (B, S)
  return ops::index_select(ops::reshape(states, {-1, states.size(2)}), 0, last_rows);       // (B, S)
}

}  // namespace

// ---- a stack of layers ----

RecurrentLayers::RecurrentLayers(const char* kind, int64_t gates, int64_t input, int64_t hidden, RNNOptions opts)
    : input_size(input), hidden_size(hidden), options(opts), kind_(kind) {
  HEED_CHECK(input_size > 0 && hidden_size > 0 && options.num_layers > 0, kind_,
             "input_size {}, hidden_size {}, num_layers {}; expected all > 0", input_size, hidden_size,
             options.num_layers);
  HEED_CHECK(options.dropout >= 0.0f && options.dropout <= 1.0f, kind_,
             "dropout is {}; expected a probability in [0, 1]", options.dropout);
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    const int64_t layer_input = layer == 0 ? input_size : hidden_size * num_directions();
    for (int64_t direction = 0; direction < num_directions(); ++direction) {
      const std::string suffix = fmt::format("_l{}{}", layer, direction == 1 ? "_reverse" : "");
      RecurrentWeights w;
      w.weight_ih = register_parameter("weight_ih" + suffix, Tensor::empty({gates * hidden_size, layer_input}));
      w.weight_hh = register_parameter("weight_hh" + suffix, Tensor::empty({gates * hidden_size, hidden_size}));
      if (options.bias) {
        w.bias_ih = register_parameter("bias_ih" + suffix, Tensor::empty({gates * hidden_size}));
        w.bias_hh = register_parameter("bias_hh" + suffix, Tensor::empty({gates * hidden_size}));
      }
      for (Tensor* t : {&w.weight_ih, &w.weight_hh, &w.bias_ih, &w.bias_hh})
        if (t->defined()) init_recurrent(*t, hidden_size);
      weights.push_back(w);
    }
  }
}

std::string RecurrentLayers::describe() const {
  std::string out = fmt::format("{}({}, {}", kind_, input_size, hidden_size);
  if (options.num_layers != 1) out += fmt::format(", num_layers={}", options.num_layers);
  if (!options.bias) out += ", bias=false";
  if (options.batch_first) out += ", batch_first=true";
  if (options.dropout != 0.0f) out += fmt::format(", dropout={}", options.dropout);
  if (options.bidirectional) out += ", bidirectional=true";
  return out + ")";
}

Tensor RecurrentLayers::time_major(const Tensor& input) const {
  const char* layout = options.batch_first ? "(B, T, input_size)" : "(T, B, input_size)";
  HEED_CHECK(input.defined() && input.dim() == 3 && input.size(2) == input_size, kind_,
             "input is {}; expected {} with input_size {}", input.defined() ? input.shape() : Shape{}, layout,
             input_size);
  check_dtype(input, Dtype::Float32, kind_, "input");
  return options.batch_first ? ops::transpose(input, 0, 1) : input;  // (T, B, input_size)
}

void RecurrentLayers::check_state(const Tensor& state, const char* name, int64_t batch) const {
  if (!state.defined()) return;
  const Shape expected{options.num_layers * num_directions(), batch, hidden_size};
  HEED_CHECK(state.shape() == expected, kind_,
             "{} is {}; expected (num_layers·num_directions, B, hidden_size) = {}", name, state.shape(), expected);
  check_dtype(state, Dtype::Float32, kind_, name);
}

Tensor RecurrentLayers::state_of(const Tensor& state, int64_t k) {
  return state.defined() ? ops::squeeze(ops::narrow(state, 0, k, 1), 0) : Tensor();  // (B, H)
}

RecurrentLayers::Result RecurrentLayers::run_layers(const Tensor& x, const Tensor& lengths,
                                                    const Direction& direction) const {
  const int64_t steps = x.size(0), batch = x.size(1);
  Tensor last_rows;  // (B) int64, with lengths: the row of each sequence's last real step in (T·B, S) states
  if (lengths.defined()) {
    std::vector<int64_t> rows = ops::sequence_lengths(lengths, batch, steps, kind_);
    for (int64_t b = 0; b < batch; ++b) rows[b] = (rows[b] - 1) * batch + b;
    last_rows = from_vector(rows);
  }
  Result result;
  Tensor layer_input = x;  // (T, B, features)
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    if (layer > 0) layer_input = ops::dropout(layer_input, options.dropout, is_training());
    std::vector<Tensor> outputs;
    for (int64_t d = 0; d < num_directions(); ++d) {
      const bool reverse = d == 1;
      Tensor states = direction(layer_input, layer * num_directions() + d, reverse);  // (T, B, S)
      outputs.push_back(ops::narrow(states, 2, 0, hidden_size));                      // (T, B, H)
      result.final_states.push_back(final_state(states, last_rows, reverse));         // (B, S)
    }
    layer_input = outputs.size() == 1 ? outputs[0] : ops::cat(outputs, 2);  // (T, B, num_directions·H)
  }
  result.output = options.batch_first ? ops::transpose(layer_input, 0, 1) : layer_input;
  return result;
}

// ---- a single step ----

RecurrentCell::RecurrentCell(const char* kind, int64_t gates, int64_t input, int64_t hidden, RNNCellOptions options)
    : input_size(input), hidden_size(hidden), kind_(kind) {
  HEED_CHECK(input_size > 0 && hidden_size > 0, kind_, "input_size {} and hidden_size {}; expected both > 0",
             input_size, hidden_size);
  weight_ih = register_parameter("weight_ih", Tensor::empty({gates * hidden_size, input_size}));
  weight_hh = register_parameter("weight_hh", Tensor::empty({gates * hidden_size, hidden_size}));
  if (options.bias) {
    bias_ih = register_parameter("bias_ih", Tensor::empty({gates * hidden_size}));
    bias_hh = register_parameter("bias_hh", Tensor::empty({gates * hidden_size}));
  }
  for (Tensor* t : {&weight_ih, &weight_hh, &bias_ih, &bias_hh})
    if (t->defined()) init_recurrent(*t, hidden_size);
}

std::string RecurrentCell::describe() const {
  return fmt::format("{}({}, {}{})", kind_, input_size, hidden_size, bias_ih.defined() ? "" : ", bias=false");
}

void RecurrentCell::check_input(const Tensor& x) const {
  HEED_CHECK(x.defined() && x.dim() == 2 && x.size(1) == input_size, kind_,
             "input is {}; expected (B, input_size) with input_size {}", x.defined() ? x.shape() : Shape{},
             input_size);
  check_dtype(x, Dtype::Float32, kind_, "input");
}

Tensor RecurrentCell::state_or_zeros(const Tensor& state, const char* name, int64_t batch) const {
  if (!state.defined()) return zeros({batch, hidden_size});
  HEED_CHECK(state.shape() == Shape({batch, hidden_size}), kind_, "{} is {}; expected (B, hidden_size) = [{}, {}]",
             name, state.shape(), batch, hidden_size);
  check_dtype(state, Dtype::Float32, kind_, name);
  return state;
}

}  // namespace heed::nn
