// Additive attention scores, fused (see the header). With y = tanh(keys + query) saved:
//
//   forward    y[b, s, :] = tanh(keys[b, s, :] + query[b, :])      score[b, s] = v · y[b, s, :]
//
// Backward, given dscore (B, S). The score is linear in v and in y, and tanh' = 1 − tanh²:
//
//   dv[a]          = Σ_b Σ_s dscore[b, s] · y[b, s, a]
//   dz[b, s, a]    = dscore[b, s] · v[a] · (1 − y[b, s, a]²)       z = keys + query, the tanh's input
//   dkeys[b, s, a] = dz[b, s, a]                                     z's gradient as it is
//   dquery[b, a]   = Σ_s dz[b, s, a]                                 query was broadcast over s
//
// Both directions run one batch entry b per loop iteration, in parallel over b. dv sums over
// every b: each b writes its own row of partial sums, which sum_to adds up in a fixed order, so
// the result does not depend on the thread count.
#include "heed/ops/additive_attention.h"

#include <algorithm>
#include <vector>

#include "heed/core/autograd.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/ops/reduce.h"
#include "heed/ops/vector_math.h"

namespace heed::ops {
namespace {

// Batch entries per thread chunk: enough (S, A) blocks to be worth a thread.
int64_t grain(int64_t S, int64_t A) { return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(S * A, 1)); }

// One batch entry forward: keys (S, A), query (A) -> y (S, A) and scores (S).
void forward_entry(int64_t S, int64_t A, const float* keys, const float* query, const float* v, float* y,
                   float* scores) {
  for (int64_t s = 0; s < S; ++s) {
    const float* key = keys + s * A;
    float* y_row = y + s * A;
    float score = 0.0f;
#pragma omp simd reduction(+ : score)
    for (int64_t a = 0; a < A; ++a) {
      y_row[a] = tanh_approx(key[a] + query[a]);
      score += v[a] * y_row[a];
    }
    scores[s] = score;
  }
}

// One batch entry backward: y (S, A), dscore (S) -> dkeys (S, A), dquery (A) and this entry's
// share of dv (A).
void backward_entry(int64_t S, int64_t A, const float* y, const float* dscore, const float* v, float* dkeys,
                    float* dquery, float* dv) {
  std::fill(dquery, dquery + A, 0.0f);
  std::fill(dv, dv + A, 0.0f);
  for (int64_t s = 0; s < S; ++s) {
    const float g = dscore[s];
    const float* y_row = y + s * A;
    float* dz = dkeys + s * A;
#pragma omp simd
    for (int64_t a = 0; a < A; ++a) {
      dv[a] += g * y_row[a];
      dz[a] = g * v[a] * (1.0f - y_row[a] * y_row[a]);
      dquery[a] += dz[a];
    }
  }
}

}  // namespace

Tensor additive_scores(const Tensor& keys, const Tensor& query, const Tensor& v) {
  check_dtype(keys, Dtype::Float32, "additive_scores", "keys");
  check_dtype(query, Dtype::Float32, "additive_scores", "query");
  check_dtype(v, Dtype::Float32, "additive_scores", "v");
  HEED_CHECK(keys.dim() == 3 && query.dim() == 2 && v.dim() == 1 && query.size(0) == keys.size(0) &&
                 query.size(1) == keys.size(2) && v.size(0) == keys.size(2),
             "additive_scores", "keys {}, query {} and v {}; expected keys (B, S, A), query (B, A) and v (A)",
             keys.shape(), query.shape(), v.shape());
  const int64_t B = keys.size(0), S = keys.size(1), A = keys.size(2);
  const Tensor k = dense(keys), q = dense(query), w = dense(v);
  Tensor hidden = Tensor::empty({B, S, A});  // y = tanh(keys + query), kept for backward
  Tensor scores = Tensor::empty({B, S});
  const float *k_data = k.data<float>(), *q_data = q.data<float>(), *v_in = w.data<float>();
  float *hidden_data = hidden.mutable_data<float>(), *score_data = scores.mutable_data<float>();
  parallel_for(0, B, grain(S, A), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b)
      forward_entry(S, A, k_data + b * S * A, q_data + b * A, v_in, hidden_data + b * S * A, score_data + b * S);
  });
  record("additive_scores", scores, {keys, query, v},
         [saved_y = SavedTensor(hidden), saved_v = SavedTensor(w), B, S, A](const Tensor& g, NeedsGrad needs) {
           const Tensor y = saved_y.get(), dscore = dense(g), v_used = saved_v.get();
           Tensor dkeys = Tensor::empty({B, S, A}), dquery = Tensor::empty({B, A});
           Tensor dv_shares = Tensor::empty({B, A});  // row b: batch entry b's share of dv
           const float *y_data = y.data<float>(), *g_data = dscore.data<float>(), *v_data = v_used.data<float>();
           float *dk = dkeys.mutable_data<float>(), *dq = dquery.mutable_data<float>();
           float* shares = dv_shares.mutable_data<float>();
           parallel_for(0, B, grain(S, A), [&](int64_t lo, int64_t hi) {
             for (int64_t b = lo; b < hi; ++b)
               backward_entry(S, A, y_data + b * S * A, g_data + b * S, v_data, dk + b * S * A, dq + b * A,
                              shares + b * A);
           });
           const Tensor dv = needs[2] ? sum_to(dv_shares, {A}) : Tensor();  // Σ_b of the shares
           return std::vector<Tensor>{needs[0] ? dkeys : Tensor(), needs[1] ? dquery : Tensor(), dv};
         });
  return scores;
}

}  // namespace heed::ops
