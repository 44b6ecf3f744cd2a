// The pitfall switches of docs/pitfalls.md do what they say: without √d_model the token vectors are
// √d_model times smaller; multiplicative masks leave padded and future keys nonzero weight (and
// are the fused op when nothing is masked); the leaking mask lets position t see later target
// tokens in forward but not in step-by-step decoding; a pitfall survives config.json.
#include <cmath>
#include <filesystem>

#include <unistd.h>

#include "heed/models/transformer.h"
#include "heed/nn/multihead_attention.h"
#include "heed/ops/shape.h"
#include "heed/train/model_dir.h"
#include "test_util.h"
#include "train_test_util.h"

namespace heed {
namespace {

namespace fs = std::filesystem;
using models::Pitfall;
using models::Transformer;
using models::TransformerConfig;
using testing::all_close;

TransformerConfig tiny(Pitfall pitfall) {
  return {.source_vocab_size = 13, .target_vocab_size = 11, .d_model = 8, .nhead = 2, .num_encoder_layers = 1,
          .num_decoder_layers = 2, .dim_feedforward = 16, .dropout = 0.0f, .max_length = 16, .pitfall = pitfall};
}

Tensor ids(const std::vector<int64_t>& values, Shape shape) { return from_vector(values, std::move(shape)); }

TEST(Pitfalls, NamesRoundTrip) {
  for (Pitfall p : {Pitfall::None, Pitfall::NoEmbeddingScale, Pitfall::MultiplicativeMask, Pitfall::LeakingCausalMask,
                    Pitfall::NoWarmup, Pitfall::PostNormHighLr})
    EXPECT_EQ(models::pitfall_from_name(models::pitfall_name(p)), p) << models::pitfall_name(p);
  EXPECT_FALSE(models::pitfall_from_name("no-such-bug").has_value());
}

TEST(Pitfalls, NoScaleLeavesTokenVectorsSqrtDModelSmaller) {
  manual_seed(5);
  Transformer right(tiny(Pitfall::None));
  manual_seed(5);
  Transformer broken(tiny(Pitfall::NoEmbeddingScale));
  const Tensor tokens = ids({3, 4, 5}, {1, 3});
  const Tensor expected = right.source_embedding->forward(tokens) * (1.0f / std::sqrt(8.0f));
  EXPECT_TRUE(all_close(broken.source_embedding->forward(tokens), expected, 1e-6, 1e-6));
  EXPECT_TRUE(all_close(broken.target_embedding->forward(tokens), right.target_embedding->forward(tokens) *
                                                                      (1.0f / std::sqrt(8.0f)), 1e-6, 1e-6));
}

// Self-attention over 4 positions of batch 1, the last key padded, weights per head.
nn::MultiHeadAttentionOutput attend(bool multiplicative, const nn::MultiHeadAttentionArgs& masks) {
  manual_seed(6);
  nn::MultiHeadAttention attention(8, 2, {.multiplicative_masks = multiplicative});
  manual_seed(7);
  Tensor x = randn({1, 4, 8});
  nn::MultiHeadAttentionArgs args = masks;
  args.need_weights = true;
  args.average_attn_weights = false;
  return attention.forward(x, x, x, args);
}

TEST(Pitfalls, MultiplicativeMaskGivesPaddedKeysWeight) {
  const Tensor padding = ids({0, 0, 0, 1}, {1, 4});
  const Tensor right = attend(false, {.key_padding_mask = padding}).weights;   // (1, 2, 4, 4)
  const Tensor broken = attend(true, {.key_padding_mask = padding}).weights;   // (1, 2, 4, 4)
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t t = 0; t < 4; ++t) {
      EXPECT_EQ(right.at({0, h, t, 3}), 0.0f);
      EXPECT_GT(broken.at({0, h, t, 3}), 0.02f) << "head " << h << " query " << t;
    }
}

TEST(Pitfalls, MultiplicativeCausalMaskLetsQueriesSeeTheFuture) {
  const Tensor broken = attend(true, {.causal = true}).weights;  // (1, 2, 4, 4)
  for (int64_t t = 0; t < 3; ++t) EXPECT_GT(broken.at({0, 0, t, t + 1}), 0.02f) << "query " << t;
  EXPECT_EQ(attend(false, {.causal = true}).weights.at({0, 0, 0, 1}), 0.0f);
}

TEST(Pitfalls, MultiplicativePathIsTheFusedOpWhenNothingIsMasked) {
  const nn::MultiHeadAttentionOutput right = attend(false, {}), composed = attend(true, {});
  EXPECT_TRUE(all_close(composed.output, right.output, 1e-5, 1e-5));
  EXPECT_TRUE(all_close(composed.weights, right.weights, 1e-6, 1e-6));
}

TEST(Pitfalls, MultiplicativeMaskPathHasGradients) {
  manual_seed(8);
  nn::MultiHeadAttention attention(4, 2, {.multiplicative_masks = true});
  Tensor q = testing::leaf({2, 3, 4}), kv = testing::leaf({2, 5, 4});
  const Tensor padding = ids({0, 0, 0, 1, 1, 0, 0, 0, 0, 0}, {2, 5});
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        return attention.forward(in[0], in[1], in[1], {.key_padding_mask = padding}).output;
      },
      (std::vector<Tensor>{q, kv}), "multiplicative attention");
}

