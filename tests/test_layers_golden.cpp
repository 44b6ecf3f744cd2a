// Whole layers against PyTorch 1.13 (tests/golden/make_golden_layers.py writes the cases): each
// case loads PyTorch's state dict into the heed module, then compares the output and the gradients
// of the inputs and of every parameter.
//   layers.json         Linear, Embedding (padding_idx), LayerNorm (affine or not, over 1 or 2 dims),
//                       Dropout in eval, Sequential
//   positional.json     sinusoidal and learned positions, scaled token embeddings
//   feed_forward.json   the Transformer feed-forward block, relu and gelu
//   rnn_attention.json  additive and Luong (dot, general) attention, with and without padding masks
#include "golden.h"
#include "heed/nn/feed_forward.h"
#include "heed/nn/positional.h"
#include "heed/nn/rnn_attention.h"

namespace heed {
namespace {

using testing::expect_module_matches_golden;
using testing::golden_cases;
using testing::Json;
using testing::NamedTensors;

// The case called `name` in tests/golden/<file>.json.
Json golden_case(const std::string& file, const std::string& name) {
  for (const Json& c : golden_cases(file))
    if (c.at("name") == name) return c;
  throw std::runtime_error("no case '" + name + "' in tests/golden/" + file + ".json; rerun make_golden_layers.py");
}

template <class M>
auto x_through(const M& module) {
  return [&module](const NamedTensors& in) { return module.forward(in.at("x")); };
}

TEST(LayersGolden, Linear) {
  nn::Linear linear(5, 3);
  expect_module_matches_golden(golden_case("layers", "linear"), linear, x_through(linear));
  nn::Linear no_bias(4, 6, {.bias = false});
  expect_module_matches_golden(golden_case("layers", "linear without bias"), no_bias, x_through(no_bias));
}

TEST(LayersGolden, EmbeddingWithPaddingIdx) {
  nn::Embedding embedding(6, 3, {.padding_idx = 0});
  expect_module_matches_golden(golden_case("layers", "embedding with padding_idx"), embedding,
                               [&](const NamedTensors& in) { return embedding.forward(in.at("ids")); });
}

TEST(LayersGolden, LayerNorm) {
  nn::LayerNorm norm(6);
  expect_module_matches_golden(golden_case("layers", "layer_norm"), norm, x_through(norm));
  nn::LayerNorm two_dims(Shape{3, 4}, {.eps = 1e-3f});
  expect_module_matches_golden(golden_case("layers", "layer_norm, two dims, eps 1e-3"), two_dims, x_through(two_dims));
  nn::LayerNorm no_affine(Shape{3, 4}, {.elementwise_affine = false});
  expect_module_matches_golden(golden_case("layers", "layer_norm, two dims, no affine"), no_affine,
                               x_through(no_affine));
}

TEST(LayersGolden, DropoutInEval) {
  nn::Dropout dropout(0.3f);
  dropout.eval();
  expect_module_matches_golden(golden_case("layers", "dropout in eval"), dropout, x_through(dropout));
}

TEST(LayersGolden, Sequential) {
  nn::Sequential mlp;
  mlp.push_back(nn::Linear(4, 8)).push_back(nn::ReLU()).push_back(nn::Dropout(0.2f));
  mlp.push_back(nn::Linear(8, 3)).push_back(nn::Tanh());
  mlp.eval();
  expect_module_matches_golden(golden_case("layers", "sequential in eval"), mlp, x_through(mlp));
}

TEST(LayersGolden, SinusoidalPositionalEncoding) {
  for (const Json& c : golden_cases("positional")) {
    if (!c.at("name").get<std::string>().starts_with("sinusoidal")) continue;
    nn::SinusoidalPositionalEncoding encoding(c.at("d_model"), c.at("max_len"));
    // heed's own table first (the state dict loaded next overwrites it with PyTorch's).
    EXPECT_TRUE(testing::all_close(encoding.pe, testing::golden_tensor(c.at("state").at("pe")), 1e-6, 0))
        << c.at("name");
    const int64_t offset = c.at("offset");
    expect_module_matches_golden(c, encoding,
                                 [&](const NamedTensors& in) { return encoding.forward(in.at("x"), offset); });
  }
}

TEST(LayersGolden, LearnedPositionalEncoding) {
  const Json c = golden_case("positional", "learned from offset 2");
  nn::LearnedPositionalEncoding encoding(c.at("max_len"), c.at("d_model"));
  expect_module_matches_golden(c, encoding, [&](const NamedTensors& in) { return encoding.forward(in.at("x"), 2); });
}

TEST(LayersGolden, TokenEmbedding) {
  const Json c = golden_case("positional", "token embedding, scaled, padding_idx 0");
  nn::TokenEmbedding embed(c.at("vocab"), c.at("d_model"), {.padding_idx = c.at("padding_idx").get<int64_t>()});
  expect_module_matches_golden(c, embed, [&](const NamedTensors& in) { return embed.forward(in.at("ids")); });
}

TEST(LayersGolden, FeedForward) {
  for (const Json& c : golden_cases("feed_forward")) {
    const auto activation =
        c.at("activation") == "relu" ? nn::FeedForwardActivation::ReLU : nn::FeedForwardActivation::GELU;
    nn::FeedForward ffn(6, 10, {.activation = activation});
    ffn.eval();
    expect_module_matches_golden(c, ffn, x_through(ffn));
  }
}

// The golden attention modules return [context, weights] joined along the last dim.
template <class Attention>
auto attend_through(const Attention& attention) {
  return [&attention](const NamedTensors& in) {
    Tensor mask = in.contains("mask") ? in.at("mask") : Tensor();
    auto [context, weights] = attention.forward(in.at("query"), in.at("keys"), in.at("values"), mask);
    return ops::cat({context, weights}, 1);  // (B, Hv + S)
  };
}

TEST(LayersGolden, AdditiveAttention) {
  for (const char* name : {"additive", "additive, masked"}) {
    nn::AdditiveAttention attention(4, 6, 7);
    expect_module_matches_golden(golden_case("rnn_attention", name), attention, attend_through(attention));
  }
}

TEST(LayersGolden, LuongAttention) {
  nn::LuongAttention dot(4, 4, {.score = nn::LuongScore::Dot});
  expect_module_matches_golden(golden_case("rnn_attention", "luong dot, masked"), dot, attend_through(dot));
  for (const char* name : {"luong general", "luong general, masked"}) {
    nn::LuongAttention general(4, 6);
    expect_module_matches_golden(golden_case("rnn_attention", name), general, attend_through(general));
  }
}

}  // namespace
}  // namespace heed
