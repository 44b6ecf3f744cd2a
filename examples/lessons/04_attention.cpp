// Lesson 4: attention on a toy example, by hand and with heed's op; and masks.
//
// A query asks "which key is like me?": its score with each key is their dot product, divided by
// √d so the scores of long vectors do not saturate the softmax. The softmax turns scores into
// weights that sum to 1, and the output is the weighted mean of the values. A mask hides keys by
// adding −∞ to their scores (weight exactly 0) — multiplying the scores by 0 does not hide anything:
// a score of 0 still gets weight e^0 / Σ.
//
//   ./build/bin/lesson_04_attention        (the argument, if any, is ignored: it is instant)
//
// Next: lesson 5 (a Transformer). Code to open: ops/attention.h, ops/attention.cpp,
// nn/multihead_attention.cpp; docs/pitfalls.md for the multiplicative-mask bug in a real run.
#include <cmath>
#include <cstdio>
#include <limits>

#include <heed/heed.h>

using namespace heed;

int main() {
  // One query and three keys of d = 4 features; the query points the way key 1 does.
  const int64_t d = 4;
  Tensor q = from_vector({0.f, 2.f, 0.f, 1.f}, {1, 1, d});                 // (B, T, D) = (1, 1, 4)
  Tensor k = from_vector({1.f, 0.f, 0.f, 0.f,                              // key 0
                          0.f, 1.f, 0.f, 1.f,                              // key 1: like the query
                          0.f, 0.f, 1.f, 0.f}, {1, 3, d});                 // key 2; (B, S, D)
  Tensor v = from_vector({10.f, 0.f, 20.f, 0.f, 40.f, 0.f}, {1, 3, 2});    // (B, S, Dv): one value per key

  // By hand: scores_j = q·k_j / √d, weights = softmax(scores), output = Σ_j weights_j v_j.
  const std::vector<float> qv = q.to_vector(), kv = k.to_vector(), vv = v.to_vector();
  float scores[3], weights[3], total = 0;
  for (int j = 0; j < 3; ++j) {
    scores[j] = 0;
    for (int f = 0; f < d; ++f) scores[j] += qv[static_cast<size_t>(f)] * kv[static_cast<size_t>(j * d + f)];
    scores[j] /= std::sqrt(static_cast<float>(d));
    total += std::exp(scores[j]);
  }
  float by_hand = 0;
  for (int j = 0; j < 3; ++j) {
    weights[j] = std::exp(scores[j]) / total;
    by_hand += weights[j] * vv[static_cast<size_t>(j * 2)];
    fmt::print("key {}: score {:.3f}, weight {:.3f}\n", j, scores[j], weights[j]);
  }
  ops::AttentionResult heed = ops::scaled_dot_product_attention_with_weights(q, k, v);
  const float from_op = heed.output.at({0, 0, 0});
  fmt::print("output: by hand {:.4f}, ops::scaled_dot_product_attention {:.4f}\n", by_hand, from_op);
  bool ok = std::fabs(by_hand - from_op) < 1e-4f;

  // Hide key 1 (as if it were padding). The right way: −∞ before the softmax, weight exactly 0.
  Tensor padding = from_vector(std::vector<int64_t>{0, 1, 0}, {1, 3});     // (B, S): 1 marks padding
  Tensor masked = ops::scaled_dot_product_attention_with_weights(q, k, v, {.key_padding_mask = padding}).weights;
  fmt::print("\nkey 1 masked by adding −∞: weights {}\n", masked);
  ok = ok && masked.at({0, 0, 1}) == 0.0f;

  // The classic bug: multiply the scores by a 0/1 mask. Key 1's score becomes 0, not −∞, and
  // e^0 = 1 is as much as the other keys get: the "hidden" key keeps a third of the weight.
  Tensor keep = from_vector({1.f, 0.f, 1.f}, {1, 1, 3});
  Tensor wrong = ops::softmax(ops::matmul(q, ops::transpose(k, 1, 2)) * (1.0f / std::sqrt(4.0f)) * keep, -1);
  fmt::print("key 1 'masked' by multiplying by 0: weights {}  <- not hidden\n", wrong);
  ok = ok && wrong.at({0, 0, 1}) > 0.1f;

  // Causal self-attention over 4 positions: row i may look at columns 0..i only.
  manual_seed(0);
  Tensor x = randn({1, 4, d});
  Tensor causal = ops::scaled_dot_product_attention_with_weights(x, x, x, {.causal = true}).weights;
  fmt::print("\ncausal weights (row: query position, column: key position):\n{}\n", causal);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = i + 1; j < 4; ++j) ok = ok && causal.at({0, i, j}) == 0.0f;
  fmt::print("{}\n", ok ? "attention by hand and by heed agree; masks hide what they should" : "MISMATCH");
  return ok ? 0 : 1;
}
