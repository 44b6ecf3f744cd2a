// nn::MultiHeadAttention: PyTorch's goldens (self- and cross-attention, key padding, boolean,
// causal, per-head and additive masks, weights), parameter names and initialisation, the number of
// projection GEMMs each path records, the reusable steps (cached keys and values), dropout in train
// and eval mode, gradcheck, and the errors.
#include <functional>
#include <set>

#include "golden.h"
#include "heed/nn/multihead_attention.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::golden_cases;
using testing::golden_tensor;
using testing::leaf;
using testing::NamedTensors;
using Inputs = std::vector<Tensor>;

std::vector<std::string> names(const nn::Named<Tensor>& named) {
  std::vector<std::string> out;
  for (auto& [name, tensor] : named) out.push_back(name);
  return out;
}

// How many nodes of the graph behind `t` ran `op`.
int count_ops(const Tensor& t, const std::string& op) {
  std::set<const Node*> seen;
  std::vector<const Node*> stack{t.grad_fn().get()};
  int count = 0;
  while (!stack.empty()) {
    const Node* node = stack.back();
    stack.pop_back();
    if (node == nullptr || !seen.insert(node).second) continue;
    count += op == node->op;
    for (const Edge& edge : node->inputs) stack.push_back(edge.node.get());
  }
  return count;
}

TEST(MultiHeadAttention, MatchesPyTorch) {
  using Forward = std::function<Tensor(nn::MultiHeadAttention&, const NamedTensors&, const testing::Json&)>;
  const std::vector<Forward> forwards = {
      [](nn::MultiHeadAttention& m, const NamedTensors& in, const testing::Json&) {
        const Tensor& x = in.at("x");
        return m.forward(x, x, x, {.key_padding_mask = in.at("key_padding_mask")}).output;
      },
      [](nn::MultiHeadAttention& m, const NamedTensors& in, const testing::Json&) {
        const Tensor& x = in.at("x");
        return m.forward(x, x, x, {.attn_mask = in.at("attn_mask")}).output;
      },
      [](nn::MultiHeadAttention& m, const NamedTensors& in, const testing::Json&) {
        const Tensor& memory = in.at("memory");
        return m.forward(in.at("query"), memory, memory,
                         {.key_padding_mask = in.at("key_padding_mask"), .attn_mask = in.at("attn_mask")})
            .output;
      },
      [](nn::MultiHeadAttention& m, const NamedTensors& in, const testing::Json&) {
        return m.forward(in.at("query"), in.at("key"), in.at("value"), {.attn_mask = in.at("attn_mask")}).output;
      },
      [](nn::MultiHeadAttention& m, const NamedTensors& in, const testing::Json& golden) {
        const Tensor& x = in.at("x");
        return m.forward(x, x, x, {.attn_mask = golden_tensor(golden.at("attn_bias"))}).output;
      },
  };
  const testing::Json cases = golden_cases("multihead_attention");
  ASSERT_EQ(cases.size(), forwards.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const testing::Json& golden = cases[i];
    nn::MultiHeadAttention attention(8, 2, {.bias = golden.at("state").contains("in_proj_bias")});
    testing::expect_module_matches_golden(golden, attention, [&](const NamedTensors& in) {
      return forwards[i](attention, in, golden);
    });
  }
  // The causal case again, with the causal flag instead of the boolean mask.
  nn::MultiHeadAttention attention(8, 2);
  testing::expect_module_matches_golden(cases[1], attention, [&](const NamedTensors& in) {
    const Tensor& x = in.at("x");
    return attention.forward(x, x, x, {.causal = true}).output;
  });
}

TEST(MultiHeadAttention, WeightsMatchPyTorch) {
  const testing::Json cases = golden_cases("multihead_attention");
  for (size_t i : {0, 4}) {
    const testing::Json& golden = cases[i];
    nn::MultiHeadAttention attention(8, 2);
    nn::StateDict state;
    for (const auto& [key, stored] : golden.at("state").items()) state[key] = golden_tensor(stored);
    attention.load_state_dict(state);
    Tensor x = golden_tensor(golden.at("inputs").at("x"));
    nn::MultiHeadAttentionArgs args{.need_weights = true, .average_attn_weights = i == 0};
    if (i == 0) args.key_padding_mask = golden_tensor(golden.at("inputs").at("key_padding_mask"));
    if (i == 4) args.attn_mask = golden_tensor(golden.at("attn_bias"));
    Tensor weights = attention.forward(x, x, x, args).weights;
    EXPECT_TRUE(all_close(weights, golden_tensor(golden.at("weights")), 1e-6, 1e-4)) << golden.at("name");
  }
}

