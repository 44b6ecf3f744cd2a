// scaled_dot_product_attention: against the same formula composed of heed's plain ops (matmul,
// softmax, dropout) with a mask built here element by element, for every kind of mask; gradcheck of
// each; packed_self_attention against split heads; the masking guarantees (exact zero weights, no
// NaN on fully masked rows, nothing leaks from hidden keys); dropout drawn as ops::dropout draws;
// the errors.
#include <omp.h>

#include <cmath>
#include <functional>
#include <limits>

#include "test_util.h"
#include "heed/ops/attention.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::leaf;
using Inputs = std::vector<Tensor>;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int64_t B = 2, H = 2, T = 3, S = 4, D = 3, Dv = 2;

// A (B, H, T, S) float tensor whose element (b, h, t, j) is bias(b, h, t, j).
Tensor bias_of(const std::function<float(int64_t, int64_t, int64_t, int64_t)>& bias, int64_t queries = T) {
  std::vector<float> values;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < queries; ++t)
        for (int64_t j = 0; j < S; ++j) values.push_back(bias(b, h, t, j));
  return from_vector(values, {B, H, queries, S});
}

// softmax(Q Kᵀ / √D + bias) V, then dropout on the weights, composed of plain ops.
Tensor reference(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias, float dropout_p = 0.0f) {
  Tensor scores = ops::matmul(q, ops::transpose(k, -2, -1)) * (1.0f / std::sqrt(static_cast<float>(q.size(-1))));
  if (bias.defined()) scores = scores + bias;
  return ops::matmul(ops::dropout(ops::softmax(scores, -1), dropout_p, true), v);
}

// Key padding: batch entry 0 has its last key padded, entry 1 its last three.
const std::vector<int64_t> kPadding = {0, 0, 0, 1, 0, 1, 1, 1};
bool padded(int64_t b, int64_t j) { return kPadding[b * S + j] != 0; }
// A (T, S) pattern of blocked pairs that leaves every query at least one key.
const std::vector<int64_t> kBlocked = {0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0};
// A (T, S) additive mask: finite biases, and one −∞.
const std::vector<float> kAdditive = {0.5f, -1.f, 2.f, 0.f, -kInf, 0.25f, -0.5f, 1.f, 0.f, 0.f, -2.f, 0.75f};

struct Case {
  const char* name;
  ops::AttentionOptions options;
  Tensor bias;  // the same masks as one (B, H, T, S) additive tensor, for the reference
};

