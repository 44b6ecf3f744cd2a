// The recurrent layers (nn/lstm.h, nn/gru.h): parameters as PyTorch names, shapes and initialises
// them; gradchecks of the cells and of two-layer bidirectional stacks with lengths and initial
// states; PyTorch's goldens; what lengths promise (padding never matters, each sequence runs as if
// alone); batch_first; dropout between layers; and the errors, which name the layer and the shapes.
#include "golden.h"
#include "heed/nn/gru.h"
#include "heed/nn/lstm.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::leaf;
using testing::NamedTensors;
using Inputs = std::vector<Tensor>;

Tensor flat(const Tensor& t) { return ops::reshape(t, {-1}); }

// An LSTM's or GRU's results as one tensor, so one gradient reaches them all (as the goldens).
Tensor joined(const Tensor& output, const nn::LSTMState& state) {
  return ops::cat({flat(output), flat(state.h), flat(state.c)}, 0);
}
Tensor joined(const Tensor& output, const Tensor& h_n) { return ops::cat({flat(output), flat(h_n)}, 0); }

Tensor optional(const NamedTensors& in, const char* name) { return in.contains(name) ? in.at(name) : Tensor(); }

std::vector<std::string> names(const nn::Module& module) {
  std::vector<std::string> out;
  for (auto& [name, tensor] : module.named_parameters()) out.push_back(name);
  return out;
}

Inputs with_parameters(Inputs inputs, const nn::Module& module) {
  for (const Tensor& p : module.parameters()) inputs.push_back(p);
  return inputs;
}

// Four sequences of at most T = 5 steps, unsorted.
Tensor four_lengths() { return from_vector(std::vector<int64_t>{3, 5, 1, 4}); }

