// models::LSTMSeq2Seq (models/lstm_seq2seq.h): shapes for every attention, feeding, direction and
// depth; padding never changes a logit; step-by-step decoding equals teacher forcing; select keeps
// the right rows; step's attention; gradcheck of every parameter; a state-dict round trip; the
// errors; and a small model learning to reverse sequences.
#include <chrono>
#include <filesystem>
#include <random>
#include <unistd.h>

#include "heed/models/lstm_seq2seq.h"
#include "test_util.h"

namespace heed {
namespace {

using models::LSTMSeq2Seq;
using models::LSTMSeq2SeqConfig;
using models::RnnAttentionKind;
using testing::all_close;
using testing::expect_error;

constexpr int64_t kSourceVocab = 11, kTargetVocab = 9;
constexpr RnnAttentionKind kKinds[] = {RnnAttentionKind::Additive, RnnAttentionKind::LuongDot,
                                       RnnAttentionKind::LuongGeneral};

LSTMSeq2SeqConfig small(RnnAttentionKind attention, bool input_feeding = true, bool bidirectional = true,
                        int64_t layers = 1) {
  return {.source_vocab_size = kSourceVocab,
          .target_vocab_size = kTargetVocab,
          .embedding_size = 6,
          .hidden_size = 8,
          .num_layers = layers,
          .bidirectional_encoder = bidirectional,
          .attention = attention,
          .input_feeding = input_feeding,
          .dropout = 0.0f};
}

Tensor ids(const std::vector<int64_t>& values, int64_t rows) {
  return from_vector(values, {rows, static_cast<int64_t>(values.size()) / rows});
}

// Three source rows of lengths 5, 2 and 4, padded with 0; ids from 3 up.
Tensor source() { return ids({3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 10, 3, 5, 7, 0}, 3); }
// Target inputs for those rows: BOS (1), tokens, padding at the end of the second.
Tensor target_in() { return ids({1, 3, 4, 5, 1, 6, 0, 0, 1, 7, 8, 2}, 3); }

// src (B, S) with `extra` more padding columns.
Tensor padded(const Tensor& src, int64_t extra) {
  return ops::cat({src, from_vector(std::vector<int64_t>(static_cast<size_t>(src.size(0) * extra), 0),
                                    {src.size(0), extra})},
                  1);
}

// Column t of ids (B, T) as (B).
Tensor column(const Tensor& tokens, int64_t t) {
  return ops::contiguous(ops::squeeze(ops::narrow(tokens, 1, t, 1), 1));
}

// Row r of x as a batch of one.
Tensor row(const Tensor& x, int64_t r) { return ops::narrow(x, 0, r, 1); }

std::string label(const LSTMSeq2SeqConfig& c) { return LSTMSeq2Seq(c).describe(); }

std::vector<LSTMSeq2SeqConfig> several_configs() {
  return {small(RnnAttentionKind::Additive, true, true, 1), small(RnnAttentionKind::Additive, false, false, 2),
          small(RnnAttentionKind::LuongDot, true, false, 1), small(RnnAttentionKind::LuongGeneral, true, true, 2),
          small(RnnAttentionKind::LuongGeneral, false, true, 1)};
}

TEST(LSTMSeq2Seq, ForwardShapesForEveryVariant) {
  manual_seed(0);
  for (RnnAttentionKind kind : kKinds)
    for (bool feeding : {true, false})
      for (bool bidirectional : {true, false})
        for (int64_t layers : {1, 2}) {
          LSTMSeq2Seq model(small(kind, feeding, bidirectional, layers));
          Tensor logits = model.forward(source(), target_in());  // (3, 4, V)
          EXPECT_EQ(logits.shape(), (Shape{3, 4, kTargetVocab})) << model.describe();
          for (float value : logits.to_vector()) ASSERT_TRUE(std::isfinite(value)) << model.describe();
        }
}

TEST(LSTMSeq2Seq, ParameterNames) {
  LSTMSeq2Seq model(small(RnnAttentionKind::Additive, true, true, 2));
  nn::StateDict state = model.state_dict();
  for (const char* name : {"source_embedding.weight", "encoder.weight_ih_l1_reverse", "target_embedding.weight",
                           "decoder.0.weight_ih", "decoder.1.bias_hh", "attention.key_proj.weight", "combine.weight",
                           "generator.bias"})
    EXPECT_TRUE(state.contains(name)) << name;
  // The first decoder cell reads the embedding and the fed attentional vector; each encoder
  // direction has half the hidden size.
  EXPECT_EQ(state.at("decoder.0.weight_ih").shape(), (Shape{32, 6 + 8}));
  EXPECT_EQ(state.at("encoder.weight_hh_l0").shape(), (Shape{16, 4}));
  EXPECT_EQ(state.at("combine.weight").shape(), (Shape{8, 16}));
}

TEST(LSTMSeq2Seq, PaddingChangesNoLogit) {
  manual_seed(1);
  for (const LSTMSeq2SeqConfig& config : several_configs()) {
    LSTMSeq2Seq model(config);
    model.eval();
    Tensor logits = model.forward(source(), target_in());
    EXPECT_TRUE(all_close(model.forward(padded(source(), 3), target_in()), logits, 1e-6, 1e-6)) << label(config);
  }
}

TEST(LSTMSeq2Seq, DropoutOnlyWhileTraining) {
  LSTMSeq2SeqConfig config = small(RnnAttentionKind::Additive, true, true, 2);
  config.dropout = 0.5f;
  manual_seed(9);
  LSTMSeq2Seq model(config);
  EXPECT_FALSE(all_close(model.forward(source(), target_in()), model.forward(source(), target_in())));
  model.eval();
  EXPECT_TRUE(all_close(model.forward(source(), target_in()), model.forward(source(), target_in()), 0.0, 0.0));
}

TEST(LSTMSeq2Seq, StepByStepEqualsForward) {
  manual_seed(2);
  for (const LSTMSeq2SeqConfig& config : several_configs()) {
    LSTMSeq2Seq model(config);
    model.eval();
    Tensor logits = model.forward(source(), target_in());  // (3, 4, V)
    auto state = model.start(source());
    EXPECT_EQ(state->rows(), 3);
    for (int64_t t = 0; t < 4; ++t) {
      Tensor step_logits = model.step(*state, column(target_in(), t)).logits;  // (3, V)
      EXPECT_TRUE(all_close(step_logits, ops::squeeze(ops::narrow(logits, 1, t, 1), 1), 1e-5, 1e-5))
          << label(config) << " step " << t;
    }
  }
}

TEST(LSTMSeq2Seq, SelectKeepsTheChosenRows) {
  manual_seed(3);
  const Tensor src = ops::narrow(source(), 0, 0, 2);  // two sentences of lengths 5 and 2
  const std::vector<int64_t> rows = {1, 0, 1};       // sentence 1 twice, as beam search copies a hypothesis
  const std::vector<std::vector<int64_t>> continuations = {{4, 5, 6}, {7, 8, 3}, {2, 5, 3}};  // per new row
  for (const LSTMSeq2SeqConfig& config : several_configs()) {
    LSTMSeq2Seq model(config);
    model.eval();
    auto state = model.start(src);
    model.step(*state, from_vector(std::vector<int64_t>{1, 1}));
    state->select(from_vector(rows));
    ASSERT_EQ(state->rows(), 3);
    std::vector<Tensor> batched;  // [t]: (3, V)
    for (size_t t = 0; t < 3; ++t)
      batched.push_back(model.step(*state, from_vector(std::vector<int64_t>{continuations[0][t], continuations[1][t],
                                                                            continuations[2][t]}))
                            .logits);
    for (size_t r = 0; r < rows.size(); ++r) {
      auto alone = model.start(row(src, rows[r]));
      model.step(*alone, from_vector(std::vector<int64_t>{1}));
      for (size_t t = 0; t < 3; ++t) {
        Tensor logits = model.step(*alone, from_vector(std::vector<int64_t>{continuations[r][t]})).logits;  // (1, V)
        EXPECT_TRUE(all_close(row(batched[t], static_cast<int64_t>(r)), logits, 1e-5, 1e-5))
            << label(config) << " row " << r << " step " << t;
      }
    }
  }
}

TEST(LSTMSeq2Seq, StepAttention) {
  manual_seed(4);
  for (RnnAttentionKind kind : kKinds) {
    LSTMSeq2Seq model(small(kind));
    model.eval();
    auto state = model.start(source());
    EXPECT_FALSE(model.step(*state, column(target_in(), 0)).attention.defined());
    models::StepOutput out = model.step(*state, column(target_in(), 1), true);
    ASSERT_EQ(out.attention.shape(), (Shape{3, 1, 1, 5})) << label(small(kind));
    const std::vector<int64_t> lengths = {5, 2, 4};
    for (int64_t b = 0; b < 3; ++b) {
      double total = 0;
      for (int64_t s = 0; s < 5; ++s) {
        const float weight = out.attention.at({b, 0, 0, s});
        if (s >= lengths[static_cast<size_t>(b)]) EXPECT_EQ(weight, 0.0f) << "row " << b << " position " << s;
        else EXPECT_GT(weight, 0.0f);
        total += weight;
      }
      EXPECT_NEAR(total, 1.0, 1e-5) << "row " << b;
    }
  }
}

TEST(LSTMSeq2Seq, Gradcheck) {
  // Tiny models; no pad in tgt_in, since the pad row of the embedding gets no gradient by design.
  const Tensor src = ids({3, 4, 5, 6, 0, 0}, 2), tgt_in = ids({1, 3, 4, 1, 5, 2}, 2);
  for (LSTMSeq2SeqConfig config : {small(RnnAttentionKind::Additive, true, true, 1),
                                   small(RnnAttentionKind::LuongGeneral, false, false, 2),
                                   small(RnnAttentionKind::LuongDot, true, true, 1)}) {
    config.source_vocab_size = 7;
    config.target_vocab_size = 6;
    config.embedding_size = 3;
    config.hidden_size = 4;
    manual_seed(5);
    LSTMSeq2Seq model(config);
    EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return model.forward(src, tgt_in); }, model.parameters(),
                     label(config));
  }
}

