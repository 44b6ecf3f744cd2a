// Scaled dot-product attention: two GEMMs around one fused row kernel, forward and backward.
//
// Shapes: q (N, T, D), k (N, S, D), v (N, S, Dv), where N stands for all the leading dims together
// (B·H for multi-head attention). Per query row (one of the N·T), with scale = 1/√D:
//
//   forward                                        backward (g = dL/d output, (N, T, Dv))
//   A = Q Kᵀ                    GEMM (N, T, S)      dW = g Vᵀ                          GEMM
//   s_j = scale·A_j + b_j       ┐                   dV = Wᵀ g                          GEMM
//   P = softmax(s)              │ one pass per row  dP_j = dW_j · m_j                  ┐ one pass
//   W_j = P_j · m_j             ┘                   dA_j = scale · P_j (dP_j − Σ_k P_k dP_k) ┘ per row
//   output = W V                GEMM                dQ = dA K,   dK = dAᵀ Q             GEMMs
//
// b_j gathers the masks: 0 for a visible key, −∞ for a padded key, a key after the query (causal)
// or a blocked pair, and the values of a float attn_mask. m_j is the dropout factor: 0 for a
// dropped weight, 1/(1 − p) for a kept one (1 everywhere without dropout). A row whose every s_j is
// −∞ has no softmax; its P is all zeros, and so, through the formulas above, are its output and
// its gradients. The softmax backward is the usual one (ops/softmax.cpp); the derivation of the
// whole backward is written out in docs/attention.md.
//
// Memory: the forward allocates the scores (N, T, S) and turns them into P in place; the only
// (N, T, S) tensor kept for backward is P. The dropout factors are not stored: they are a function
// of (seed, counter) (ops/dropout_mask.h), so backward draws them again from the two saved integers.
// While training with dropout, W is a second (N, T, S) tensor, freed after the forward.
//
// The GEMMs are ops::matmul called under no-grad: transposed views reach BLAS as flags, and the N
// small products run in parallel, one per thread. The row kernels run in parallel over rows.
// packed_self_attention reads q, k and v as views of the packed projection, writes each head's
// output straight into its columns of the (B, T, E) result and the gradients straight into their
// thirds of the packed gradient (ops::matmul_into): no copies on either side.
#include "heed/ops/attention.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/core/random.h"
#include "heed/ops/dropout_mask.h"
#include "heed/ops/index.h"
#include "heed/ops/matmul.h"
#include "heed/ops/matmul_into.h"
#include "heed/ops/shape.h"
#include "heed/ops/vector_math.h"

namespace heed::ops {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

// The sizes of one call: N leading entries (the dims before (T, D), batch first), T queries, S keys.
struct Geometry {
  Shape leading;
  int64_t entries = 1, queries = 0, keys = 0;
  int64_t rows() const { return entries * queries; }
};

// The masks as additive biases, read by the row kernel: row (n, t) adds key_row(n)[j] and
// mask_row(n, t)[j] to the scaled score of key j. Absent masks read a row of zeros.
class Biases {
 public:
  Biases(const Geometry& g, const AttentionOptions& options) : keys_(g.keys), zero_row_(g.keys, 0.0f) {
    NoGradGuard no_grad;
    if (options.key_padding_mask.defined()) {
      // nonzero (padded) -> −∞, zero -> 0; (B, S)
      key_ = masked_fill(zeros({g.leading[0], g.keys}), options.key_padding_mask, kMinusInf);
      entries_per_batch_ = std::max<int64_t>(g.entries / std::max<int64_t>(g.leading[0], 1), 1);
    }
    if (options.attn_mask.defined()) build_mask_table(g, options.attn_mask);
  }

  const float* key_row(int64_t n) const {
    return key_.defined() ? key_.data<float>() + n / entries_per_batch_ * keys_ : zero_row_.data();
  }
  const float* mask_row(int64_t n, int64_t t) const {
    return table_.defined() ? table_.data<float>() + table_offset_[n] + t * keys_ : zero_row_.data();
  }

