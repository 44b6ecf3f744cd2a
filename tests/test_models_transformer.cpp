// models::Transformer: shapes and errors; source padding changes nothing; the decoder is causal;
// incremental decoding (start/step/select) gives forward's logits for pre- and post-norm, shared and
// tied, learned and sinusoidal variants; cross-attention weights from step; gradcheck of every
// parameter; a save/load round trip; and a small model learning to copy.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include <unistd.h>

#include "heed/models/transformer.h"
#include "test_util.h"

namespace heed {
namespace {

namespace fs = std::filesystem;
using models::PositionalEncoding;
using models::StepOutput;
using models::Transformer;
using models::TransformerConfig;
using testing::all_close;
using testing::expect_error;

constexpr int64_t kPad = 0, kBos = 1, kEos = 2;

// A small model: 2 + 2 layers of width 8, no dropout.
TransformerConfig tiny(TransformerConfig config = {}) {
  if (config.source_vocab_size == 0) config.source_vocab_size = 13;
  if (config.target_vocab_size == 0) config.target_vocab_size = 11;
  config.d_model = 8;
  config.nhead = 2;
  config.num_encoder_layers = 2;
  config.num_decoder_layers = 2;
  config.dim_feedforward = 16;
  config.dropout = 0.0f;
  config.max_length = 16;
  return config;
}

Tensor ids(const std::vector<int64_t>& values, Shape shape) { return from_vector(values, std::move(shape)); }

// Rows of three sources of lengths 5, 3 and 1, padded to 5, and a target prefix of 5 tokens each.
Tensor padded_sources() { return ids({3, 4, 5, 6, 7, 8, 9, 3, 0, 0, 12, 0, 0, 0, 0}, {3, 5}); }
Tensor target_prefixes() { return ids({1, 3, 4, 5, 6, 1, 7, 8, 2, 0, 1, 10, 3, 9, 4}, {3, 5}); }

// Column t of x (N, T, ...) -> (N, ...).
Tensor column(const Tensor& x, int64_t t) { return ops::contiguous(ops::squeeze(ops::narrow(x, 1, t, 1), 1)); }

// Row r of x (N, ...) -> (1, ...).
Tensor row(const Tensor& x, int64_t r) { return ops::narrow(x, 0, r, 1); }

TEST(ModelsTransformer, ForwardShapes) {
  manual_seed(1);
  Transformer model(tiny());
  Tensor logits = model.forward(padded_sources(), target_prefixes());
  EXPECT_EQ(logits.shape(), (Shape{3, 5, 11}));
  EXPECT_EQ(model.forward(padded_sources(), ops::narrow(target_prefixes(), 1, 0, 2)).shape(), (Shape{3, 2, 11}));
  EXPECT_EQ(model.source_vocab_size(), 13);
  EXPECT_EQ(model.target_vocab_size(), 11);
  EXPECT_NE(model.describe().find("d_model=8"), std::string::npos) << model.describe();
}

TEST(ModelsTransformer, InvalidConfigIsAnError) {
  expect_error([] { Transformer model({.target_vocab_size = 5}); }, {"Transformer", "source_vocab_size 0"});
  expect_error([] { Transformer model({.source_vocab_size = 5, .target_vocab_size = 5, .d_model = 10, .nhead = 4}); },
               {"Transformer", "d_model 10", "nhead 4"});
  expect_error([] { Transformer model({.source_vocab_size = 5, .target_vocab_size = 5, .d_model = 8, .nhead = 0}); },
               {"Transformer", "nhead 0"});
  expect_error([] { Transformer model({.source_vocab_size = 5, .target_vocab_size = 5, .num_decoder_layers = 0}); },
               {"Transformer", "num_decoder_layers 0"});
  expect_error([] { Transformer model({.source_vocab_size = 5, .target_vocab_size = 5, .max_length = 0}); },
               {"Transformer", "max_length 0"});
  expect_error([] { Transformer model({.source_vocab_size = 5, .target_vocab_size = 5, .dropout = 1.5f}); },
               {"Transformer", "dropout"});
  expect_error([] { Transformer model(tiny({.share_embeddings = true})); },
               {"Transformer", "share_embeddings", "13", "11"});
  expect_error([] { Transformer model(tiny({.special = {.pad = 0, .bos = 1, .eos = 11}})); },
               {"Transformer", "eos 11"});
}

TEST(ModelsTransformer, BadInputsAreErrors) {
  manual_seed(2);
  Transformer model(tiny());
  model.eval();
  const Tensor src = padded_sources(), tgt = target_prefixes();
  expect_error([&] { model.forward(from_vector({1.f, 2.f, 3.f}, {1, 3}), ids({1, 3}, {1, 2})); },
               {"src", "int64", "float32"});
  expect_error([&] { model.forward(src, from_vector({1.f, 2.f, 3.f}, {3, 1})); }, {"tgt_in", "int64"});
  expect_error([&] { model.forward(ids({3, 4, 5}, {3}), tgt); }, {"Transformer", "[3]"});
  expect_error([&] { model.forward(ops::unsqueeze(src, 0), tgt); }, {"Transformer", "src", "(B, L)"});
  expect_error([&] { model.forward(src, ops::narrow(tgt, 0, 0, 2)); }, {"Transformer", "same B"});
  expect_error([&] { model.forward(ids({3, 13}, {1, 2}), ids({1, 3}, {1, 2})); }, {"embedding", "13"});
  expect_error([&] { model.forward(ids({3, 4}, {1, 2}), ids({1, 11}, {1, 2})); }, {"embedding", "11"});
  expect_error([&] { model.forward(ids({3, 4}, {1, 2}), ops::contiguous(ops::expand(ids({1}, {1, 1}), {1, 17}))); },
               {"max_len"});
  auto state = model.start(src);
  expect_error([&] { model.step(*state, ids({1, 1}, {2})); }, {"Transformer::step", "N = 3"});
  expect_error([&] { model.step(*state, from_vector({1.f, 1.f, 1.f})); }, {"Transformer::step", "int64"});
  for (int64_t t = 0; t < 16; ++t) model.step(*state, ids({1, 1, 1}, {3}));
  expect_error([&] { model.step(*state, ids({1, 1, 1}, {3})); }, {"max_len = 16"});
}

TEST(ModelsTransformer, SourcePaddingChangesNothing) {
  for (bool norm_first : {true, false}) {
    manual_seed(3);
    Transformer model(tiny({.norm_first = norm_first}));
    model.eval();
    const Tensor src = padded_sources(), tgt = target_prefixes();
    Tensor more_padding = ops::cat({src, zeros({3, 3}, {.dtype = Dtype::Int64})}, 1);  // (3, 8)
    EXPECT_TRUE(all_close(model.forward(more_padding, tgt), model.forward(src, tgt), 1e-5, 1e-5))
        << "norm_first " << norm_first;
    // The padding is masked, not merely small: a shorter source does change the logits.
    EXPECT_FALSE(all_close(model.forward(ops::narrow(src, 1, 0, 2), tgt), model.forward(src, tgt), 1e-3, 1e-3));
  }
}

TEST(ModelsTransformer, DecoderIsCausal) {
  manual_seed(4);
  Transformer model(tiny({.positions = PositionalEncoding::Learned}));
  model.eval();
  const Tensor src = padded_sources(), tgt = target_prefixes();
  Tensor logits = model.forward(src, tgt);  // (3, 5, V)
  for (int64_t j = 1; j < 5; ++j) {
    std::vector<int64_t> changed = tgt.to_vector<int64_t>();
    for (int64_t r = 0; r < 3; ++r) changed[r * 5 + j] = 10 - changed[r * 5 + j] % 7;
    Tensor changed_logits = model.forward(src, ids(changed, {3, 5}));
    EXPECT_TRUE(all_close(ops::narrow(changed_logits, 1, 0, j), ops::narrow(logits, 1, 0, j), 1e-6, 1e-6))
        << "position " << j;
    EXPECT_FALSE(all_close(ops::narrow(changed_logits, 1, j, 1), ops::narrow(logits, 1, j, 1), 1e-3, 1e-3))
        << "position " << j;
  }
}

// Decodes tgt (N, T) one token at a time from start(src): the logits of every step, (N, T, V).
Tensor step_by_step(const Transformer& model, const Tensor& src, const Tensor& tgt) {
  auto state = model.start(src);
  std::vector<Tensor> logits;
  for (int64_t t = 0; t < tgt.size(1); ++t) logits.push_back(model.step(*state, column(tgt, t)).logits);  // (N, V)
  return ops::stack(logits, 1);  // (N, T, V)
}

TEST(ModelsTransformer, IncrementalDecodingEqualsForward) {
  const Tensor src = padded_sources(), tgt = target_prefixes();
  for (bool norm_first : {true, false})
    for (bool shared : {false, true})
      for (PositionalEncoding positions : {PositionalEncoding::Sinusoidal, PositionalEncoding::Learned}) {
        manual_seed(5);
        Transformer model(tiny({.source_vocab_size = shared ? 13 : 0,
                                .target_vocab_size = shared ? 13 : 0,
                                .activation = shared ? nn::Activation::GELU : nn::Activation::ReLU,
                                .norm_first = norm_first,
                                .positions = positions,
                                .share_embeddings = shared,
                                .tie_output = shared}));
        model.eval();
        Tensor full = model.forward(src, tgt);  // (3, 5, V)
        NoGradGuard no_grad;
        EXPECT_TRUE(all_close(step_by_step(model, src, tgt), full, 1e-5, 1e-4))
            << "norm_first " << norm_first << ", shared and tied " << shared << ", learned positions "
            << (positions == PositionalEncoding::Learned);
      }
}

TEST(ModelsTransformer, TiedOutputWithSeparateEmbeddingsDecodesIncrementally) {
  manual_seed(6);
  Transformer model(tiny({.tie_output = true}));
  model.eval();
  const Tensor src = padded_sources(), tgt = target_prefixes();
  EXPECT_TRUE(all_close(step_by_step(model, src, tgt), model.forward(src, tgt), 1e-5, 1e-4));
}

TEST(ModelsTransformer, SelectKeepsRowsInTheirNewOrder) {
  manual_seed(7);
  Transformer model(tiny({.norm_first = false}));
  model.eval();
  NoGradGuard no_grad;
  const Tensor src = ops::narrow(padded_sources(), 0, 0, 2), tgt = ops::narrow(target_prefixes(), 0, 0, 2);
  // Each row decoded alone: its logits at every step, (1, 5, V).
  std::vector<Tensor> alone = {step_by_step(model, row(src, 0), row(tgt, 0)),
                               step_by_step(model, row(src, 1), row(tgt, 1))};
  const std::vector<int64_t> kept = {1, 0, 1};
  auto state = model.start(src);
  for (int64_t t = 0; t < 2; ++t) model.step(*state, column(tgt, t));
  state->select(ids(kept, {3}));
  EXPECT_EQ(state->rows(), 3);
  Tensor kept_targets = ops::index_select(tgt, 0, ids(kept, {3}));  // (3, 5)
  for (int64_t t = 2; t < 5; ++t) {
    Tensor logits = model.step(*state, column(kept_targets, t)).logits;  // (3, V)
    for (size_t r = 0; r < kept.size(); ++r) {
      const Tensor& original = alone[static_cast<size_t>(kept[r])];  // (1, 5, V)
      EXPECT_TRUE(all_close(row(logits, static_cast<int64_t>(r)), column(original, t), 1e-5, 1e-4))
          << "step " << t << ", row " << r;
    }
  }
  expect_error([&] { state->select(ids({3}, {1})); }, {"index_select"});
}

TEST(ModelsTransformer, StepReturnsCrossAttentionPerLayerAndHead) {
  manual_seed(8);
  Transformer model(tiny());
  model.eval();
  const Tensor src = padded_sources(), tgt = target_prefixes();
  auto state = model.start(src);
  EXPECT_FALSE(model.step(*state, column(tgt, 0)).attention.defined());
  StepOutput out = model.step(*state, column(tgt, 1), true);
  ASSERT_EQ(out.attention.shape(), (Shape{3, 2, 2, 5}));  // (N, L, H, S)
  const std::vector<int64_t> lengths = {5, 3, 1};
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t h = 0; h < 2; ++h) {
        double sum = 0;
        for (int64_t s = 0; s < 5; ++s) {
          const float weight = out.attention.at<float>({n, l, h, s});
          sum += weight;
          if (s >= lengths[static_cast<size_t>(n)]) EXPECT_EQ(weight, 0.0f) << n << " " << l << " " << h << " " << s;
          else EXPECT_GT(weight, 0.0f);
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
      }
}

TEST(ModelsTransformerGrad, GradcheckEveryParameter) {
  const Tensor src = ids({3, 4, 2, 0, 0, 4, 3, 2, 3, 2}, {2, 5});
  const Tensor tgt = ids({1, 3, 4, 1, 4, 2}, {2, 3});
  for (bool variant : {false, true}) {
    manual_seed(9);
    Transformer model({.source_vocab_size = 5,
                       .target_vocab_size = 5,
                       .d_model = 4,
                       .nhead = 2,
                       .num_encoder_layers = 1,
                       .num_decoder_layers = 1,
                       .dim_feedforward = 6,
                       .dropout = 0.0f,
                       .activation = variant ? nn::Activation::GELU : nn::Activation::ReLU,
                       .norm_first = variant,
                       .positions = variant ? PositionalEncoding::Learned : PositionalEncoding::Sinusoidal,
                       .max_length = 6,
                       .share_embeddings = variant,
                       .tie_output = variant});
    {  // non-trivial norms and biases, so every gradient is exercised
      NoGradGuard no_grad;
      for (Tensor& p : model.parameters()) ops::copy_(p, randn(p.shape()) * 0.5f);
    }
    EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return model.forward(src, tgt); }, model.parameters(),
                     variant ? "Transformer, pre-norm, learned, shared and tied" : "Transformer, post-norm");
  }
}

