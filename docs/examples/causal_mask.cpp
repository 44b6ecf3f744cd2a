// docs/examples/causal_mask.cpp: the causal mask hides future positions. Change the target tokens from
// position 4 on and the Transformer's logits at positions 0-3 stay the same; without the mask, self-
// attention lets every position see them (docs/misconceptions.md). Exit 0 when every claim holds.
#include <heed/heed.h>

#include <algorithm>
#include <cmath>

using namespace heed;

// The largest |a − b| over positions [first, last) of (B, T, ...) tensors.
float largest_change(const Tensor& a, const Tensor& b, int64_t first, int64_t last) {
  Tensor gap = ops::abs(ops::narrow(a, 1, first, last - first) - ops::narrow(b, 1, first, last - first));
  return ops::max(gap).item();
}

int main() {
  manual_seed(0);
  models::Transformer model({.source_vocab_size = 12, .target_vocab_size = 12, .d_model = 32, .nhead = 4,
                             .num_encoder_layers = 2, .num_decoder_layers = 2, .dim_feedforward = 64});
  model.eval();  // no dropout: the same input gives the same output
  NoGradGuard no_grad;
  Tensor src = from_vector(std::vector<int64_t>{5, 6, 7, 8, 9}, {1, 5});                  // (B, S)
  Tensor tgt = from_vector(std::vector<int64_t>{1, 3, 4, 5, 6, 7, 8}, {1, 7});            // (B, T)
  Tensor tgt_changed = from_vector(std::vector<int64_t>{1, 3, 4, 5, 11, 10, 9}, {1, 7});  // from t = 4 on
  Tensor logits = model.forward(src, tgt), logits_changed = model.forward(src, tgt_changed);  // (B, T, V)
  const float past = largest_change(logits, logits_changed, 0, 4), future = largest_change(logits, logits_changed, 4, 7);
  fmt::print("Transformer, causal decoder: logits at t < 4 change by {}, at t >= 4 by {:.3f}\n", past, future);

  // The same experiment on one self-attention layer, with and without the causal mask.
  nn::MultiHeadAttention attention(32, 4);
  attention.eval();
  Tensor x = randn({1, 7, 32});                                                                 // (B, T, E)
  Tensor x_changed = ops::cat({ops::narrow(x, 1, 0, 4), randn({1, 3, 32})}, 1);                // from t = 4 on
  auto run = [&](const Tensor& input, bool causal) { return attention.forward(input, input, input, {.causal = causal}).output; };
  const float masked = largest_change(run(x, true), run(x_changed, true), 0, 4);
  const float leaking = largest_change(run(x, false), run(x_changed, false), 0, 4);
  fmt::print("self-attention at t < 4: changes by {} with the causal mask, by {:.3f} without\n", masked, leaking);
  return past == 0.0f && future > 1e-3f && masked == 0.0f && leaking > 1e-3f ? 0 : 1;
}
