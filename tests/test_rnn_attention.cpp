// nn/rnn_attention: Bahdanau's additive and Luong's dot/general attention, checked by hand on tiny
// inputs, against a reference written here with scalar loops in double, for masks (padded keys get
// exactly zero weight; an all-padded row gives zeros, not NaN), for reusing projected keys across
// decoder steps, and by gradcheck. PyTorch goldens are in test_layers_golden.cpp.
#include <cmath>

#include "heed/nn/rnn_attention.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;

// Overwrites a parameter with `values` (row-major), outside autograd.
void set(Tensor& parameter, const std::vector<float>& values) {
  NoGradGuard no_grad;
  ops::copy_(parameter, from_vector(values, parameter.shape()));
}

std::vector<std::string> names(const nn::Named<Tensor>& named) {
  std::vector<std::string> out;
  for (auto& [name, tensor] : named) out.push_back(name);
  return out;
}

// ---- the reference: plain loops in double ----

struct Memory {
  int64_t batch, source, key_size, value_size;
  std::vector<float> keys, values;  // (B, S, Hk), (B, S, Hv)
  std::vector<int64_t> mask;        // (B, S), empty for none
};

struct Expected {
  Tensor context, weights;
};

// Masked softmax of scores (B, S), then context_b = Σ_s weight_bs · value_bs.
Expected reference_attend(const std::vector<double>& scores, const Memory& m) {
  std::vector<float> weights(m.batch * m.source, 0.0f), context(m.batch * m.value_size, 0.0f);
  for (int64_t b = 0; b < m.batch; ++b) {
    auto padded = [&](int64_t s) { return !m.mask.empty() && m.mask[b * m.source + s] != 0; };
    double largest = -INFINITY, total = 0;
    for (int64_t s = 0; s < m.source; ++s)
      if (!padded(s)) largest = std::max(largest, scores[b * m.source + s]);
    for (int64_t s = 0; s < m.source; ++s)
      if (!padded(s)) total += std::exp(scores[b * m.source + s] - largest);
    for (int64_t s = 0; s < m.source; ++s) {
      if (padded(s)) continue;  // also every position of an all-padded row: weights stay 0
      const double w = std::exp(scores[b * m.source + s] - largest) / total;
      weights[b * m.source + s] = static_cast<float>(w);
      for (int64_t h = 0; h < m.value_size; ++h)
        context[b * m.value_size + h] += static_cast<float>(w * m.values[(b * m.source + s) * m.value_size + h]);
    }
  }
  return {from_vector(context, {m.batch, m.value_size}), from_vector(weights, {m.batch, m.source})};
}

// vᵀ tanh(W_q q + W_k k_s) for every (b, s).
std::vector<double> additive_scores(const nn::AdditiveAttention& attention, const std::vector<float>& query,
                                    const Memory& m) {
  const int64_t a_size = attention.v->weight.size(1), q_size = attention.query_proj->weight.size(1);
  std::vector<float> wq = attention.query_proj->weight.to_vector(), wk = attention.key_proj->weight.to_vector(),
                     v = attention.v->weight.to_vector();
  std::vector<double> scores(m.batch * m.source);
  for (int64_t b = 0; b < m.batch; ++b)
    for (int64_t s = 0; s < m.source; ++s) {
      double score = 0;
      for (int64_t a = 0; a < a_size; ++a) {
        double pre = 0;
        for (int64_t i = 0; i < q_size; ++i) pre += double(wq[a * q_size + i]) * query[b * q_size + i];
        for (int64_t j = 0; j < m.key_size; ++j)
          pre += double(wk[a * m.key_size + j]) * m.keys[(b * m.source + s) * m.key_size + j];
        score += v[a] * std::tanh(pre);
      }
      scores[b * m.source + s] = score;
    }
  return scores;
}

// qᵀ k_s (dot) or qᵀ W k_s (general) for every (b, s).
std::vector<double> luong_scores(const nn::LuongAttention& attention, const std::vector<float>& query,
                                 const Memory& m) {
  const int64_t q_size = attention.query_size;
  std::vector<float> w;
  if (attention.linear_in) w = attention.linear_in->weight.to_vector();  // (Hq, Hk)
  std::vector<double> scores(m.batch * m.source);
  for (int64_t b = 0; b < m.batch; ++b)
    for (int64_t s = 0; s < m.source; ++s) {
      double score = 0;
      for (int64_t i = 0; i < q_size; ++i)
        for (int64_t j = 0; j < m.key_size; ++j) {
          const double weight = w.empty() ? (i == j ? 1.0 : 0.0) : w[i * m.key_size + j];
          score += query[b * q_size + i] * weight * m.keys[(b * m.source + s) * m.key_size + j];
        }
      scores[b * m.source + s] = score;
    }
  return scores;
}