TEST(LSTMSeq2Seq, StateDictRoundTrip) {
  const LSTMSeq2SeqConfig config = small(RnnAttentionKind::LuongGeneral, true, true, 2);
  manual_seed(6);
  LSTMSeq2Seq trained(config);
  manual_seed(7);
  LSTMSeq2Seq fresh(config);
  trained.eval();
  fresh.eval();
  const Tensor expected = trained.forward(source(), target_in());
  EXPECT_FALSE(all_close(fresh.forward(source(), target_in()), expected));
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / fmt::format("heed_lstm_seq2seq_{}.safetensors", ::getpid());
  nn::save(trained, path.string());
  nn::load_into(fresh, path.string());
  std::filesystem::remove(path);
  EXPECT_TRUE(all_close(fresh.forward(source(), target_in()), expected, 0.0, 0.0));
}

TEST(LSTMSeq2Seq, ConfigErrors) {
  auto config_with = [](auto change) {
    LSTMSeq2SeqConfig config = small(RnnAttentionKind::Additive);
    change(config);
    return config;
  };
  expect_error([&] { LSTMSeq2Seq(config_with([](auto& c) { c.hidden_size = 7; })); },
               {"LSTMSeq2Seq", "hidden_size = 7", "even"});
  expect_error([&] { LSTMSeq2Seq(config_with([](auto& c) { c.source_vocab_size = 0; })); },
               {"LSTMSeq2Seq", "source_vocab_size = 0"});
  expect_error([&] { LSTMSeq2Seq(config_with([](auto& c) { c.num_layers = 0; })); },
               {"LSTMSeq2Seq", "num_layers = 0"});
  expect_error([&] { LSTMSeq2Seq(config_with([](auto& c) { c.dropout = 1.0f; })); }, {"LSTMSeq2Seq", "dropout = 1"});
  expect_error([&] { LSTMSeq2Seq(config_with([](auto& c) { c.special.eos = kTargetVocab; })); },
               {"LSTMSeq2Seq", "eos id 9"});
  EXPECT_NO_THROW(LSTMSeq2Seq(config_with([](auto& c) {
    c.hidden_size = 7;
    c.bidirectional_encoder = false;
  })));
}