TEST(RecurrentLayers, ParametersAsPyTorch) {
  manual_seed(80);
  nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true});
  EXPECT_EQ(names(lstm), (std::vector<std::string>{
                             "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
                             "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1",
                             "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse",
                             "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"}));
  EXPECT_EQ(lstm.weights[2].weight_ih.shape(), (Shape{16, 8}));  // layer 1 reads both directions
  EXPECT_EQ(lstm.weights[3].weight_hh.shape(), (Shape{16, 4}));
  nn::GRU gru(3, 4, {.bias = false});
  EXPECT_EQ(names(gru), (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"}));
  EXPECT_EQ(gru.weights[0].weight_ih.shape(), (Shape{12, 3}));
  nn::LSTMCell cell(3, 4);
  EXPECT_EQ(names(cell), (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
  EXPECT_EQ(nn::GRUCell(3, 4).weight_hh.shape(), (Shape{12, 4}));
  // Every parameter U(±1/√H) = U(±0.5), and spread over that range.
  for (const Tensor& p : lstm.parameters()) {
    float largest = 0;
    for (float v : p.to_vector()) largest = std::max(largest, std::fabs(v));
    EXPECT_LE(largest, 0.5f);
    EXPECT_GT(largest, 0.3f);
  }
}

TEST(RecurrentLayers, DescribeAsPyTorch) {
  EXPECT_EQ(nn::LSTM(3, 4).describe(), "LSTM(3, 4)");
  EXPECT_EQ(nn::GRU(3, 4, {.num_layers = 2, .bias = false, .batch_first = true, .dropout = 0.5f, .bidirectional = true})
                .describe(),
            "GRU(3, 4, num_layers=2, bias=false, batch_first=true, dropout=0.5, bidirectional=true)");
  EXPECT_EQ(nn::LSTMCell(3, 4).describe(), "LSTMCell(3, 4)");
  EXPECT_EQ(nn::GRUCell(3, 4, {.bias = false}).describe(), "GRUCell(3, 4, bias=false)");
}

TEST(RecurrentLayers, CellGradcheck) {
  manual_seed(81);
  nn::LSTMCell lstm(3, 4);
  Tensor x = leaf({2, 3}), h = leaf({2, 4}), c = leaf({2, 4});
  EXPECT_GRADCHECK([&](const Inputs&) {
    nn::LSTMState next = lstm.forward(x, {h, c});
    return ops::cat({next.h, next.c}, 1);
  }, with_parameters({x, h, c}, lstm), "LSTMCell");
  nn::GRUCell gru(3, 4);
  EXPECT_GRADCHECK([&](const Inputs&) { return gru.forward(x, h); }, with_parameters({x, h}, gru), "GRUCell");
}

// Teacher forcing with the first K input features known before the loop: the same states and
// the same gradients as feeding cat({known_t, rest_t}) step by step, and it passes gradcheck.
TEST(RecurrentLayers, CellWithKnownInputEqualsTheConcatenatedInput) {
  manual_seed(82);
  nn::LSTMCell cell(5, 4);  // input = 2 known features + 3 given per step
  Tensor known = leaf({2, 3, 2}), rest = leaf({2, 3}), h = leaf({2, 4}), c = leaf({2, 4});
  auto run = [&](bool split) {  // three steps, each fed the state and the rest: sum of the last (h, c)
    nn::LSTMState state{h, c};
    const nn::LSTMKnownInput projected = split ? cell.project_known(known) : nn::LSTMKnownInput{};
    for (int64_t t = 0; t < 3; ++t)
      state = split ? cell.forward(projected, t, rest * static_cast<float>(t + 1), state)
                    : cell.forward(ops::cat({ops::select(known, 1, t), rest * static_cast<float>(t + 1)}, 1), state);
    return ops::cat({state.h, state.c}, 1);
  };
  std::vector<Tensor> inputs = with_parameters({known, rest, h, c}, cell);
  ops::sum(run(false)).backward();
  std::vector<Tensor> expected;
  for (Tensor& input : inputs) {
    expected.push_back(input.grad().detach());
    input.set_grad(Tensor());
  }
  EXPECT_TRUE(all_close(run(true), run(false), 1e-6, 1e-6));
  ops::sum(run(true)).backward();
  for (size_t i = 0; i < inputs.size(); ++i) EXPECT_TRUE(all_close(inputs[i].grad(), expected[i], 1e-5, 1e-5)) << i;
  EXPECT_GRADCHECK([&](const Inputs&) { return run(true); }, inputs, "LSTMCell with known input");
}

TEST(RecurrentLayers, LstmGradcheck) {
  manual_seed(82);
  nn::LSTM lstm(3, 3, {.num_layers = 2, .bidirectional = true});
  Tensor x = leaf({5, 4, 3}), h0 = leaf({4, 4, 3}), c0 = leaf({4, 4, 3});
  EXPECT_GRADCHECK([&](const Inputs&) {
    auto [output, state] = lstm.forward(x, {h0, c0}, four_lengths());
    return joined(output, state);
  }, with_parameters({x, h0, c0}, lstm), "LSTM, 2 layers, bidirectional, lengths, initial state");
  nn::LSTM batch_first(3, 2, {.batch_first = true});
  EXPECT_GRADCHECK([&](const Inputs&) {
    auto [output, state] = batch_first.forward(x);
    return joined(output, state);
  }, with_parameters({x}, batch_first), "LSTM, batch_first, zero state");
}

TEST(RecurrentLayers, GruGradcheck) {
  manual_seed(83);
  nn::GRU gru(3, 3, {.num_layers = 2, .bidirectional = true});
  Tensor x = leaf({5, 4, 3}), h0 = leaf({4, 4, 3});
  EXPECT_GRADCHECK([&](const Inputs&) {
    auto [output, h_n] = gru.forward(x, h0, four_lengths());
    return joined(output, h_n);
  }, with_parameters({x, h0}, gru), "GRU, 2 layers, bidirectional, lengths, initial state");
}

TEST(RecurrentGolden, MatchesPyTorch) {
  for (const testing::Json& golden : testing::golden_cases("recurrent")) {
    const std::string name = golden.at("name").get<std::string>();
    SCOPED_TRACE(name);
    const auto input_size = golden.at("input_size").get<int64_t>(), hidden = golden.at("hidden_size").get<int64_t>();
    const bool bias = golden.at("bias").get<bool>();
    if (name.starts_with("lstm cell")) {
      nn::LSTMCell cell(input_size, hidden, {.bias = bias});
      testing::expect_module_matches_golden(golden, cell, [&](const NamedTensors& in) {
        nn::LSTMState next = cell.forward(in.at("x"), {optional(in, "h"), optional(in, "c")});
        return ops::cat({next.h, next.c}, 1);
      });
      continue;
    }
    if (name.starts_with("gru cell")) {
      nn::GRUCell cell(input_size, hidden, {.bias = bias});
      testing::expect_module_matches_golden(
          golden, cell, [&](const NamedTensors& in) { return cell.forward(in.at("x"), optional(in, "h")); });
      continue;
    }
    const nn::RNNOptions options{.num_layers = golden.at("num_layers").get<int64_t>(),
                                 .bias = bias,
                                 .batch_first = golden.at("batch_first").get<bool>(),
                                 .bidirectional = golden.at("bidirectional").get<bool>()};
    if (name.starts_with("lstm")) {
      nn::LSTM lstm(input_size, hidden, options);
      testing::expect_module_matches_golden(golden, lstm, [&](const NamedTensors& in) {
        const nn::LSTMState initial{optional(in, "h0"), optional(in, "c0")};
        auto [output, state] = lstm.forward(in.at("x"), initial, optional(in, "lengths"));
        return joined(output, state);
      });
    } else {
      nn::GRU gru(input_size, hidden, options);
      testing::expect_module_matches_golden(golden, gru, [&](const NamedTensors& in) {
        auto [output, h_n] = gru.forward(in.at("x"), optional(in, "h0"), optional(in, "lengths"));
        return joined(output, h_n);
      });
    }
  }
}

// 1 at every padded step (t >= lengths[b]) of a (T, B, features) input, else 0: (T, B, 1).
Tensor padding_mask(int64_t steps, const Tensor& lengths) {
  const std::vector<int64_t> length = lengths.to_vector<int64_t>();
  std::vector<float> padding;
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t l : length) padding.push_back(t >= l ? 1.0f : 0.0f);
  return from_vector(padding, {steps, lengths.numel(), 1});
}

TEST(RecurrentLayers, PaddingNeverMatters) {
  manual_seed(84);
  nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true});
  nn::GRU gru(3, 4, {.num_layers = 2, .bidirectional = true});
  const Tensor lengths = four_lengths(), h0 = randn({4, 4, 4}), c0 = randn({4, 4, 4});
  const Tensor upstream_lstm = randn({5 * 4 * 8 + 2 * 4 * 4 * 4}), upstream_gru = randn({5 * 4 * 8 + 4 * 4 * 4});
  // Runs both layers on x, backward from fixed upstream gradients; returns results and gradients.
  auto run = [&](const Tensor& x) {
    lstm.zero_grad();
    gru.zero_grad();
    auto [lstm_output, state] = lstm.forward(x, {h0, c0}, lengths);
    auto [gru_output, h_n] = gru.forward(x, h0, lengths);
    Tensor lstm_results = joined(lstm_output, state), gru_results = joined(gru_output, h_n);
    lstm_results.backward(upstream_lstm);
    gru_results.backward(upstream_gru);
    Inputs out{lstm_results.detach(), gru_results.detach(), x.grad()};
    for (const Tensor& p : lstm.parameters()) out.push_back(p.grad());
    for (const Tensor& p : gru.parameters()) out.push_back(p.grad());
    return out;
  };
  const Tensor x = leaf({5, 4, 3}), mask = padding_mask(5, lengths);
  const Tensor noisy_x = ops::where(mask, randn(x.shape()) * 100.f, x.detach()).detach().set_requires_grad();
  const Inputs clean = run(x), noisy = run(noisy_x);
  ASSERT_EQ(clean.size(), noisy.size());
  for (size_t i = 0; i < clean.size(); ++i) {
    if (i == 2) continue;  // the input's gradient, checked below
    EXPECT_TRUE(all_close(noisy[i], clean[i], 0, 0)) << "result or gradient " << i;
  }
  // The input's gradient is zero at every padded step, and the same elsewhere.
  EXPECT_TRUE(all_close(noisy[2], ops::where(mask, zeros(x.shape()), clean[2]), 0, 0));
}