Memory random_memory(int64_t batch, int64_t source, int64_t key_size, int64_t value_size, std::vector<int64_t> mask) {
  return {batch, source, key_size, value_size, randn({batch, source, key_size}).to_vector(),
          randn({batch, source, value_size}).to_vector(), std::move(mask)};
}

Tensor keys_of(const Memory& m) { return from_vector(m.keys, {m.batch, m.source, m.key_size}); }
Tensor values_of(const Memory& m) { return from_vector(m.values, {m.batch, m.source, m.value_size}); }
Tensor mask_of(const Memory& m) { return m.mask.empty() ? Tensor() : from_vector(m.mask, {m.batch, m.source}); }

// row 0 unpadded, row 1 padded at its last two positions, row 2 padded everywhere
const std::vector<int64_t> kMask3x5 = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};

// ---- tests ----

TEST(RnnAttention, ParameterNamesAndShapes) {
  nn::AdditiveAttention additive(4, 6, 7);
  EXPECT_EQ(names(additive.named_parameters()),
            (std::vector<std::string>{"query_proj.weight", "key_proj.weight", "v.weight"}));
  EXPECT_EQ(additive.query_proj->weight.shape(), (Shape{7, 4}));
  EXPECT_EQ(additive.key_proj->weight.shape(), (Shape{7, 6}));
  EXPECT_EQ(additive.v->weight.shape(), (Shape{1, 7}));
  EXPECT_EQ(additive.describe(), "AdditiveAttention(query_size=4, key_size=6, attention_size=7)");

  nn::LuongAttention general(4, 6);
  EXPECT_EQ(names(general.named_parameters()), (std::vector<std::string>{"linear_in.weight"}));
  EXPECT_EQ(general.linear_in->weight.shape(), (Shape{4, 6}));
  EXPECT_EQ(general.describe(), "LuongAttention(query_size=4, key_size=6, score=general)");
  nn::LuongAttention dot(5, 5, {.score = nn::LuongScore::Dot});
  EXPECT_TRUE(dot.named_parameters().empty());
  EXPECT_EQ(dot.describe(), "LuongAttention(query_size=5, key_size=5, score=dot)");
}

TEST(RnnAttention, LuongDotByHand) {
  nn::LuongAttention attention(2, 2, {.score = nn::LuongScore::Dot});
  Tensor query = from_vector({1, 2}, {1, 2});
  Tensor keys = from_vector({1, 0, 0, 1, 1, 1}, {1, 3, 2});  // scores q·k = 1, 2, 3
  Tensor values = from_vector({1, 10, 100}, {1, 3, 1});
  auto [context, weights] = attention.forward(query, keys, values);
  const double e = std::exp(1.0), total = e + e * e + e * e * e;
  Tensor expected = from_vector({float(e / total), float(e * e / total), float(e * e * e / total)}, {1, 3});
  EXPECT_TRUE(all_close(weights, expected));
  EXPECT_NEAR(context.item(), (e + 10 * e * e + 100 * e * e * e) / total, 1e-4);

  // The third key padded: softmax over scores 1 and 2 only.
  auto masked = attention.forward(query, keys, values, from_vector(std::vector<int64_t>{0, 0, 1}, {1, 3}));
  EXPECT_TRUE(all_close(masked.weights, from_vector({float(1 / (1 + e)), float(e / (1 + e)), 0.0f}, {1, 3})));
  EXPECT_EQ(masked.weights.at({0, 2}), 0.0f);  // exactly
  EXPECT_NEAR(masked.context.item(), (1 + 10 * e) / (1 + e), 1e-5);
}

