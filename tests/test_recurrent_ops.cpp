// The recurrent ops (ops/lstm.h, ops/gru.h): gradchecks of the fused steps and of whole
// recurrences (both directions, with lengths and initial states), the recurrences against a loop
// of single steps, the same forward with and without autograd, and the errors.
#include "heed/ops/gru.h"
#include "heed/ops/lstm.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::leaf;
using Inputs = std::vector<Tensor>;

// Four sequences of at most T = 5 steps, unsorted.
Tensor four_lengths() { return from_vector(std::vector<int64_t>{3, 5, 1, 4}); }

TEST(RecurrentOps, LstmCellGradcheck) {
  manual_seed(70);
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::lstm_cell(in[0], in[1], in[2]); },
                   (Inputs{leaf({3, 12}, -2.f, 2.f), leaf({3, 12}), leaf({3, 3})}), "lstm_cell");
}

TEST(RecurrentOps, GruCellGradcheck) {
  manual_seed(71);
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::gru_cell(in[0], in[1], in[2]); },
                   (Inputs{leaf({3, 9}, -2.f, 2.f), leaf({3, 9}), leaf({3, 3})}), "gru_cell");
}

TEST(RecurrentOps, LstmRecurrenceGradcheck) {
  manual_seed(72);
  for (bool reverse : {false, true}) {
    auto f = [reverse](const Inputs& in) {
      return ops::lstm_recurrence(in[0], in[1], in[2], in[3], four_lengths(), reverse);
    };
    EXPECT_GRADCHECK(f, (Inputs{leaf({5, 4, 12}), leaf({12, 3}), leaf({4, 3}), leaf({4, 3})}),
                     reverse ? "lstm_recurrence, reverse, lengths" : "lstm_recurrence, lengths");
    auto zero_state = [reverse](const Inputs& in) {
      return ops::lstm_recurrence(in[0], in[1], Tensor(), Tensor(), Tensor(), reverse);
    };
    EXPECT_GRADCHECK(zero_state, (Inputs{leaf({4, 2, 8}), leaf({8, 2})}), "lstm_recurrence, zero state");
  }
}

TEST(RecurrentOps, GruRecurrenceGradcheck) {
  manual_seed(73);
  for (bool reverse : {false, true}) {
    auto f = [reverse](const Inputs& in) {
      return ops::gru_recurrence(in[0], in[1], in[2], in[3], four_lengths(), reverse);
    };
    EXPECT_GRADCHECK(f, (Inputs{leaf({5, 4, 9}), leaf({9, 3}), leaf({9}), leaf({4, 3})}),
                     reverse ? "gru_recurrence, reverse, lengths" : "gru_recurrence, lengths");
    auto no_bias = [reverse](const Inputs& in) {
      return ops::gru_recurrence(in[0], in[1], Tensor(), Tensor(), Tensor(), reverse);
    };
    EXPECT_GRADCHECK(no_bias, (Inputs{leaf({4, 2, 6}), leaf({6, 2})}), "gru_recurrence, no bias, zero state");
  }
}

// Row b of step t of a recurrence: the fused step applied to that row's previous state.
TEST(RecurrentOps, RecurrencesAreLoopsOfSteps) {
  manual_seed(74);
  const int64_t T = 4, B = 3, H = 5;
  Tensor gx = randn({T, B, 4 * H}), w = randn({4 * H, H}) * 0.5f, h = randn({B, H}), c = randn({B, H});
  Tensor states = ops::lstm_recurrence(gx, w, h, c, Tensor(), /*reverse=*/true);  // (T, B, 2H)
  for (int64_t t = T - 1; t >= 0; --t) {
    Tensor gh = ops::matmul(h, ops::transpose(w, 0, 1));
    Tensor hc = ops::lstm_cell(ops::squeeze(ops::narrow(gx, 0, t, 1), 0), gh, c);
    EXPECT_TRUE(all_close(ops::squeeze(ops::narrow(states, 0, t, 1), 0), hc, 1e-5, 1e-5)) << "lstm step " << t;
    h = ops::narrow(hc, 1, 0, H);
    c = ops::narrow(hc, 1, H, H);
  }
  Tensor gru_gx = randn({T, B, 3 * H}), gru_w = randn({3 * H, H}) * 0.5f, bias = randn({3 * H}), hg = randn({B, H});
  Tensor gru_states = ops::gru_recurrence(gru_gx, gru_w, bias, hg);  // (T, B, H)
  for (int64_t t = 0; t < T; ++t) {
    Tensor gh = ops::linear(hg, gru_w, bias);
    hg = ops::gru_cell(ops::squeeze(ops::narrow(gru_gx, 0, t, 1), 0), gh, hg);
    EXPECT_TRUE(all_close(ops::squeeze(ops::narrow(gru_states, 0, t, 1), 0), hg, 1e-5, 1e-5)) << "gru step " << t;
  }
}