TEST(RecurrentLayers, EachSequenceRunsAsIfAlone) {
  manual_seed(85);
  nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true});
  nn::GRU gru(3, 4, {.num_layers = 2, .bidirectional = true});
  const Tensor x = randn({5, 4, 3}), h0 = randn({4, 4, 4}), c0 = randn({4, 4, 4}), lengths = four_lengths();
  auto [lstm_output, state] = lstm.forward(x, {h0, c0}, lengths);
  auto [gru_output, h_n] = gru.forward(x, h0, lengths);
  const std::vector<int64_t> length = lengths.to_vector<int64_t>();
  auto sequence = [](const Tensor& t, int64_t b) { return ops::narrow(t, 1, b, 1); };
  for (int64_t b = 0; b < 4; ++b) {
    SCOPED_TRACE(fmt::format("sequence {} of length {}", b, length[b]));
    const Tensor alone_x = ops::narrow(sequence(x, b), 0, 0, length[b]);  // (length, 1, 3)
    auto [alone_lstm, alone_state] = lstm.forward(alone_x, {sequence(h0, b), sequence(c0, b)});
    auto [alone_gru, alone_h_n] = gru.forward(alone_x, sequence(h0, b));
    EXPECT_TRUE(all_close(ops::narrow(sequence(lstm_output, b), 0, 0, length[b]), alone_lstm));
    EXPECT_TRUE(all_close(sequence(state.h, b), alone_state.h));
    EXPECT_TRUE(all_close(sequence(state.c, b), alone_state.c));
    EXPECT_TRUE(all_close(ops::narrow(sequence(gru_output, b), 0, 0, length[b]), alone_gru));
    EXPECT_TRUE(all_close(sequence(h_n, b), alone_h_n));
    const int64_t padding = 5 - length[b];
    if (padding > 0) {
      EXPECT_TRUE(all_close(ops::narrow(sequence(lstm_output, b), 0, length[b], padding), zeros({padding, 1, 8})));
      EXPECT_TRUE(all_close(ops::narrow(sequence(gru_output, b), 0, length[b], padding), zeros({padding, 1, 8})));
    }
  }
  // Lengths that are all T change nothing.
  const Tensor full = from_vector(std::vector<int64_t>{5, 5, 5, 5});
  EXPECT_TRUE(all_close(joined(lstm.forward(x, {h0, c0}, full).first, lstm.forward(x, {h0, c0}, full).second),
                        joined(lstm.forward(x, {h0, c0}).first, lstm.forward(x, {h0, c0}).second), 0, 0));
}