std::vector<Case> mask_cases() {
  auto causal = [](int64_t t, int64_t j) { return j > t + S - T; };  // T < S: queries are the last T positions
  return {
      {"no mask", {}, Tensor()},
      {"key padding, int64",
       {.key_padding_mask = from_vector(kPadding, {B, S})},
       bias_of([](int64_t b, int64_t, int64_t, int64_t j) { return padded(b, j) ? -kInf : 0.f; })},
      {"key padding, float (nonzero = padded)",
       {.key_padding_mask = from_vector(std::vector<float>(kPadding.begin(), kPadding.end()), {B, S})},
       bias_of([](int64_t b, int64_t, int64_t, int64_t j) { return padded(b, j) ? -kInf : 0.f; })},
      {"attn_mask int64 (T, S)",
       {.attn_mask = from_vector(kBlocked, {T, S})},
       bias_of([](int64_t, int64_t, int64_t t, int64_t j) { return kBlocked[t * S + j] ? -kInf : 0.f; })},
      {"attn_mask float (T, S), additive",
       {.attn_mask = from_vector(kAdditive, {T, S})},
       bias_of([](int64_t, int64_t, int64_t t, int64_t j) { return kAdditive[t * S + j]; })},
      {"attn_mask int64 (B, 1, T, S)",
       {.attn_mask = from_vector(std::vector<int64_t>{0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0,  //
                                                      1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
                                 {B, 1, T, S})},
       bias_of([](int64_t b, int64_t, int64_t t, int64_t j) {
         return (b == 0 ? kBlocked[t * S + j] : (t == 0 && j == 0) || (t == 1 && j == 2) || (t == 2 && j == 3))
                    ? -kInf
                    : 0.f;
       })},
      {"causal, T < S",
       {.causal = true},
       bias_of([&](int64_t, int64_t, int64_t t, int64_t j) { return causal(t, j) ? -kInf : 0.f; })},
      {"causal, key padding and an additive mask",
       {.key_padding_mask = from_vector(std::vector<int64_t>{0, 0, 0, 1, 0, 0, 1, 1}, {B, S}),
        .attn_mask = from_vector(kAdditive, {T, S}),
        .causal = true},
       bias_of([&](int64_t b, int64_t, int64_t t, int64_t j) {
         bool hidden = causal(t, j) || (j == 3) || (b == 1 && j == 2);
         return hidden ? -kInf : kAdditive[t * S + j];
       })},
  };
}

TEST(Attention, MatchesTheComposedFormulaForEveryMask) {
  manual_seed(60);
  for (const Case& c : mask_cases()) {
    Tensor q = leaf({B, H, T, D}, -2.f, 2.f), k = leaf({B, H, S, D}, -2.f, 2.f), v = leaf({B, H, S, Dv});
    Tensor upstream = randn({B, H, T, Dv});
    Tensor out = ops::scaled_dot_product_attention(q, k, v, c.options);
    out.backward(upstream);
    Inputs grads{q.grad(), k.grad(), v.grad()};
    for (Tensor t : {q, k, v}) t.set_grad(Tensor());
    Tensor expected = reference(q, k, v, c.bias);
    expected.backward(upstream);
    EXPECT_TRUE(all_close(out, expected, 1e-5, 1e-5)) << c.name;
    EXPECT_TRUE(all_close(grads[0], q.grad(), 1e-5, 1e-4)) << c.name << ": dq";
    EXPECT_TRUE(all_close(grads[1], k.grad(), 1e-5, 1e-4)) << c.name << ": dk";
    EXPECT_TRUE(all_close(grads[2], v.grad(), 1e-5, 1e-4)) << c.name << ": dv";
  }
}

TEST(AttentionGrad, GradcheckEveryMask) {
  manual_seed(61);
  for (const Case& c : mask_cases()) {
    Inputs inputs{leaf({B, H, T, D}), leaf({B, H, S, D}), leaf({B, H, S, Dv})};
    EXPECT_GRADCHECK([&](const Inputs& in) {
      return ops::scaled_dot_product_attention(in[0], in[1], in[2], c.options);
    }, inputs, c.name);
  }
}

TEST(AttentionGrad, GradcheckWithDropout) {
  manual_seed(62);
  Inputs inputs{leaf({B, H, T, D}), leaf({B, H, S, D}), leaf({B, H, S, Dv})};
  ops::AttentionOptions options{.key_padding_mask = from_vector(kPadding, {B, S}), .causal = true, .dropout_p = 0.3f};
  // f re-seeds, so every evaluation drops the same weights
  auto f = [&](const Inputs& in) {
    manual_seed(7);
    return ops::scaled_dot_product_attention(in[0], in[1], in[2], options);
  };
  EXPECT_GRADCHECK(f, inputs, "attention with dropout");
}

TEST(AttentionGrad, GradcheckOnStridedHeads) {
  // Heads cut from a (B, T, H·D) projection, as multi-head attention does: strided views, no copies.
  manual_seed(63);
  auto heads = [](const Tensor& x, int64_t length) {  // (B, L, H·D) -> (B, H, L, D)
    return ops::transpose(ops::view(x, {B, length, H, D}), 1, 2);
  };
  Inputs inputs{leaf({B, T, H * D}), leaf({B, S, H * D}), leaf({B, S, H * D})};
  EXPECT_GRADCHECK([&](const Inputs& in) {
    return ops::scaled_dot_product_attention(heads(in[0], T), heads(in[1], S), heads(in[2], S), {.causal = true});
  }, inputs, "attention on strided heads");
}

TEST(Attention, DropoutDrawsAsOpsDropout) {
  manual_seed(64);
  Tensor q = leaf({B, H, T, D}), k = leaf({B, H, S, D}), v = leaf({B, H, S, Dv});
  Tensor upstream = randn({B, H, T, Dv});
  Tensor padding = from_vector(kPadding, {B, S});
  Tensor bias = bias_of([](int64_t b, int64_t, int64_t, int64_t j) { return padded(b, j) ? -kInf : 0.f; });
  manual_seed(65);
  ops::AttentionResult fused = ops::scaled_dot_product_attention_with_weights(
      q, k, v, {.key_padding_mask = padding, .dropout_p = 0.4f});
  fused.output.backward(upstream);
  Inputs grads{q.grad(), k.grad(), v.grad()};
  for (Tensor t : {q, k, v}) t.set_grad(Tensor());
  manual_seed(65);
  Tensor expected = reference(q, k, v, bias, 0.4f);
  expected.backward(upstream);
  EXPECT_TRUE(all_close(fused.output, expected, 1e-5, 1e-5));
  const Inputs expected_grads{q.grad(), k.grad(), v.grad()};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(all_close(grads[i], expected_grads[i], 1e-5, 1e-4)) << i;
  // The returned weights are the dropped ones: some zeros among the visible keys, the rest scaled.
  int64_t dropped = 0;
  for (float w : fused.weights.to_vector()) dropped += w == 0.0f;
  EXPECT_GT(dropped, H * T * 4);  // more than the padded keys alone
}

TEST(Attention, DropoutOnlyWhileTraining) {
  manual_seed(66);
  Tensor q = leaf({B, H, T, D}), k = leaf({B, H, S, D}), v = leaf({B, H, S, Dv});
  Tensor plain = ops::scaled_dot_product_attention(q, k, v);
  Tensor eval = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.5f, .training = false});
  Tensor train = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.5f});
  EXPECT_TRUE(all_close(eval, plain, 0, 0));
  EXPECT_FALSE(all_close(train, plain));
  // p = 1 drops every weight
  Tensor none = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = 1.0f});
  EXPECT_TRUE(all_close(none, zeros({B, H, T, Dv}), 0, 0));
}