TEST(LSTMSeq2Seq, InputErrors) {
  LSTMSeq2Seq model(small(RnnAttentionKind::Additive));
  expect_error([&] { model.forward(zeros({3, 5}), target_in()); }, {"LSTMSeq2Seq", "src has shape [3, 5]", "int64"});
  expect_error([&] { model.forward(source(), ids({1, 3, 1, 4}, 2)); },
               {"LSTMSeq2Seq", "src has shape [3, 5]", "tgt_in [2, 2]", "same batch size"});
  expect_error([&] { model.forward(ids({3, 0, 4, 5, 6, 7}, 2), ids({1, 1}, 2)); },
               {"LSTMSeq2Seq", "src row 0 has token 4 at position 2 after padding at 1"});
  auto state = model.start(source());
  expect_error([&] { model.step(*state, from_vector(std::vector<int64_t>{1, 1})); },
               {"LSTMSeq2Seq::step", "tokens have shape [2]", "N = 3"});
  expect_error([&] { state->select(zeros({2})); }, {"LSTMSeq2Seq::select", "int64"});
}

// Source: 3 to 6 symbols from {3, ..., 7}; target: the same reversed. Pad 0, BOS 1, EOS 2.
struct Batch {
  Tensor src, tgt_in, tgt_out;
};