TEST(RecurrentLayers, BatchFirstIsATranspose) {
  manual_seed(86);
  nn::GRU time_major(3, 4, {.bidirectional = true});
  nn::GRU batch_first(3, 4, {.batch_first = true, .bidirectional = true});
  batch_first.load_state_dict(time_major.state_dict());
  const Tensor x = randn({5, 2, 3});
  auto [output, h_n] = time_major.forward(x);
  auto [output_bf, h_n_bf] = batch_first.forward(ops::transpose(x, 0, 1));
  EXPECT_EQ(output_bf.shape(), (Shape{2, 5, 8}));
  EXPECT_TRUE(all_close(ops::transpose(output_bf, 0, 1), output, 0, 0));
  EXPECT_TRUE(all_close(h_n_bf, h_n, 0, 0));  // the state stays (layers·directions, B, H)
}

TEST(RecurrentLayers, DropoutBetweenLayersWhileTraining) {
  manual_seed(87);
  nn::LSTM dropped(3, 4, {.num_layers = 2, .dropout = 1.0f});  // layer 1 sees only zeros
  nn::LSTM plain(3, 4, {.num_layers = 2});
  plain.load_state_dict(dropped.state_dict());
  const Tensor x = randn({5, 2, 3}), other = randn({5, 2, 3});
  auto [output, state] = dropped.forward(x);
  auto [other_output, other_state] = dropped.forward(other);
  EXPECT_TRUE(all_close(output, other_output, 0, 0));
  EXPECT_FALSE(all_close(ops::narrow(state.h, 0, 0, 1), ops::narrow(other_state.h, 0, 0, 1)));  // layer 0 differs
  dropped.eval();
  EXPECT_FALSE(all_close(dropped.forward(x).first, dropped.forward(other).first));
  EXPECT_TRUE(all_close(dropped.forward(x).first, plain.forward(x).first, 0, 0));
}