 private:
  // table_: the mask as float biases, dense (Lm..., T, S) with the mask's own leading dims Lm (some
  // may be 1: broadcast), and where each of the N leading entries finds its (T, S) block.
  void build_mask_table(const Geometry& g, const Tensor& mask) {
    const auto rank = static_cast<size_t>(g.leading.size() + 2);
    Shape padded(rank - static_cast<size_t>(mask.dim()), 1);
    padded.insert(padded.end(), mask.shape().begin(), mask.shape().end());
    Shape table_shape(padded.begin(), padded.end() - 2);
    table_shape.push_back(g.queries);
    table_shape.push_back(g.keys);
    const Tensor spread = expand(reshape(mask, padded), table_shape);
    table_ = mask.dtype() == Dtype::Float32 ? contiguous(spread)
                                            : masked_fill(zeros(table_shape), spread, kMinusInf);
    const Shape table_leading(table_shape.begin(), table_shape.end() - 2);
    const Shape strides = broadcast_strides(table_leading, contiguous_strides(table_leading), g.leading);
    Shape index(g.leading.size(), 0);
    for (int64_t n = 0; n < g.entries; ++n) {
      int64_t offset = 0;
      for (size_t d = 0; d < index.size(); ++d) offset += index[d] * strides[d];
      table_offset_.push_back(offset * g.queries * g.keys);
      for (size_t d = index.size(); d-- > 0;) {  // odometer increment, last dim fastest
        if (++index[d] < g.leading[d]) break;
        index[d] = 0;
      }
    }
  }

  int64_t keys_;
  std::vector<float> zero_row_;
  Tensor key_;                    // (B, S): 0 or −∞
  int64_t entries_per_batch_ = 1;
  Tensor table_;                  // (Lm..., T, S)
  std::vector<int64_t> table_offset_;
};

// The dropout factors of the weights: element i (row-major in (N, T, S)) is kept when the uniform
// number at counter start + i is at least p, the rule of ops::dropout.
struct DropoutDraw {
  float p = 0.0f;
  uint64_t seed = 0, start = 0;
  bool active() const { return p > 0.0f; }
  // The factors of elements [first, first + n) into out.
  void factors(int64_t first, float* out, int64_t n) const {
    dropout_factors(seed, start + static_cast<uint64_t>(first), p, out, n);
  }
};

// Keys 0 .. visible−1 are open to query t; causal hides those after position t + (S − T).
int64_t visible_keys(const Geometry& g, bool causal, int64_t t) {
  return causal ? std::clamp<int64_t>(t + g.keys - g.queries + 1, 0, g.keys) : g.keys;
}

// Runs body(lo, hi) over the N·T rows in parallel chunks.
void for_each_chunk_of_rows(const Geometry& g, const auto& body) {
  parallel_for(0, g.rows(), std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(g.keys, 1)), body);
}

void for_each_row(const Geometry& g, const auto& body) {
  for_each_chunk_of_rows(g, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) body(row / g.queries, row % g.queries, row);
  });
}

// Scores A (N, T, S) become P in place: s = scale·A + biases over the visible keys, P = softmax(s),
// 0 for hidden keys. With dropout, also writes W = P ⊙ m into `dropped`.
void softmax_rows(Tensor& scores, Tensor& dropped, const Geometry& g, const Biases& biases, bool causal,
                  float scale, const DropoutDraw& dropout) {
  float* all = scores.mutable_data<float>();
  float* all_dropped = dropout.active() ? dropped.mutable_data<float>() : nullptr;
  const int64_t S = g.keys;
  for_each_row(g, [&](int64_t n, int64_t t, int64_t row) {
    float* p = all + row * S;
    const float *key_bias = biases.key_row(n), *mask_bias = biases.mask_row(n, t);
    const int64_t visible = visible_keys(g, causal, t);
    float m = kMinusInf;
#pragma omp simd reduction(max : m)
    for (int64_t j = 0; j < visible; ++j) {
      p[j] = p[j] * scale + key_bias[j] + mask_bias[j];
      m = std::max(m, p[j]);
    }
    if (m == kMinusInf) {  // every key hidden: no weight anywhere
      std::fill(p, p + S, 0.0f);
    } else {
      float total = 0.0f;
#pragma omp simd reduction(+ : total)
      for (int64_t j = 0; j < visible; ++j) {
        p[j] = exp_approx(p[j] - m);
        total += p[j];
      }
      const float inverse = 1.0f / total;
#pragma omp simd
      for (int64_t j = 0; j < visible; ++j) p[j] *= inverse;
      std::fill(p + visible, p + S, 0.0f);
    }
    if (all_dropped != nullptr) {
      float* w = all_dropped + row * S;
      dropout.factors(row * S, w, S);
#pragma omp simd
      for (int64_t j = 0; j < S; ++j) w[j] *= p[j];
    }
  });
}

