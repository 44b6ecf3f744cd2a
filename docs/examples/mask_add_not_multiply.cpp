// docs/examples/mask_add_not_multiply.cpp: masks add −∞ to the scores before the softmax; multiplying
// the scores by a 0/1 mask does not hide a key (docs/misconceptions.md). Exit 0 when every claim holds.
#include <heed/heed.h>

#include <cmath>
#include <limits>

using namespace heed;

int main() {
  manual_seed(0);
  // One query, four keys; the last key is padding. Its score is the largest, and it doesn't matter.
  Tensor scores = from_vector({-1.0f, -2.0f, -0.5f, 3.0f}, {1, 4});    // (T = 1, S = 4)
  Tensor keep = from_vector({1.0f, 1.0f, 1.0f, 0.0f}, {1, 4});         // 1 = real key, 0 = padding
  Tensor padded = from_vector(std::vector<int64_t>{0, 0, 0, 1}, {1, 4});

  // Wrong: multiply. The padded score becomes 0, which is larger than every real score here.
  Tensor multiplied = ops::softmax(scores * keep, -1);
  // Right: add −∞ (masked_fill), so exp(−∞) = 0 exactly.
  Tensor added = ops::softmax(ops::masked_fill(scores, padded, -std::numeric_limits<float>::infinity()), -1);
  fmt::print("multiply by the mask: {}\nadd -inf:             {}\n", multiplied, added);

  const float leaked = multiplied.at({0, 3}), hidden = added.at({0, 3});
  bool ok = leaked > 0.4f && hidden == 0.0f;  // the padded key takes the largest weight, or exactly none

  // heed's attention adds the masks: the padded value cannot reach the output, however large.
  Tensor q = randn({1, 1, 8}), k = randn({1, 4, 8}), v = randn({1, 4, 8});  // (B, T, D), (B, S, D)
  ops::AttentionOptions options{.key_padding_mask = padded};
  Tensor out = ops::scaled_dot_product_attention(q, k, v, options);         // (B, T, D)
  Tensor v_changed = ops::cat({ops::narrow(v, 1, 0, 3), full({1, 1, 8}, 1e6)}, 1);
  Tensor out_changed = ops::scaled_dot_product_attention(q, k, v_changed, options);
  ok = ok && out.to_vector() == out_changed.to_vector();
  fmt::print("padded weight {:.3f} when multiplied, {} when added; output unchanged by the padded value: {}\n",
             leaked, hidden, out.to_vector() == out_changed.to_vector());
  return ok ? 0 : 1;
}