TEST(Attention, DropoutDoesNotDependOnTheThreadCount) {
  const int threads = omp_get_max_threads();
  manual_seed(67);
  Tensor q = randn({4, 8, 64, 16}), k = randn({4, 8, 64, 16}), v = randn({4, 8, 64, 16});
  omp_set_num_threads(1);
  manual_seed(68);
  Tensor one_thread = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.2f});
  omp_set_num_threads(2);
  manual_seed(68);
  Tensor two_threads = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.2f});
  omp_set_num_threads(threads);
  EXPECT_TRUE(all_close(two_threads, one_thread, 0, 0));
}

TEST(Attention, MaskedKeysGetExactlyZeroWeightAndLeakNothing) {
  manual_seed(69);
  Tensor q = randn({B, H, T, D}), k = randn({B, H, S, D}), v = randn({B, H, S, Dv});
  ops::AttentionOptions options{.key_padding_mask = from_vector(kPadding, {B, S}),
                                .attn_mask = from_vector(kBlocked, {T, S})};
  ops::AttentionResult result = ops::scaled_dot_product_attention_with_weights(q, k, v, options);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t) {
        float total = 0;
        for (int64_t j = 0; j < S; ++j) {
          float w = result.weights.at({b, h, t, j});
          if (padded(b, j) || kBlocked[t * S + j]) {
            EXPECT_EQ(w, 0.0f) << b << h << t << j;
          }
          total += w;
        }
        if (!(b == 1 && t == 1)) {  // rows with a visible key
          EXPECT_NEAR(total, 1.0f, 1e-6) << b << h << t;
        }
      }
  // Huge keys and values at the padded positions change nothing.
  Tensor poison = from_vector(std::vector<float>(kPadding.begin(), kPadding.end()), {B, 1, S, 1}) * 1e6f;
  Tensor again = ops::scaled_dot_product_attention(q, k + poison, v + poison, options);
  EXPECT_TRUE(all_close(again, result.output, 0, 0));
}

