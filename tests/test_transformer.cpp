// Transformer layers, stacks and nn::Transformer: PyTorch's goldens in eval mode (encoder layer
// post- and pre-norm, decoder layer post- and pre-norm, a 2 + 2 layer Transformer), state-dict keys
// equal to PyTorch's, the causal flag against PyTorch's mask, causality of the decoder, dropout's
// effect in train mode only, initialisation, gradcheck.
#include <cmath>
#include <functional>

#include "golden.h"
#include "heed/nn/transformer.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::golden_cases;
using testing::golden_tensor;
using testing::leaf;
using testing::NamedTensors;
using Inputs = std::vector<Tensor>;

constexpr int64_t E = 8, kHeads = 2, FF = 16;

std::vector<std::string> keys_of(const nn::StateDict& state) {
  std::vector<std::string> keys;
  for (auto& [key, tensor] : state) keys.push_back(key);
  return keys;
}

TEST(Transformer, EncoderLayersMatchPyTorch) {
  const testing::Json cases = golden_cases("transformer");
  nn::TransformerEncoderLayer post(E, kHeads, {.dim_feedforward = FF});
  post.eval();
  testing::expect_module_matches_golden(cases[0], post, [&](const NamedTensors& in) {
    return post.forward(in.at("src"), {.src_key_padding_mask = in.at("src_key_padding_mask")});
  });
  nn::TransformerEncoderLayer pre(E, kHeads,
                                  {.dim_feedforward = FF, .activation = nn::Activation::GELU, .norm_first = true});
  pre.eval();
  testing::expect_module_matches_golden(cases[1], pre, [&](const NamedTensors& in) {
    return pre.forward(in.at("src"),
                       {.src_mask = in.at("src_mask"), .src_key_padding_mask = in.at("src_key_padding_mask")});
  });
  testing::expect_module_matches_golden(cases[1], pre, [&](const NamedTensors& in) {  // the flag for the mask
    return pre.forward(in.at("src"), {.src_key_padding_mask = in.at("src_key_padding_mask"), .is_causal = true});
  });
}

TEST(Transformer, DecoderLayersMatchPyTorch) {
  const testing::Json cases = golden_cases("transformer");
  nn::TransformerDecoderLayer post(E, kHeads, {.dim_feedforward = FF});
  post.eval();
  testing::expect_module_matches_golden(cases[2], post, [&](const NamedTensors& in) {
    return post.forward(in.at("tgt"), in.at("memory"),
                        {.tgt_mask = in.at("tgt_mask"),
                         .tgt_key_padding_mask = in.at("tgt_key_padding_mask"),
                         .memory_key_padding_mask = in.at("memory_key_padding_mask")});
  });
  testing::expect_module_matches_golden(cases[2], post, [&](const NamedTensors& in) {  // the flag for the mask
    return post.forward(in.at("tgt"), in.at("memory"),
                        {.tgt_key_padding_mask = in.at("tgt_key_padding_mask"),
                         .memory_key_padding_mask = in.at("memory_key_padding_mask"),
                         .tgt_is_causal = true});
  });
  nn::TransformerDecoderLayer pre(E, kHeads,
                                  {.dim_feedforward = FF, .activation = nn::Activation::GELU, .norm_first = true});
  pre.eval();
  testing::expect_module_matches_golden(cases[3], pre, [&](const NamedTensors& in) {
    return pre.forward(in.at("tgt"), in.at("memory"), {.memory_mask = in.at("memory_mask")});
  });
}