TEST(RecurrentLayers, Errors) {
  nn::LSTM lstm(3, 4, {.num_layers = 2});
  nn::GRU gru(3, 4, {.batch_first = true, .bidirectional = true});
  expect_error([&] { lstm.forward(zeros({5, 2, 7})); }, {"LSTM", "[5, 2, 7]", "(T, B, input_size)", "input_size 3"});
  expect_error([&] { gru.forward(zeros({5, 3})); }, {"GRU", "[5, 3]", "(B, T, input_size)"});
  expect_error([&] { lstm.forward(zeros({5, 2, 3}), {zeros({1, 2, 4}), zeros({2, 2, 4})}); },
               {"LSTM", "h0 is [1, 2, 4]", "[2, 2, 4]"});
  expect_error([&] { lstm.forward(zeros({5, 2, 3}), {zeros({2, 2, 4}), Tensor()}); }, {"LSTM", "both", "undefined"});
  expect_error([&] { gru.forward(zeros({2, 5, 3}), zeros({2, 5, 4})); }, {"GRU", "h0 is [2, 5, 4]", "[2, 2, 4]"});
  auto lengths = [](std::vector<int64_t> values) { return from_vector(values); };
  expect_error([&] { lstm.forward(zeros({5, 2, 3}), {}, lengths({2, 6})); }, {"LSTM", "lengths[1] is 6", "[1, 5]"});
  expect_error([&] { gru.forward(zeros({2, 5, 3}), {}, lengths({0, 3})); }, {"GRU", "lengths[0] is 0", "[1, 5]"});
  expect_error([&] { gru.forward(zeros({2, 5, 3}), {}, lengths({3, 3, 3})); }, {"GRU", "shape [3]", "shape [2]"});
  expect_error([&] { lstm.forward(zeros({5, 2, 3}), {}, from_vector({2.f, 3.f})); }, {"LSTM", "float32", "int64"});
  nn::LSTMCell lstm_cell(3, 4);
  nn::GRUCell gru_cell(3, 4);
  expect_error([&] { lstm_cell.forward(zeros({2, 5})); }, {"LSTMCell", "[2, 5]", "input_size 3"});
  expect_error([&] { lstm_cell.forward(zeros({2, 3}), {zeros({2, 4}), zeros({3, 4})}); },
               {"LSTMCell", "c is [3, 4]", "[2, 4]"});
  expect_error([&] { gru_cell.forward(zeros({2, 3}), zeros({2, 3})); }, {"GRUCell", "h is [2, 3]", "[2, 4]"});
  expect_error([&] { lstm_cell.project_known(zeros({2, 5, 3})); }, {"LSTMCell", "[2, 5, 3]", "K < input_size 3"});
  const nn::LSTMKnownInput known = lstm_cell.project_known(zeros({2, 5, 1}));
  expect_error([&] { lstm_cell.forward(known, 0, zeros({2, 3})); }, {"LSTMCell", "[2, 3]", "(2, 2)"});
  expect_error([&] { lstm_cell.forward(known, 5, zeros({2, 2})); }, {"LSTMCell", "step 5", "[0, 5)"});
  expect_error([] { nn::LSTM(3, 4, {.dropout = 1.5f}); }, {"LSTM", "dropout is 1.5"});
  expect_error([] { nn::GRU(3, 4, {.num_layers = 0}); }, {"GRU", "num_layers 0"});
}

}  // namespace
}  // namespace heed