TEST(Attention, FullyMaskedRowsGiveZerosNotNaN) {
  manual_seed(70);
  Tensor q = leaf({B, H, T, D}), k = leaf({B, H, S, D}), v = leaf({B, H, S, Dv});
  // Batch entry 1 has every key padded; in entry 0, query 1 is blocked from every key.
  Tensor padding = from_vector(std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1}, {B, S});
  Tensor blocked = from_vector(std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}, {T, S});
  ops::AttentionResult result =
      ops::scaled_dot_product_attention_with_weights(q, k, v, {.key_padding_mask = padding, .attn_mask = blocked});
  ops::sum(result.output * result.output).backward();
  for (int64_t h = 0; h < H; ++h)
    for (int64_t t = 0; t < T; ++t) {
      bool empty_row = t == 1;
      for (int64_t j = 0; j < S; ++j) {
        EXPECT_EQ(result.weights.at({1, h, t, j}), 0.0f);
        if (empty_row) {
          EXPECT_EQ(result.weights.at({0, h, t, j}), 0.0f);
        }
      }
      for (int64_t d = 0; d < Dv; ++d) {
        EXPECT_EQ(result.output.at({1, h, t, d}), 0.0f);
        if (empty_row) {
          EXPECT_EQ(result.output.at({0, h, t, d}), 0.0f);
        }
      }
      for (int64_t d = 0; d < D; ++d) EXPECT_EQ(q.grad().at({1, h, t, d}), 0.0f);
    }
  for (const Tensor& t : {result.output, q.grad(), k.grad(), v.grad()})
    for (float x : t.to_vector()) EXPECT_TRUE(std::isfinite(x));
  // More queries than keys with causal: the first T − S queries come before every key.
  Tensor early =
      ops::scaled_dot_product_attention(randn({1, 5, D}), randn({1, 2, D}), randn({1, 2, Dv}), {.causal = true});
  for (int64_t t = 0; t < 3; ++t)
    for (int64_t d = 0; d < Dv; ++d) EXPECT_EQ(early.at({0, t, d}), 0.0f);
  EXPECT_NE(early.at({0, 4, 0}), 0.0f);
}

TEST(Attention, CausalQueriesIgnoreLaterPositions) {
  manual_seed(71);
  const int64_t L = 6;
  Tensor q = randn({2, L, D}), k = randn({2, L, D}), v = randn({2, L, Dv});
  ops::AttentionResult result = ops::scaled_dot_product_attention_with_weights(q, k, v, {.causal = true});
  for (int64_t i = 0; i < L; ++i)
    for (int64_t j = i + 1; j < L; ++j) EXPECT_EQ(result.weights.at({0, i, j}), 0.0f);
  // Changing the last two keys and values leaves the first four outputs as they were.
  Tensor later = from_vector({0.f, 0.f, 0.f, 0.f, 1.f, 1.f}, {1, L, 1}) * 100.f;
  Tensor changed = ops::scaled_dot_product_attention(q, k + later, v + later, {.causal = true});
  EXPECT_TRUE(all_close(ops::narrow(changed, 1, 0, 4), ops::narrow(result.output, 1, 0, 4), 0, 0));
  EXPECT_FALSE(all_close(ops::narrow(changed, 1, 4, 2), ops::narrow(result.output, 1, 4, 2)));
}

TEST(Attention, WeightsAreTheSoftmaxAndLargeScoresStayFinite) {
  manual_seed(72);
  Tensor q = randn({3, T, D}) * 1e3f, k = randn({3, S, D}) * 1e3f, v = randn({3, S, Dv});
  ops::AttentionResult result = ops::scaled_dot_product_attention_with_weights(q, k, v);
  Tensor expected = ops::softmax(ops::matmul(q, ops::transpose(k, 1, 2)) * (1.0f / std::sqrt(float(D))), -1);
  EXPECT_TRUE(all_close(result.weights, expected, 1e-6, 1e-5));
  for (float x : result.output.to_vector()) EXPECT_TRUE(std::isfinite(x));
  // Leading dims of any number, even none.
  Tensor q2 = randn({T, D}), k2 = randn({S, D}), v2 = randn({S, Dv});
  EXPECT_TRUE(all_close(ops::scaled_dot_product_attention(q2, k2, v2), reference(q2, k2, v2, Tensor()), 1e-6, 1e-5));
}

// (B, L, 3·H·D) -> [q, k, v], each (B, H, L, D): the views packed_self_attention reads.
std::vector<Tensor> split_packed(const Tensor& qkv, int64_t heads) {
  std::vector<Tensor> parts = ops::chunk(qkv, 3, -1);
  for (Tensor& part : parts)
    part = ops::transpose(ops::view(part, {qkv.size(0), qkv.size(1), heads, part.size(2) / heads}), 1, 2);
  return parts;
}