TEST(Transformer, WholeModelMatchesPyTorch) {
  const testing::Json cases = golden_cases("transformer");
  const testing::Json& golden = cases[4];
  nn::Transformer model(
      {.d_model = E, .nhead = kHeads, .num_encoder_layers = 2, .num_decoder_layers = 2, .dim_feedforward = FF});
  model.eval();
  std::vector<std::string> pytorch_keys;
  for (const auto& [key, stored] : golden.at("state").items()) pytorch_keys.push_back(key);
  EXPECT_EQ(keys_of(model.state_dict()), pytorch_keys);  // both sorted: the same key list
  testing::expect_module_matches_golden(golden, model, [&](const NamedTensors& in) {
    return model.forward(in.at("src"), in.at("tgt"),
                         {.tgt_mask = in.at("tgt_mask"),
                          .src_key_padding_mask = in.at("src_key_padding_mask"),
                          .tgt_key_padding_mask = in.at("tgt_key_padding_mask"),
                          .memory_key_padding_mask = in.at("src_key_padding_mask")});
  });
  // PyTorch's additive subsequent mask and the causal flag agree.
  testing::expect_module_matches_golden(golden, model, [&](const NamedTensors& in) {
    return model.forward(in.at("src"), in.at("tgt"),
                         {.tgt_mask = nn::Transformer::generate_square_subsequent_mask(in.at("tgt").size(1)),
                          .src_key_padding_mask = in.at("src_key_padding_mask"),
                          .tgt_key_padding_mask = in.at("tgt_key_padding_mask"),
                          .memory_key_padding_mask = in.at("src_key_padding_mask")});
  });
}

TEST(Transformer, StackNamesAndFinalNorm) {
  nn::TransformerEncoder encoder(2, E, kHeads, {.dim_feedforward = FF});
  EXPECT_FALSE(encoder.norm);
  EXPECT_EQ(encoder.state_dict().count("layers.1.norm2.bias"), 1u);
  EXPECT_EQ(encoder.state_dict().count("norm.weight"), 0u);
  nn::TransformerDecoder decoder(1, E, kHeads, {.dim_feedforward = FF}, /*final_norm=*/true);
  EXPECT_EQ(decoder.state_dict().count("norm.weight"), 1u);
  EXPECT_EQ(decoder.state_dict().count("layers.0.multihead_attn.in_proj_weight"), 1u);
  EXPECT_EQ(decoder.state_dict().count("layers.0.norm3.weight"), 1u);
  EXPECT_EQ(decoder.state_dict().size(), 1u * (4 + 4 + 4 + 6) + 2);
  nn::TransformerEncoderLayer layer(E, kHeads, {.dim_feedforward = FF});
  EXPECT_EQ(layer.describe(),
            "TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, activation=relu, "
            "norm_first=false)");
  expect_error([] { nn::TransformerEncoder(0, E, kHeads); }, {"TransformerEncoder", "num_layers 0"});
}

TEST(Transformer, InitialisationIsXavierAndLayersDiffer) {
  manual_seed(90);
  nn::Transformer model(
      {.d_model = 16, .nhead = 2, .num_encoder_layers = 2, .num_decoder_layers = 1, .dim_feedforward = 32});
  for (auto& [name, p] : model.named_parameters()) {
    if (p.dim() < 2) continue;
    const float bound = std::sqrt(6.0f / static_cast<float>(p.size(0) + p.size(1)));
    for (float w : p.to_vector()) ASSERT_LE(std::fabs(w), bound) << name;
  }
  const auto& layers = *model.encoder->layers;
  EXPECT_FALSE(all_close(layers[0].linear1->weight, layers[1].linear1->weight));
  EXPECT_EQ(model.describe(), "Transformer(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=1)");
}

TEST(Transformer, DecoderOutputIgnoresLaterTargets) {
  manual_seed(91);
  nn::Transformer model(
      {.d_model = E, .nhead = kHeads, .num_encoder_layers = 1, .num_decoder_layers = 2, .dim_feedforward = FF});
  model.eval();
  Tensor src = randn({2, 5, E}), tgt = randn({2, 4, E});
  Tensor later = from_vector({0.f, 0.f, 1.f, 1.f}, {1, 4, 1}) * 10.f;  // changes targets 2 and 3
  Tensor out = model.forward(src, tgt, {.tgt_is_causal = true});
  Tensor changed = model.forward(src, tgt + later, {.tgt_is_causal = true});
  EXPECT_TRUE(all_close(ops::narrow(changed, 1, 0, 2), ops::narrow(out, 1, 0, 2), 1e-6, 1e-5));
  EXPECT_FALSE(all_close(ops::narrow(changed, 1, 2, 2), ops::narrow(out, 1, 2, 2)));
  // Without the causal mask, every position sees the change.
  Tensor open = model.forward(src, tgt + later);
  EXPECT_FALSE(all_close(ops::narrow(open, 1, 0, 2), ops::narrow(model.forward(src, tgt), 1, 0, 2)));
}