TEST(MultiHeadAttention, PyTorchNamesShapesAndInit) {
  manual_seed(80);
  nn::MultiHeadAttention attention(64, 4);
  EXPECT_EQ(names(attention.named_parameters()),
            (std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(attention.in_proj_weight.shape(), (Shape{192, 64}));
  EXPECT_EQ(attention.head_dim, 16);
  EXPECT_TRUE(all_close(attention.in_proj_bias, zeros({192}), 0, 0));
  EXPECT_TRUE(all_close(attention.out_proj->bias, zeros({64}), 0, 0));
  // xavier_uniform: U(±√(6 / (fan_in + fan_out))) = U(±√(6 / 256)), and it fills most of that range
  const float bound = std::sqrt(6.0f / (64 + 192));
  float largest = 0;
  for (float w : attention.in_proj_weight.to_vector()) largest = std::max(largest, std::fabs(w));
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.95f * bound);
  nn::MultiHeadAttention no_bias(64, 4, {.bias = false});
  EXPECT_EQ(names(no_bias.named_parameters()), (std::vector<std::string>{"in_proj_weight", "out_proj.weight"}));
  EXPECT_EQ(attention.describe(), "MultiHeadAttention(embed_dim=64, num_heads=4, dropout=0, bias=true)");
}

TEST(MultiHeadAttention, FewestProjectionGemms) {
  manual_seed(81);
  nn::MultiHeadAttention attention(8, 2);
  Tensor x = leaf({2, 3, 8}), memory = leaf({2, 5, 8}), other = leaf({2, 5, 8});
  Tensor self = attention.forward(x, x, x).output;
  Tensor shared_kv = attention.forward(x, memory, memory).output;
  Tensor separate = attention.forward(x, memory, other).output;
  // in-projection GEMMs + out_proj
  EXPECT_EQ(count_ops(self, "linear"), 1 + 1);
  EXPECT_EQ(count_ops(shared_kv, "linear"), 2 + 1);
  EXPECT_EQ(count_ops(separate, "linear"), 3 + 1);
  // The packed paths compute what the separate one does.
  Tensor x_copy = x * 1.0f, memory_copy = memory * 1.0f;
  EXPECT_TRUE(all_close(self, attention.forward(x, x_copy, x * 1.0f).output, 1e-6, 1e-5));
  EXPECT_TRUE(all_close(shared_kv, attention.forward(x, memory, memory_copy).output, 1e-6, 1e-5));
}

TEST(MultiHeadAttention, StepsReuseProjectedKeysAndValues) {
  manual_seed(82);
  nn::MultiHeadAttention attention(8, 2);
  Tensor x = randn({2, 6, 8});
  Tensor padding = from_vector(std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, {2, 6});
  Tensor full = attention.forward(x, x, x, {.key_padding_mask = padding, .causal = true}).output;  // (2, 6, 8)
  // Keys and values projected once; then each position queries them on its own, as a decoder
  // with a cache would (causal with T < S: the queries are the last positions).
  // The packed projection, attended to in one go, is forward's self-attention.
  auto [q_all, k_all, v_all] = attention.project_packed(x);  // (2, 2, 6, 4) each
  EXPECT_TRUE(all_close(attention.attend(q_all, k_all, v_all, {.key_padding_mask = padding, .causal = true}).output,
                        full, 1e-6, 1e-5));
  auto [k, v] = attention.project_key_value(x, x);  // (2, 2, 6, 4) each
  for (int64_t t = 0; t < 6; ++t) {
    Tensor q = attention.project_query(ops::narrow(x, 1, t, 1));  // (2, 2, 1, 4)
    Tensor k_seen = ops::narrow(k, 2, 0, t + 1), v_seen = ops::narrow(v, 2, 0, t + 1);
    Tensor mask = ops::narrow(padding, 1, 0, t + 1);
    Tensor step = attention.attend(q, k_seen, v_seen, {.key_padding_mask = mask, .causal = true}).output;
    EXPECT_TRUE(all_close(step, ops::narrow(full, 1, t, 1), 1e-6, 1e-5)) << "position " << t;
  }
}

TEST(MultiHeadAttention, WeightsAveragedOrPerHead) {
  manual_seed(83);
  nn::MultiHeadAttention attention(8, 2);
  Tensor query = randn({2, 3, 8}), memory = randn({2, 5, 8});
  Tensor padding = from_vector(std::vector<int64_t>{0, 0, 0, 1, 1, 0, 0, 0, 0, 0}, {2, 5});
  auto per_head = attention.forward(query, memory, memory,
                                    {.key_padding_mask = padding, .need_weights = true, .average_attn_weights = false});
  auto averaged = attention.forward(query, memory, memory, {.key_padding_mask = padding, .need_weights = true});
  EXPECT_EQ(per_head.weights.shape(), (Shape{2, 2, 3, 5}));
  EXPECT_TRUE(all_close(averaged.weights, ops::mean(per_head.weights, {1}), 1e-7, 1e-6));
  EXPECT_TRUE(all_close(ops::sum(averaged.weights, {2}), ones({2, 3}), 1e-6, 1e-6));
  EXPECT_EQ(averaged.weights.at({0, 1, 3}), 0.0f);
  EXPECT_FALSE(attention.forward(query, memory, memory).weights.defined());
}

// PyTorch reads a 3-D attn_mask as (B·H, T, S), one mask per sentence and head; with one head
// that is (B, T, S): each sentence attends under its own mask, as it would alone.
TEST(MultiHeadAttention, OneHeadTakesAMaskPerSentence) {
  manual_seed(86);
  nn::MultiHeadAttention attention(8, 1);
  Tensor query = randn({2, 3, 8}), memory = randn({2, 4, 8});
  const std::vector<int64_t> blocked = {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1,   // sentence 0: (3, 4)
                                        1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0};  // sentence 1
  Tensor masks = from_vector(blocked, {2, 3, 4});                              // (B·H, T, S)
  Tensor together = attention.forward(query, memory, memory, {.attn_mask = masks}).output;  // (2, 3, 8)
  for (int64_t b = 0; b < 2; ++b) {
    Tensor alone = attention.forward(ops::narrow(query, 0, b, 1), ops::narrow(memory, 0, b, 1),
                                     ops::narrow(memory, 0, b, 1),
                                     {.attn_mask = ops::reshape(ops::narrow(masks, 0, b, 1), {3, 4})})
                       .output;  // (1, 3, 8)
    EXPECT_TRUE(all_close(ops::narrow(together, 0, b, 1), alone, 1e-6, 1e-5)) << "sentence " << b;
  }
}

TEST(MultiHeadAttention, DropoutOnlyWhileTraining) {
  manual_seed(84);
  nn::MultiHeadAttention attention(8, 2, {.dropout = 0.5f});
  Tensor x = randn({2, 4, 8});
  manual_seed(1);
  Tensor first = attention.forward(x, x, x).output;
  Tensor second = attention.forward(x, x, x).output;
  manual_seed(1);
  Tensor again = attention.forward(x, x, x).output;
  EXPECT_FALSE(all_close(first, second));  // a new draw each call
  EXPECT_TRUE(all_close(first, again, 0, 0));  // the same draw from the same seed
  attention.eval();
  Tensor eval = attention.forward(x, x, x).output;
  EXPECT_TRUE(all_close(eval, attention.forward(x, x, x).output, 0, 0));
  EXPECT_FALSE(all_close(eval, first));
}

TEST(MultiHeadAttentionGrad, GradcheckSelfAndCross) {
  manual_seed(85);
  nn::MultiHeadAttention attention(4, 2);
  for (Tensor& p : std::vector<Tensor>{attention.in_proj_bias, attention.out_proj->bias}) {
    NoGradGuard no_grad;
    ops::copy_(p, randn(p.shape()));
  }
  Tensor x = leaf({2, 3, 4}), memory = leaf({2, 4, 4});
  Tensor padding = from_vector(std::vector<int64_t>{0, 0, 0, 1, 0, 0, 0, 0}, {2, 4});
  Inputs inputs{x, attention.in_proj_weight, attention.in_proj_bias, attention.out_proj->weight,
                attention.out_proj->bias};
  EXPECT_GRADCHECK([&](const Inputs&) { return attention.forward(x, x, x, {.causal = true}).output; }, inputs,
                   "MultiHeadAttention, self, causal");
  inputs.push_back(memory);
  EXPECT_GRADCHECK([&](const Inputs&) {
    return attention.forward(x, memory, memory, {.key_padding_mask = padding}).output;
  }, inputs, "MultiHeadAttention, cross, key padding");
}

TEST(MultiHeadAttention, Errors) {
  expect_error([] { nn::MultiHeadAttention(10, 3); }, {"MultiHeadAttention", "embed_dim 10 and num_heads 3"});
  nn::MultiHeadAttention attention(8, 2);
  expect_error([&] { attention.forward(zeros({2, 3, 6}), zeros({2, 3, 6}), zeros({2, 3, 6})); },
               {"MultiHeadAttention", "query is [2, 3, 6]", "E = 8"});
  expect_error([&] { attention.forward(zeros({2, 3, 8}), zeros({2, 4, 8}), zeros({2, 5, 8})); },
               {"key is [2, 4, 8], value is [2, 5, 8]"});
  expect_error([&] { attention.forward(zeros({3, 8}), zeros({3, 8}), zeros({3, 8})); }, {"batch first"});
}

}  // namespace
}  // namespace heed