TEST(RnnAttention, AdditiveByHand) {
  // Sizes 1: score(q, k) = v · tanh(w_q q + w_k k) with w_q = 0.5, w_k = 1, v = 2.
  nn::AdditiveAttention attention(1, 1, 1);
  set(attention.query_proj->weight, {0.5f});
  set(attention.key_proj->weight, {1.0f});
  set(attention.v->weight, {2.0f});
  Tensor query = from_vector({2}, {1, 1});                 // w_q q = 1
  Tensor keys = from_vector({-1, 0}, {1, 2, 1});           // scores 2 tanh(0) = 0 and 2 tanh(1)
  Tensor values = from_vector({3, 5, -1, 1}, {1, 2, 2});
  auto [context, weights] = attention.forward(query, keys, values);
  const double s1 = 2 * std::tanh(1.0), w0 = 1 / (1 + std::exp(s1)), w1 = 1 - w0;
  EXPECT_TRUE(all_close(weights, from_vector({float(w0), float(w1)}, {1, 2})));
  EXPECT_TRUE(all_close(context, from_vector({float(3 * w0 - w1), float(5 * w0 + w1)}, {1, 2})));
}

TEST(RnnAttention, AdditiveMatchesReference) {
  manual_seed(1);
  nn::AdditiveAttention attention(4, 6, 7);
  for (const auto& mask : {std::vector<int64_t>{}, kMask3x5}) {
    Memory m = random_memory(3, 5, 6, 2, mask);
    Tensor query = randn({3, 4});
    Expected expected = reference_attend(additive_scores(attention, query.to_vector(), m), m);
    auto [context, weights] = attention.forward(query, keys_of(m), values_of(m), mask_of(m));
    EXPECT_TRUE(all_close(context, expected.context)) << "mask: " << !mask.empty();
    EXPECT_TRUE(all_close(weights, expected.weights)) << "mask: " << !mask.empty();
  }
}

TEST(RnnAttention, LuongMatchesReference) {
  manual_seed(2);
  nn::LuongAttention general(4, 6);
  nn::LuongAttention dot(6, 6, {.score = nn::LuongScore::Dot});
  for (const auto& mask : {std::vector<int64_t>{}, kMask3x5}) {
    Memory m = random_memory(3, 5, 6, 3, mask);
    for (const nn::LuongAttention* attention : {&general, &dot}) {
      Tensor query = randn({3, attention->query_size});
      Expected expected = reference_attend(luong_scores(*attention, query.to_vector(), m), m);
      auto [context, weights] = attention->forward(query, keys_of(m), values_of(m), mask_of(m));
      EXPECT_TRUE(all_close(context, expected.context, 1e-5, 1e-4)) << attention->describe();
      EXPECT_TRUE(all_close(weights, expected.weights, 1e-5, 1e-4)) << attention->describe();
    }
  }
}

TEST(RnnAttention, PaddedKeysGetZeroWeightAndAllPaddedRowsGiveZeros) {
  manual_seed(3);
  nn::AdditiveAttention attention(4, 6, 7);
  Tensor query = testing::leaf({3, 4}), keys = testing::leaf({3, 5, 6}), values = testing::leaf({3, 5, 2});
  Tensor mask = from_vector(kMask3x5, {3, 5});
  auto [context, weights] = attention.forward(query, keys, values, mask);
  std::vector<float> w = weights.to_vector();
  for (size_t i = 0; i < w.size(); ++i)
    if (kMask3x5[i] != 0) {
      EXPECT_EQ(w[i], 0.0f) << "position " << i;
    }
  EXPECT_NEAR(w[5] + w[6] + w[7], 1.0f, 1e-6);
  EXPECT_TRUE(all_close(ops::narrow(context, 0, 2, 1), zeros({1, 2}), 0, 0));

  ops::sum(context * context + ops::sum(weights, {1}, true)).backward();
  for (const Tensor& t : {query, keys, values, attention.query_proj->weight, attention.key_proj->weight,
                          attention.v->weight})
    for (float g : t.grad().to_vector()) ASSERT_TRUE(std::isfinite(g));
  // Nothing reaches the all-padded row, nor the padded keys and values of row 1.
  EXPECT_TRUE(all_close(ops::narrow(query.grad(), 0, 2, 1), zeros({1, 4}), 0, 0));
  EXPECT_TRUE(all_close(ops::narrow(keys.grad(), 0, 2, 1), zeros({1, 5, 6}), 0, 0));
  EXPECT_TRUE(all_close(ops::narrow(ops::narrow(values.grad(), 0, 1, 1), 1, 3, 2), zeros({1, 2, 2}), 0, 0));
}