// dW (N, T, S) becomes dA in place: dP = dW ⊙ m, dA = scale · P ⊙ (dP − Σ P ⊙ dP) per row. With
// W = P ⊙ m this is dA = scale · (W ⊙ dW − P · Σ W ⊙ dW), so the mask itself is not needed: only
// W, which the backward has already drawn for dV (without dropout, W is P).
void softmax_rows_backward(Tensor& grad, const Tensor& probabilities, const Tensor& weights, const Geometry& g,
                           float scale) {
  float* all_grad = grad.mutable_data<float>();
  const float* all_p = probabilities.data<float>();
  const float* all_w = weights.data<float>();
  const int64_t S = g.keys;
  for_each_chunk_of_rows(g, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      float* d = all_grad + row * S;
      const float* p = all_p + row * S;
      const float* w = all_w + row * S;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int64_t j = 0; j < S; ++j) dot += w[j] * d[j];
#pragma omp simd
      for (int64_t j = 0; j < S; ++j) d[j] = scale * (w[j] * d[j] - p[j] * dot);
    }
  });
}

// W = P ⊙ m, recomputed for backward from the saved P and the dropout draw.
Tensor apply_dropout(const Tensor& probabilities, const Geometry& g, const DropoutDraw& dropout) {
  Tensor dropped = Tensor::empty(probabilities.shape());
  const float* p = probabilities.data<float>();
  float* w = dropped.mutable_data<float>();
  for_each_chunk_of_rows(g, [&](int64_t lo, int64_t hi) {
    dropout.factors(lo * g.keys, w + lo * g.keys, (hi - lo) * g.keys);
#pragma omp simd
    for (int64_t j = lo * g.keys; j < hi * g.keys; ++j) w[j] *= p[j];
  });
  return dropped;
}

// Checks q, k, v and the options for the op named `op`; returns the sizes.
Geometry check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options,
                      const char* op) {
  check_dtype(q, Dtype::Float32, op, "q");
  check_dtype(k, Dtype::Float32, op, "k");
  check_dtype(v, Dtype::Float32, op, "v");
  HEED_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), op,
             "q is {}, k is {}, v is {}; expected q (..., T, D), k (..., S, D), v (..., S, Dv) with the "
             "same number of dims, at least 2",
             q.shape(), k.shape(), v.shape());
  Geometry g;
  g.leading = Shape(q.shape().begin(), q.shape().end() - 2);
  const Shape k_leading(k.shape().begin(), k.shape().end() - 2), v_leading(v.shape().begin(), v.shape().end() - 2);
  HEED_CHECK(k_leading == g.leading && v_leading == g.leading && q.size(-1) == k.size(-1) &&
                 k.size(-2) == v.size(-2) && q.size(-1) > 0,
             op,
             "q is {}, k is {}, v is {}; expected q (..., T, D), k (..., S, D), v (..., S, Dv) with equal "
             "leading dims, one D > 0 for q and k, and one S for k and v",
             q.shape(), k.shape(), v.shape());
  g.entries = numel(g.leading);
  g.queries = q.size(-2);
  g.keys = k.size(-2);
  HEED_CHECK(options.dropout_p >= 0.0f && options.dropout_p <= 1.0f, op,
             "dropout_p is {}; expected a probability in [0, 1]", options.dropout_p);
  if (options.key_padding_mask.defined()) {
    HEED_CHECK(q.dim() >= 3 && options.key_padding_mask.shape() == (Shape{q.size(0), g.keys}), op,
               "key_padding_mask is {} for q {} and k {}; expected (B, S) = [{}, {}], with q of at least 3 "
               "dims (B, ..., T, D)",
               options.key_padding_mask.shape(), q.shape(), k.shape(), q.dim() >= 3 ? q.size(0) : 0, g.keys);
  }
  if (const Tensor& mask = options.attn_mask; mask.defined()) {
    Shape full = g.leading;
    full.push_back(g.queries);
    full.push_back(g.keys);
    bool fits = mask.dim() >= 2 && mask.dim() <= static_cast<int64_t>(full.size()) &&
                mask.size(-2) == g.queries && mask.size(-1) == g.keys;
    for (int64_t d = 1; fits && d <= mask.dim() - 2; ++d)
      fits = mask.size(-2 - d) == 1 || mask.size(-2 - d) == full[full.size() - 2 - d];
    HEED_CHECK(fits, op,
               "attn_mask is {} for weights of shape {}; expected (T, S) = [{}, {}] or a shape that "
               "broadcasts to the weights' with the same last two dims",
               mask.shape(), full, g.queries, g.keys);
  }
  return g;
}