Batch reverse_batch(std::mt19937& rng, int64_t size) {
  constexpr int64_t kMaxLength = 6;
  std::uniform_int_distribution<int64_t> length_of(3, kMaxLength), symbol(3, 7);
  std::vector<int64_t> src(static_cast<size_t>(size * kMaxLength), 0);
  std::vector<int64_t> tgt_in(static_cast<size_t>(size * (kMaxLength + 1)), 0), tgt_out(tgt_in.size(), 0);
  for (int64_t b = 0; b < size; ++b) {
    const int64_t length = length_of(rng);
    std::vector<int64_t> sequence(static_cast<size_t>(length));
    for (int64_t& s : sequence) s = symbol(rng);
    int64_t* source_row = &src[static_cast<size_t>(b * kMaxLength)];
    int64_t* in_row = &tgt_in[static_cast<size_t>(b * (kMaxLength + 1))];
    int64_t* out_row = &tgt_out[static_cast<size_t>(b * (kMaxLength + 1))];
    in_row[0] = 1;
    for (int64_t i = 0; i < length; ++i) {
      source_row[i] = sequence[static_cast<size_t>(i)];
      out_row[i] = in_row[i + 1] = sequence[static_cast<size_t>(length - 1 - i)];
    }
    out_row[length] = 2;
  }
  return {ids(src, size), ids(tgt_in, size), ids(tgt_out, size)};
}

TEST(LSTMSeq2Seq, LearnsToReverse) {
  manual_seed(8);
  std::mt19937 rng(8);
  LSTMSeq2Seq model({.source_vocab_size = 8,
                     .target_vocab_size = 8,
                     .embedding_size = 32,
                     .hidden_size = 64,
                     .attention = RnnAttentionKind::Additive,
                     .dropout = 0.0f});
  optim::Adam adam(model.parameters(), {.lr = 1e-2f});
  const auto begin = std::chrono::steady_clock::now();
  float loss_value = 0;
  int steps = 0;
  while (steps < 400 && !(steps > 0 && loss_value < 0.05f)) {  // until a batch's loss is below 0.05
    Batch batch = reverse_batch(rng, 32);
    Tensor loss = ops::cross_entropy(model.forward(batch.src, batch.tgt_in), batch.tgt_out, {.ignore_index = 0});
    adam.zero_grad();
    loss.backward();
    adam.step();
    loss_value = loss.item();
    ++steps;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  // Judged on fresh batches in eval mode, not on the last training batch alone.
  model.eval();
  NoGradGuard no_grad;
  Batch held_out = reverse_batch(rng, 200);
  const float held_out_loss =
      ops::cross_entropy(model.forward(held_out.src, held_out.tgt_in), held_out.tgt_out, {.ignore_index = 0}).item();
  fmt::print("LSTMSeq2Seq reverse: {} steps, {:.1f} s, last batch loss {:.4f}, held-out loss {:.4f}\n", steps,
             seconds, loss_value, held_out_loss);
  EXPECT_LT(held_out_loss, 0.1f);
}

}  // namespace
}  // namespace heed