TEST(Attention, PackedSelfAttentionMatchesSplitHeads) {
  manual_seed(73);
  const int64_t L = 4;
  const std::vector<std::pair<const char*, ops::AttentionOptions>> cases = {
      {"no mask", {}},
      {"key padding and causal",
       {.key_padding_mask = from_vector(std::vector<int64_t>{0, 0, 0, 0, 0, 0, 1, 1}, {B, L}), .causal = true}},
      {"additive mask and dropout", {.attn_mask = randn({L, L}), .dropout_p = 0.3f}},
  };
  for (const auto& [name, options] : cases) {
    Tensor qkv = leaf({B, L, 3 * H * D});
    Tensor upstream = randn({B, L, H * D});
    manual_seed(74);
    ops::AttentionResult packed = ops::packed_self_attention(qkv, H, options);
    packed.output.backward(upstream);
    Tensor grad = qkv.grad();
    qkv.set_grad(Tensor());
    std::vector<Tensor> parts = split_packed(qkv, H);
    manual_seed(74);
    ops::AttentionResult split = ops::scaled_dot_product_attention_with_weights(parts[0], parts[1], parts[2], options);
    Tensor merged = ops::reshape(ops::transpose(split.output, 1, 2), {B, L, H * D});
    merged.backward(upstream);
    EXPECT_TRUE(all_close(packed.output, merged, 1e-6, 1e-5)) << name;
    EXPECT_TRUE(all_close(packed.weights, split.weights, 0, 0)) << name;
    EXPECT_TRUE(all_close(grad, qkv.grad(), 1e-6, 1e-5)) << name;
  }
}

TEST(AttentionGrad, GradcheckPacked) {
  manual_seed(75);
  Tensor padding = from_vector(std::vector<int64_t>{0, 0, 0, 0, 1, 1}, {B, T});
  EXPECT_GRADCHECK([&](const Inputs& in) {
    return ops::packed_self_attention(in[0], H, {.key_padding_mask = padding, .causal = true}).output;
  }, (Inputs{leaf({B, T, 3 * H * D})}), "packed_self_attention");
  // A packed input that is itself a strided view (read through a dense copy).
  Tensor strided = ops::transpose(leaf({B, 3 * H * D, T}).detach(), 1, 2);
  strided.set_requires_grad();
  EXPECT_GRADCHECK([&](const Inputs& in) { return ops::packed_self_attention(in[0], H).output; }, (Inputs{strided}),
                   "packed_self_attention of a transposed view");
}

TEST(Attention, Errors) {
  Tensor q = zeros({B, H, T, D}), k = zeros({B, H, S, D}), v = zeros({B, H, S, Dv});
  expect_error([&] { ops::scaled_dot_product_attention(q, zeros({B, H, S, D + 1}), v); },
               {"scaled_dot_product_attention", "[2, 2, 3, 3]", "[2, 2, 4, 4]", "one S for k and v"});
  expect_error([&] { ops::scaled_dot_product_attention(q, k, zeros({B, H, S + 1, Dv})); }, {"[2, 2, 5, 2]"});
  expect_error([&] { ops::scaled_dot_product_attention(q, zeros({B, 1, S, D}), v); }, {"equal leading dims"});
  expect_error([&] { ops::scaled_dot_product_attention(q, k, v, {.key_padding_mask = zeros({B, S + 1})}); },
               {"key_padding_mask is [2, 5]", "expected (B, S) = [2, 4]"});
  expect_error([&] { ops::scaled_dot_product_attention(q, k, v, {.attn_mask = zeros({S, T})}); },
               {"attn_mask is [4, 3]", "(T, S) = [3, 4]"});
  expect_error([&] { ops::scaled_dot_product_attention(q, k, v, {.attn_mask = zeros({3, 1, T, S})}); },
               {"attn_mask is [3, 1, 3, 4]"});
  expect_error([&] { ops::scaled_dot_product_attention(q, k, v, {.dropout_p = 1.5f}); }, {"dropout_p is 1.5"});
  expect_error([&] { ops::packed_self_attention(zeros({B, T, 16}), 2); },
               {"packed_self_attention", "qkv is [2, 3, 16] with 2 heads", "(B, T, 3·H·D)"});
}

}  // namespace
}  // namespace heed