// A fresh folder for one test, removed at the end.
class TempFolder {
 public:
  TempFolder() : path_(fs::temp_directory_path() / fmt::format("heed_models_transformer_{}", ::getpid())) {
    fs::create_directories(path_);
  }
  ~TempFolder() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

TEST(ModelsTransformer, SaveAndLoadGiveTheSameLogits) {
  TempFolder folder;
  const Tensor src = padded_sources(), tgt = target_prefixes();
  for (bool tied : {false, true}) {
    const TransformerConfig config = tiny({.source_vocab_size = 13,
                                           .target_vocab_size = tied ? 13 : 11,
                                           .positions = PositionalEncoding::Learned,
                                           .share_embeddings = tied,
                                           .tie_output = tied});
    manual_seed(10);
    Transformer saved(config);
    saved.eval();
    const std::string path = folder.file(tied ? "tied.safetensors" : "untied.safetensors");
    nn::save(saved, path);
    nn::StateDict state = nn::load(path);
    EXPECT_EQ(state.contains("generator.weight"), !tied);
    EXPECT_EQ(state.contains("embedding.weight"), tied);
    EXPECT_EQ(state.contains("target_embedding.weight"), !tied);
    EXPECT_TRUE(state.contains("decoder.layers.1.multihead_attn.in_proj_weight"));
    EXPECT_TRUE(state.contains("target_positions.weight"));
    manual_seed(11);
    Transformer loaded(config);
    loaded.eval();
    EXPECT_FALSE(all_close(loaded.forward(src, tgt), saved.forward(src, tgt)));
    nn::load_into(loaded, path);
    EXPECT_TRUE(all_close(loaded.forward(src, tgt), saved.forward(src, tgt), 0, 0)) << "tied " << tied;
  }
}

// A batch of the copy task: random sequences of symbols 3..7, lengths 3 to 6, as
// src (B, S), tgt_in (B, T) = BOS then the sequence, tgt_out (B, T) = the sequence then EOS.
struct CopyBatch {
  Tensor src, tgt_in, tgt_out;
};

CopyBatch copy_batch(std::mt19937& rng, int64_t batch) {
  constexpr int64_t kLongest = 6;
  std::vector<int64_t> src(batch * kLongest, kPad), tgt_in(batch * (kLongest + 1), kPad),
      tgt_out(batch * (kLongest + 1), kPad);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t length = std::uniform_int_distribution<int64_t>(3, kLongest)(rng);
    tgt_in[b * (kLongest + 1)] = kBos;
    for (int64_t i = 0; i < length; ++i) {
      const int64_t symbol = std::uniform_int_distribution<int64_t>(3, 7)(rng);
      src[b * kLongest + i] = symbol;
      tgt_in[b * (kLongest + 1) + i + 1] = symbol;
      tgt_out[b * (kLongest + 1) + i] = symbol;
    }
    tgt_out[b * (kLongest + 1) + length] = kEos;
  }
  return {ids(src, {batch, kLongest}), ids(tgt_in, {batch, kLongest + 1}), ids(tgt_out, {batch, kLongest + 1})};
}