// Two sources (the second padded) and target prefixes of 5 tokens for them.
Tensor sources() { return ids({3, 4, 5, 6, 7, 8, 9, 3, 0, 0}, {2, 5}); }
Tensor targets() { return ids({1, 3, 4, 5, 6, 1, 7, 8, 2, 9}, {2, 5}); }

// forward's logits at position t, after the target token at `later` (> t) changed.
Tensor logits_after_changing(const Transformer& model, int64_t t, int64_t later) {
  std::vector<int64_t> changed = targets().to_vector<int64_t>();
  for (int64_t r = 0; r < 2; ++r) changed[static_cast<size_t>(r * 5 + later)] = 10;
  return ops::narrow(model.forward(sources(), ids(changed, {2, 5})), 1, t, 1);
}

TEST(Pitfalls, LeakingMaskLetsLogitsSeeLaterTargets) {
  for (Pitfall pitfall : {Pitfall::None, Pitfall::LeakingCausalMask}) {
    manual_seed(9);
    Transformer model(tiny(pitfall));
    model.eval();
    const Tensor at_1 = ops::narrow(model.forward(sources(), targets()), 1, 1, 1);  // (2, 1, V)
    const bool leaks = !all_close(logits_after_changing(model, 1, 3), at_1, 1e-4, 1e-4);
    EXPECT_EQ(leaks, pitfall == Pitfall::LeakingCausalMask) << models::pitfall_name(pitfall);
  }
}

TEST(Pitfalls, LeakingMaskTrainsWhatDecodingCannotSee) {
  manual_seed(10);
  Transformer model(tiny(Pitfall::LeakingCausalMask));
  model.eval();
  const Tensor teacher_forced = model.forward(sources(), targets());  // (2, 5, V)
  auto state = model.start(sources());
  Tensor first = model.step(*state, ops::contiguous(ops::select(targets(), 1, 0))).logits;  // (2, V)
  // Step by step, position 0 sees only itself; teacher-forced, it saw the whole target.
  EXPECT_FALSE(all_close(first, ops::select(teacher_forced, 1, 0), 1e-4, 1e-4));
}

TEST(Pitfalls, PitfallSurvivesConfigJson) {
  const auto pairs = testing::reversal_pairs(20);
  const train::Translator translator = testing::tiny_translator(pairs, [](int64_t source, int64_t target) {
    TransformerConfig config = testing::tiny_transformer(source, target);
    config.pitfall = Pitfall::MultiplicativeMask;
    return train::ModelConfig(config);
  });
  const fs::path dir = fs::temp_directory_path() / fmt::format("heed_pitfall_{}", ::getpid());
  fs::remove_all(dir);
  train::save_model_dir(translator, dir.string());
  const train::Translator loaded = train::load_model_dir(dir.string());
  const train::ModelConfig loaded_config = train::config_of(loaded.model());
  const auto* config = std::get_if<TransformerConfig>(&loaded_config);
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->pitfall, Pitfall::MultiplicativeMask);
  EXPECT_NE(train::describe(*config).find("PITFALL multiplicative-mask"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace heed