// Without autograd the recurrences reuse a few buffer slots instead of keeping every step's.
TEST(RecurrentOps, SameForwardWithAndWithoutAutograd) {
  manual_seed(75);
  Tensor gx = leaf({6, 4, 12}), w = leaf({12, 3}), h0 = leaf({4, 3}), c0 = leaf({4, 3}), b = leaf({9});
  Tensor lengths = from_vector(std::vector<int64_t>{6, 2, 5, 1});
  for (bool reverse : {false, true}) {
    Tensor lstm = ops::lstm_recurrence(gx, w, h0, c0, lengths, reverse);
    Tensor gru = ops::gru_recurrence(ops::narrow(gx, 2, 0, 9), ops::narrow(w, 0, 0, 9), b, h0, lengths, reverse);
    ASSERT_TRUE(lstm.requires_grad() && gru.requires_grad());
    NoGradGuard no_grad;
    EXPECT_TRUE(all_close(ops::lstm_recurrence(gx, w, h0, c0, lengths, reverse), lstm, 0, 0));
    EXPECT_TRUE(all_close(ops::gru_recurrence(ops::narrow(gx, 2, 0, 9), ops::narrow(w, 0, 0, 9), b, h0, lengths,
                                              reverse), gru, 0, 0));
  }
}

TEST(RecurrentOps, PaddedStepsAreZero) {
  manual_seed(76);
  Tensor states = ops::lstm_recurrence(randn({5, 4, 8}), randn({8, 2}), randn({4, 2}), randn({4, 2}), four_lengths());
  Tensor gru = ops::gru_recurrence(randn({5, 4, 6}), randn({6, 2}), randn({6}), randn({4, 2}), four_lengths(), true);
  const std::vector<int64_t> lengths = four_lengths().to_vector<int64_t>();
  for (int64_t b = 0; b < 4; ++b)
    for (int64_t t = 0; t < 5; ++t) {
      const bool padding = t >= lengths[b];
      for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(states.at({t, b, j}) == 0.0f, padding) << t << ", " << b;
      for (int64_t j = 0; j < 2; ++j) EXPECT_EQ(gru.at({t, b, j}) == 0.0f, padding) << t << ", " << b;
    }
}

TEST(RecurrentOps, Errors) {
  expect_error([] { ops::lstm_cell(zeros({2, 8}), zeros({2, 8}), zeros({2, 3})); },
               {"lstm_cell", "[2, 8]", "[2, 3]", "(B, H)"});
  expect_error([] { ops::gru_cell(zeros({2, 9}), zeros({2, 6}), zeros({2, 3})); }, {"gru_cell", "[2, 9]", "[2, 6]"});
  expect_error([] { ops::lstm_recurrence(zeros({3, 2, 8}), zeros({12, 3})); },
               {"lstm_recurrence", "[3, 2, 8]", "[12, 3]", "(4H, H)"});
  expect_error([] { ops::lstm_recurrence(zeros({3, 2, 8}), zeros({8, 2}), zeros({3, 2})); },
               {"lstm_recurrence", "h0", "[3, 2]", "[2, 2]"});
  expect_error([] { ops::gru_recurrence(zeros({3, 2, 6}), zeros({6, 2}), zeros({4})); },
               {"gru_recurrence", "bias_hh", "[4]", "[6]"});
  const Tensor too_long = from_vector(std::vector<int64_t>{1, 4});
  expect_error([&] { ops::lstm_recurrence(zeros({3, 2, 8}), zeros({8, 2}), {}, {}, too_long); },
               {"lstm_recurrence", "lengths[1] is 4", "[1, 3]"});
  expect_error([] { ops::gru_recurrence(zeros({3, 2, 6}), zeros({6, 2}), {}, {}, from_vector({1.f, 2.f})); },
               {"gru_recurrence", "lengths is float32", "int64 of shape [2]"});
}

}  // namespace
}  // namespace heed
