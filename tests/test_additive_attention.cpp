// ops::additive_scores: against the same scores built from separate ops (add, tanh, matmul), by
// hand on one entry, by gradcheck, with non-contiguous inputs, and its errors.
#include <cmath>

#include "heed/ops/additive_attention.h"
#include "heed/ops/elementwise.h"
#include "heed/ops/matmul.h"
#include "heed/ops/shape.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::leaf;
using Inputs = std::vector<Tensor>;

// vᵀ tanh(keys + query) from separate, individually tested ops.
Tensor unfused_scores(const Tensor& keys, const Tensor& query, const Tensor& v) {
  Tensor hidden = ops::tanh(ops::add(keys, ops::unsqueeze(query, 1)));  // (B, S, A)
  return ops::squeeze(ops::matmul(hidden, ops::unsqueeze(v, 1)), 2);    // (B, S, A)(A, 1) -> (B, S)
}

TEST(AdditiveScores, OneEntryByHand) {
  // keys [[0.5, -1], [0, 0]], query [0.25, 1], v [2, 3]:
  //   s0 = 2 tanh(0.75) + 3 tanh(0) = 2 tanh(0.75)    s1 = 2 tanh(0.25) + 3 tanh(1)
  Tensor keys = from_vector({0.5f, -1.f, 0.f, 0.f}, {1, 2, 2});
  Tensor query = from_vector({0.25f, 1.f}, {1, 2}), v = from_vector({2.f, 3.f}, {2});
  const float s0 = 2 * std::tanh(0.75f), s1 = 2 * std::tanh(0.25f) + 3 * std::tanh(1.f);
  EXPECT_TRUE(all_close(ops::additive_scores(keys, query, v), from_vector({s0, s1}, {1, 2}), 1e-6, 1e-6));
}

TEST(AdditiveScores, MatchesTheUnfusedOpsForwardAndBackward) {
  manual_seed(3);
  Tensor keys = leaf({4, 7, 33}), query = leaf({4, 33}), v = leaf({33});
  Tensor weights = rand({4, 7});  // a non-uniform upstream gradient
  ops::sum(ops::mul(ops::additive_scores(keys, query, v), weights)).backward();
  std::vector<Tensor> fused = {keys.grad(), query.grad(), v.grad()};
  for (Tensor t : {keys, query, v}) t.set_grad(Tensor());
  ops::sum(ops::mul(unfused_scores(keys, query, v), weights)).backward();
  EXPECT_TRUE(all_close(ops::additive_scores(keys, query, v), unfused_scores(keys, query, v), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(fused[0], keys.grad(), 1e-5, 1e-5)) << "dkeys";
  EXPECT_TRUE(all_close(fused[1], query.grad(), 1e-5, 1e-5)) << "dquery";
  EXPECT_TRUE(all_close(fused[2], v.grad(), 1e-5, 1e-5)) << "dv";
}

TEST(AdditiveScoresGrad, Gradcheck) {
  manual_seed(4);
  auto scores = [](const Inputs& in) { return ops::additive_scores(in[0], in[1], in[2]); };
  EXPECT_GRADCHECK(scores, (Inputs{leaf({2, 3, 5}), leaf({2, 5}), leaf({5})}), "additive_scores");
  // keys viewed with the source and feature dims swapped: not contiguous
  Tensor base = leaf({2, 5, 3}).detach();
  Tensor keys = make_view(base, {2, 3, 5}, {15, 1, 3}, 0);
  keys.set_requires_grad();
  EXPECT_GRADCHECK(scores, (Inputs{keys, leaf({2, 5}), leaf({5})}), "additive_scores strided keys");
}

TEST(AdditiveScores, Errors) {
  expect_error([] { ops::additive_scores(zeros({2, 3, 4}), zeros({2, 5}), zeros({4})); },
               {"additive_scores", "[2, 3, 4]", "[2, 5]", "expected"});
  expect_error([] { ops::additive_scores(zeros({2, 3, 4}), zeros({3, 4}), zeros({4})); }, {"additive_scores", "[3, 4]"});
  expect_error([] { ops::additive_scores(zeros({2, 3, 4}), zeros({2, 4}), zeros({1, 4})); },
               {"additive_scores", "[1, 4]"});
  expect_error([] { ops::additive_scores(zeros({3, 4}), zeros({3, 4}), zeros({4})); }, {"additive_scores", "(B, S, A)"});
}

}  // namespace
}  // namespace heed