// The facts of one call that backward needs besides tensors.
struct Plan {
  Geometry g;
  float scale = 1.0f;    // 1 / √D
  DropoutDraw dropout;   // inactive unless training with dropout_p > 0
};

struct Pass {
  Tensor probabilities;  // P (N, T, S), kept for backward
  Tensor weights;        // W: P itself, or P ⊙ m while dropping
  Tensor output;         // W V (N, T, Dv)
};

Plan plan_of(const Tensor& q, const Geometry& g, const AttentionOptions& options) {
  Plan plan{g, 1.0f / std::sqrt(static_cast<float>(q.size(-1))), {}};
  if (options.training && options.dropout_p > 0.0f) {
    const CounterRange counters = default_generator().reserve(static_cast<uint64_t>(g.rows() * g.keys));
    plan.dropout = {options.dropout_p, counters.seed, counters.first};
  }
  return plan;
}

// a · b (no autograd) written into `into` when it is defined (a view of a larger buffer), else new.
Tensor product(const Tensor& a, const Tensor& b, const Tensor& into) {
  if (!into.defined()) return matmul(a, b);
  matmul_into(a, b, into);
  return into;
}

// The forward on checked inputs: A = Q Kᵀ, P and W by the row kernel, output = W V (written into
// output_into when it is defined).
Pass forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options, const Plan& plan,
             const Tensor& output_into = Tensor()) {
  const Biases biases(plan.g, options);
  NoGradGuard no_grad;
  Pass pass;
  pass.probabilities = matmul(q, transpose(k, -2, -1));  // A = Q Kᵀ (N, T, S), then P in place
  pass.weights = plan.dropout.active() ? Tensor::empty(pass.probabilities.shape()) : pass.probabilities;
  softmax_rows(pass.probabilities, pass.weights, plan.g, biases, options.causal, plan.scale, plan.dropout);
  pass.output = product(pass.weights, v, output_into);  // (N, T, Dv)
  return pass;
}

// dQ, dK, dV (undefined where not wanted; written into `into`'s tensors where those are defined,
// else dense) from g = dL/d output (N, T, Dv):
//   dV = Wᵀ g;  dA = scale · P ⊙ (dP − Σ P ⊙ dP) with dP = (g Vᵀ) ⊙ m;  dQ = dA K;  dK = dAᵀ Q
// W = P ⊙ m is drawn once and serves both dV and dA.
std::array<Tensor, 3> backward(const Tensor& grad, const Tensor& q, const Tensor& k, const Tensor& v,
                               const Tensor& probabilities, const Plan& plan, std::array<bool, 3> wanted,
                               const std::array<Tensor, 3>& into = {}) {
  NoGradGuard no_grad;
  std::array<Tensor, 3> grads;
  const Tensor w = plan.dropout.active() ? apply_dropout(probabilities, plan.g, plan.dropout) : probabilities;
  if (wanted[2]) grads[2] = product(transpose(w, -2, -1), grad, into[2]);
  if (wanted[0] || wanted[1]) {
    Tensor grad_scores = matmul(grad, transpose(v, -2, -1));  // dW, then dA in place
    softmax_rows_backward(grad_scores, probabilities, w, plan.g, plan.scale);
    if (wanted[0]) grads[0] = product(grad_scores, k, into[0]);
    if (wanted[1]) grads[1] = product(transpose(grad_scores, -2, -1), q, into[1]);
  }
  return grads;
}