TEST(ModelsTransformerTraining, LearnsToCopy) {
  manual_seed(12);
  std::mt19937 rng(12);
  Transformer model({.source_vocab_size = 8,
                     .target_vocab_size = 8,
                     .d_model = 32,
                     .nhead = 4,
                     .num_encoder_layers = 1,
                     .num_decoder_layers = 1,
                     .dim_feedforward = 64,
                     .dropout = 0.0f,
                     .max_length = 16});
  optim::Adam optimizer(model.parameters(), {.lr = 3e-3f});
  const auto begin = std::chrono::steady_clock::now();
  constexpr int kSteps = 200;
  float loss_value = 0;
  for (int step = 0; step < kSteps; ++step) {
    CopyBatch batch = copy_batch(rng, 32);
    Tensor loss = ops::cross_entropy(model.forward(batch.src, batch.tgt_in), batch.tgt_out, {.ignore_index = kPad});
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    loss_value = loss.item();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  fmt::print("copy task: loss {:.4f} after {} steps in {:.1f} s\n", loss_value, kSteps, seconds);
  EXPECT_LT(loss_value, 0.1f);

  // Greedy decoding with start/step copies held-out sequences.
  model.eval();
  NoGradGuard no_grad;
  constexpr int64_t kTest = 50;
  CopyBatch test = copy_batch(rng, kTest);
  auto state = model.start(test.src);
  Tensor tokens = full({kTest}, static_cast<double>(kBos), {.dtype = Dtype::Int64});  // (N)
  std::vector<int64_t> expected = test.tgt_out.to_vector<int64_t>();
  int64_t wrong = 0;
  for (int64_t t = 0; t < test.tgt_out.size(1); ++t) {
    std::vector<int64_t> next(kTest);
    std::vector<float> logits = model.step(*state, tokens).logits.to_vector<float>();  // (N, 8)
    for (int64_t n = 0; n < kTest; ++n) {
      next[n] = std::max_element(logits.begin() + n * 8, logits.begin() + (n + 1) * 8) - (logits.begin() + n * 8);
      const int64_t want = expected[n * test.tgt_out.size(1) + t];
      if (want != kPad && next[n] != want) ++wrong;
    }
    tokens = from_vector(next, {kTest});
  }
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace heed