// A decoder's self-attention cache: each appended position is written in place (the view's data
// stays put until the buffer is full), the buffer doubles when full, and the view always equals
// every position so far; select keeps rows as beam search reorders them.
TEST(PositionCache, AppendsInPlaceAndDoublesWhenFull) {
  manual_seed(91);
  nn::PositionCache cache;
  std::vector<Tensor> added;
  int64_t moves = 0;
  const float* previous = nullptr;
  for (int64_t t = 0; t < 40; ++t) {
    added.push_back(randn({2, 3, 1, 4}));  // (N, H, 1, Dh)
    cache.append(added.back());
    const Tensor so_far = cache.so_far();  // (N, H, t + 1, Dh)
    ASSERT_TRUE(all_close(so_far, ops::cat(added, 2), 0, 0)) << "after " << t + 1 << " positions";
    moves += so_far.data<float>() != previous;
    previous = so_far.data<float>();
  }
  EXPECT_EQ(moves, 3);  // capacities 16, 32, 64
  const Tensor rows = from_vector(std::vector<int64_t>{1, 1, 0});
  cache.select(rows);
  EXPECT_TRUE(all_close(cache.so_far(), ops::index_select(ops::cat(added, 2), 0, rows), 0, 0));
}

TEST(Transformer, DropoutActsInTrainModeOnly) {
  manual_seed(92);
  nn::Transformer model({.d_model = E, .nhead = kHeads, .num_encoder_layers = 1, .num_decoder_layers = 1,
                         .dim_feedforward = FF, .dropout = 0.3f});
  Tensor src = randn({2, 5, E}), tgt = randn({2, 4, E});
  manual_seed(1);
  Tensor first = model.forward(src, tgt);
  Tensor second = model.forward(src, tgt);
  manual_seed(1);
  Tensor again = model.forward(src, tgt);
  EXPECT_FALSE(all_close(first, second));      // a new draw each call
  EXPECT_TRUE(all_close(first, again, 0, 0));  // the same draws from the same seed
  model.eval();
  Tensor eval = model.forward(src, tgt);
  EXPECT_TRUE(all_close(eval, model.forward(src, tgt), 0, 0));
  EXPECT_FALSE(all_close(eval, first));
  // In eval mode the dropout rate does not matter: a copy with dropout 0 gives the same output.
  nn::Transformer no_dropout({.d_model = E, .nhead = kHeads, .num_encoder_layers = 1, .num_decoder_layers = 1,
                              .dim_feedforward = FF, .dropout = 0.0f});
  no_dropout.load_state_dict(model.state_dict());
  no_dropout.train();
  EXPECT_TRUE(all_close(no_dropout.forward(src, tgt), eval, 1e-6, 1e-5));
}

TEST(TransformerGrad, GradcheckLayers) {
  manual_seed(93);
  const int64_t d = 4;
  auto randomize = [](nn::Module& m) {  // non-trivial norms and biases, so every gradient is exercised
    NoGradGuard no_grad;
    for (Tensor& p : m.parameters()) ops::copy_(p, randn(p.shape()) * 0.5f);
  };
  nn::TransformerEncoderLayer encoder(d, 2, {.dim_feedforward = 6, .dropout = 0.0f});
  randomize(encoder);
  Tensor src = leaf({2, 3, d});
  Tensor padding = from_vector(std::vector<int64_t>{0, 0, 0, 0, 0, 1}, {2, 3});
  Inputs inputs = encoder.parameters();
  inputs.push_back(src);
  EXPECT_GRADCHECK([&](const Inputs&) { return encoder.forward(src, {.src_key_padding_mask = padding}); }, inputs,
                   "TransformerEncoderLayer, post-norm");
  nn::TransformerDecoderLayer decoder(
      d, 2, {.dim_feedforward = 6, .dropout = 0.0f, .activation = nn::Activation::GELU, .norm_first = true});
  randomize(decoder);
  Tensor tgt = leaf({2, 2, d});
  inputs = decoder.parameters();
  inputs.push_back(tgt);
  inputs.push_back(src);
  EXPECT_GRADCHECK([&](const Inputs&) {
    return decoder.forward(tgt, src, {.memory_key_padding_mask = padding, .tgt_is_causal = true});
  }, inputs, "TransformerDecoderLayer, pre-norm");
}

}  // namespace
}  // namespace heed