// The (B, H, L, D) view of features [first, first + H·D) of a dense (B, L, width) tensor, head h
// being features first + h·D onwards: no copy, no autograd.
Tensor heads_view(const Tensor& base, int64_t heads, int64_t head_dim, int64_t first) {
  const int64_t batch = base.size(0), length = base.size(1), width = base.size(2);
  return make_view(base, {batch, heads, length, head_dim}, {length * width, head_dim, width, 1}, base.offset() + first);
}

}  // namespace

AttentionResult scaled_dot_product_attention_with_weights(const Tensor& q, const Tensor& k, const Tensor& v,
                                                          const AttentionOptions& options) {
  const Plan plan = plan_of(q, check_inputs(q, k, v, options, "scaled_dot_product_attention"), options);
  Pass pass = forward(q, k, v, options, plan);
  // q only for dK, k only for dQ, v only for dQ and dK (through dW = g Vᵀ).
  SavedTensor saved_q = k.requires_grad() ? SavedTensor(q) : SavedTensor();
  SavedTensor saved_k = q.requires_grad() ? SavedTensor(k) : SavedTensor();
  SavedTensor saved_v = q.requires_grad() || k.requires_grad() ? SavedTensor(v) : SavedTensor();
  record("scaled_dot_product_attention", pass.output, {q, k, v},
         [saved_q, saved_k, saved_v, saved_p = SavedTensor(pass.probabilities), plan](const Tensor& grad,
                                                                                     NeedsGrad needs) {
           std::array<Tensor, 3> grads = backward(grad, saved_q.get(), saved_k.get(), saved_v.get(), saved_p.get(),
                                                  plan, {needs[0], needs[1], needs[2]});
           return std::vector<Tensor>(grads.begin(), grads.end());
         });
  return {pass.output, pass.weights};
}

AttentionResult packed_self_attention(const Tensor& qkv, int64_t num_heads, const AttentionOptions& options) {
  check_dtype(qkv, Dtype::Float32, "packed_self_attention", "qkv");
  HEED_CHECK(qkv.dim() == 3 && num_heads > 0 && qkv.size(2) > 0 && qkv.size(2) % (3 * num_heads) == 0,
             "packed_self_attention", "qkv is {} with {} heads; expected (B, T, 3·H·D) with H = {} and D > 0",
             qkv.shape(), num_heads, num_heads);
  const Tensor packed = dense(qkv);  // (B, T, 3E), usually already dense: the projection's output
  const int64_t batch = qkv.size(0), length = qkv.size(1), width = qkv.size(2) / 3, head_dim = width / num_heads;
  auto parts = [num_heads, head_dim, width](const Tensor& base) {  // q, k, v (B, H, T, D), views of base
    return std::array<Tensor, 3>{heads_view(base, num_heads, head_dim, 0), heads_view(base, num_heads, head_dim, width),
                                 heads_view(base, num_heads, head_dim, 2 * width)};
  };
  const auto [q, k, v] = parts(packed);
  const Plan plan = plan_of(q, check_inputs(q, k, v, options, "packed_self_attention"), options);
  Tensor merged = Tensor::empty({batch, length, width});  // the heads side by side again
  const Pass pass = forward(q, k, v, options, plan, heads_view(merged, num_heads, head_dim, 0));
  record("packed_self_attention", merged, {qkv},
         [saved_qkv = SavedTensor(packed), saved_p = SavedTensor(pass.probabilities), plan, parts, num_heads, head_dim,
          shape = qkv.shape()](const Tensor& grad, NeedsGrad) {
           // the gradients of the three parts, written side by side as the parts were read
           const auto [q_saved, k_saved, v_saved] = parts(saved_qkv.get());
           const Tensor grad_heads = heads_view(dense(grad), num_heads, head_dim, 0);  // (B, H, T, D)
           Tensor grad_qkv = Tensor::empty(shape);
           backward(grad_heads, q_saved, k_saved, v_saved, saved_p.get(), plan, {true, true, true}, parts(grad_qkv));
           return std::vector<Tensor>{grad_qkv};
         });
  return {merged, pass.weights};
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options) {
  return scaled_dot_product_attention_with_weights(q, k, v, options).output;
}

}  // namespace heed::ops