TEST(RnnAttention, ProjectedKeysServeEveryDecoderStep) {
  // A decoder projects the keys once and attends at every step; the gradient through the shared
  // projection is the sum over the steps, the same as projecting anew at each step.
  manual_seed(4);
  nn::AdditiveAttention attention(3, 4, 5);
  Tensor keys = testing::leaf({2, 6, 4}), values = randn({2, 6, 4});
  Tensor steps[2] = {randn({2, 3}), randn({2, 3})};

  Tensor projected = attention.project_keys(keys);  // (2, 6, 5)
  EXPECT_EQ(projected.shape(), (Shape{2, 6, 5}));
  Tensor shared_loss = scalar_tensor(0.0f);
  for (const Tensor& query : steps) {
    auto step = attention.forward_projected(query, projected, values);
    EXPECT_TRUE(all_close(step.context, attention.forward(query, keys, values).context));
    shared_loss = shared_loss + ops::sum(ops::tanh(step.context));
  }
  shared_loss.backward();
  Tensor shared_keys_grad = keys.grad(), shared_weight_grad = attention.key_proj->weight.grad();

  attention.zero_grad();
  keys.set_grad(Tensor());
  Tensor separate_loss = scalar_tensor(0.0f);
  for (const Tensor& query : steps)
    separate_loss = separate_loss + ops::sum(ops::tanh(attention.forward(query, keys, values).context));
  separate_loss.backward();
  EXPECT_TRUE(all_close(shared_keys_grad, keys.grad()));
  EXPECT_TRUE(all_close(shared_weight_grad, attention.key_proj->weight.grad()));
}

TEST(RnnAttention, Gradcheck) {
  manual_seed(5);
  Tensor query = testing::leaf({3, 4}), keys = testing::leaf({3, 5, 6}), values = testing::leaf({3, 5, 2});
  Tensor mask = from_vector(kMask3x5, {3, 5});
  auto both = [](const nn::RnnAttentionOutput& out) { return ops::cat({out.context, out.weights}, 1); };

  nn::AdditiveAttention additive(4, 6, 7);
  nn::LuongAttention general(4, 6);
  for (const Tensor& m : {Tensor(), mask}) {
    EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return both(additive.forward(query, keys, values, m)); },
                     (std::vector<Tensor>{query, keys, values, additive.query_proj->weight,
                                          additive.key_proj->weight, additive.v->weight}),
                     "AdditiveAttention");
    EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return both(general.forward(query, keys, values, m)); },
                     (std::vector<Tensor>{query, keys, values, general.linear_in->weight}), "LuongAttention general");
  }
  nn::LuongAttention dot(6, 6, {.score = nn::LuongScore::Dot});
  Tensor query6 = testing::leaf({3, 6});
  EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return both(dot.forward(query6, keys, values, mask)); },
                   (std::vector<Tensor>{query6, keys, values}), "LuongAttention dot");
}

TEST(RnnAttention, ShapeErrors) {
  nn::AdditiveAttention additive(4, 6, 7);
  Tensor query = zeros({3, 4}), keys = zeros({3, 5, 6}), values = zeros({3, 5, 2});
  expect_error([&] { additive.forward(zeros({3, 5}), keys, values); },
               {"AdditiveAttention", "query has shape [3, 5]", "query_size = 4"});
  expect_error([&] { additive.forward(query, zeros({3, 5, 4}), values); },
               {"AdditiveAttention", "keys have shape [3, 5, 4]", "key_size = 6"});
  expect_error([&] { additive.forward(query, keys, zeros({3, 4, 2})); },
               {"AdditiveAttention", "values have shape [3, 4, 2]", "S = 5"});
  expect_error([&] { additive.forward(query, keys, values, zeros({3, 4})); },
               {"AdditiveAttention", "key_padding_mask has shape [3, 4]", "[3, 5]"});
  expect_error([&] { additive.forward_projected(query, keys, values); },
               {"AdditiveAttention", "projected keys have shape [3, 5, 6]", "project_keys"});
  expect_error([&] { additive.forward(zeros({2, 4}), keys, values); }, {"AdditiveAttention", "B = 2"});
  expect_error([] { nn::LuongAttention(4, 6, {.score = nn::LuongScore::Dot}); },
               {"LuongAttention", "query_size == key_size", "4 and 6"});
}

}  // namespace
}  // namespace heed
