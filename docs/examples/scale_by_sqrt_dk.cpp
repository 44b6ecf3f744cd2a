// docs/examples/scale_by_sqrt_dk.cpp: attention divides the scores by √d_k, a constant, and not by each
// query's norm. Measures the variance argument and what per-query scaling would lose
// (docs/misconceptions.md, docs/transformer.md). Exit 0 when every claim holds.
#include <heed/heed.h>

#include <cmath>
#include <string>

using namespace heed;

// Mean over the rows of the largest softmax weight of scores (rows, S).
float mean_top_weight(const Tensor& scores) { return ops::mean(ops::max(ops::softmax(scores, -1), 1, false)).item(); }

// Variance of all the entries of t.
float variance(const Tensor& t) { return ops::mean(ops::pow(t - ops::mean(t), 2.0f)).item(); }

int main(int argc, char** argv) {
  manual_seed(0);
  const int64_t rows = argc > 1 ? 50 * std::stoll(argv[1]) : 4000, keys = 32;
  bool ok = true;
  for (int64_t d_k : {16, 64, 256}) {
    Tensor q = randn({rows, d_k}), k = randn({keys, d_k});  // features of variance 1
    Tensor scores = ops::matmul(q, ops::transpose(k, 0, 1));  // (rows, S): q · k
    Tensor scaled = scores / std::sqrt(static_cast<float>(d_k));
    // q · k sums d_k products of variance 1: variance d_k. Divided by √d_k: variance 1.
    // (Measured on fresh (q, k) pairs, so that 32 keys' own norms do not bias the estimate.)
    Tensor pair_scores = ops::sum(q * randn({rows, d_k}), {1});  // (rows)
    const float raw_variance = variance(pair_scores);
    const float scaled_variance = variance(pair_scores / std::sqrt(static_cast<float>(d_k)));
    // Unscaled, the softmax saturates: nearly one-hot rows, whose gradient p (δ − p) is nearly 0.
    const float raw_top = mean_top_weight(scores), scaled_top = mean_top_weight(scaled);
    fmt::print("d_k {:3}: var(q·k) {:7.2f}, var(q·k/√d_k) {:.3f}; mean top weight {:.3f} unscaled, {:.3f} scaled\n",
               d_k, raw_variance, scaled_variance, raw_top, scaled_top);
    const auto d = static_cast<float>(d_k);
    ok = ok && std::fabs(raw_variance / d - 1) < 0.15f && std::fabs(scaled_variance - 1) < 0.15f;
    ok = ok && raw_top > scaled_top + 0.2f;
    // A random query's norm is about √d_k (E|q|² = d_k): √d_k is the typical norm, the same for every query.
    const float norm_ratio = ops::mean(ops::sqrt(ops::sum(q * q, {1}, false))).item() / std::sqrt(d);
    ok = ok && std::fabs(norm_ratio - 1) < 0.05f;
  }

  // Doubling a query makes heed's attention sharper; dividing by the query's own norm would undo
  // the doubling, so the layer could no longer choose how peaked its attention is.
  Tensor q = randn({1, 1, 64}), k = randn({1, 32, 64}), v = randn({1, 32, 64});  // (B, T, D), (B, S, D)
  auto top_weight = [&](const Tensor& query) {
    return ops::max(ops::scaled_dot_product_attention_with_weights(query, k, v).weights).item();
  };
  auto top_weight_by_norm = [&](const Tensor& query) {  // softmax(q·k / |q|)
    Tensor scores = ops::matmul(query, ops::transpose(k, 1, 2)) / std::sqrt(ops::sum(query * query).item());
    return ops::max(ops::softmax(scores, -1)).item();
  };
  const float once = top_weight(q), twice = top_weight(q * 2.0f);
  const float once_by_norm = top_weight_by_norm(q), twice_by_norm = top_weight_by_norm(q * 2.0f);
  fmt::print("top weight for q and 2q: {:.3f} -> {:.3f} with 1/sqrt(d_k); {:.3f} -> {:.3f} with 1/|q|\n", once,
             twice, once_by_norm, twice_by_norm);
  ok = ok && twice > once + 0.05f && std::fabs(twice_by_norm - once_by_norm) < 1e-5f;
  return ok ? 0 : 1;
}
