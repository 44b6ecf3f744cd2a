// models/decode: greedy decoding and beam search, on a fake Seq2Seq whose next-token distribution
// is a table: a deterministic function of the source row and the prefix decoded so far. The fake
// keeps each row's prefix in its DecoderState (select() reorders the prefixes), so a decoder that
// loses track of its beams feeds the table the wrong prefixes and gets different results. Its
// attention is a known pattern of the prefix, so the attention a hypothesis returns shows whether
// the history followed the back-pointers. Expected scores are recomputed here in double from the
// table, and beam search is checked against exhaustive search on random tables.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>

#include "heed/models/decode.h"
#include "heed/models/transformer.h"
#include "test_util.h"

namespace heed {
namespace {

using models::DecodeOptions;
using models::Hypothesis;
using testing::expect_error;

constexpr int64_t kPad = 0, kBos = 1, kEos = 2;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

using Tokens = std::vector<int64_t>;
// Logits over the target vocabulary for a row's next token, given the row's source tokens (padding
// removed) and the tokens decoded so far (without BOS).
using Table = std::function<std::vector<float>(const Tokens& source, const Tokens& prefix)>;

// ---- the fake model ----

struct TableState : models::DecoderState {
  struct Row {
    Tokens source, prefix;
    bool started = false;  // BOS fed
  };
  std::vector<Row> rows_;

  void select(const Tensor& rows) override {
    std::vector<Row> kept;
    for (int64_t row : rows.to_vector<int64_t>()) kept.push_back(rows_.at(static_cast<size_t>(row)));
    rows_ = std::move(kept);
  }
  int64_t rows() const override { return static_cast<int64_t>(rows_.size()); }
};

// A distinctive attention value for each prefix (exact in float), layer, head and source position.
float attention_pattern(const Tokens& prefix, int64_t layer, int64_t head, int64_t position) {
  int64_t code = 0;
  for (int64_t token : prefix) code = (code * 31 + token + 1) % 1009;
  return static_cast<float>(code + 2048 * position) + 0.5f * static_cast<float>(layer) +
         0.25f * static_cast<float>(head);
}

class TableModel : public models::Seq2Seq {
 public:
  TableModel(int64_t vocab, Table table, int64_t layers = 1, int64_t heads = 1)
      : vocab_(vocab), layers_(layers), heads_(heads), table_(std::move(table)) {}

  Tensor forward(const Tensor&, const Tensor&) const override {
    throw Error("TableModel: forward is not used by decoding");
  }

  std::unique_ptr<models::DecoderState> start(const Tensor& src) const override {
    auto state = std::make_unique<TableState>();
    source_length_ = src.size(1);
    for (int64_t b = 0; b < src.size(0); ++b) {
      TableState::Row row;
      for (int64_t s = 0; s < src.size(1) && src.at<int64_t>({b, s}) != kPad; ++s)
        row.source.push_back(src.at<int64_t>({b, s}));
      state->rows_.push_back(row);
    }
    return state;
  }

  models::StepOutput step(models::DecoderState& state, const Tensor& tokens, bool need_attention) const override {
    auto& rows = dynamic_cast<TableState&>(state).rows_;
    const auto n = static_cast<int64_t>(rows.size());
    EXPECT_EQ(tokens.shape(), (Shape{n}));
    Tokens fed = tokens.to_vector<int64_t>();
    std::vector<float> logits, attention;
    for (size_t r = 0; r < rows.size(); ++r) {
      if (!rows[r].started) {
        EXPECT_EQ(fed[r], kBos) << "the first token of a row must be BOS";
        rows[r].started = true;
      } else {
        EXPECT_NE(fed[r], kEos) << "a finished row was fed again";
        EXPECT_NE(fed[r], kBos);
        rows[r].prefix.push_back(fed[r]);
      }
      std::vector<float> row_logits = table_(rows[r].source, rows[r].prefix);
      logits.insert(logits.end(), row_logits.begin(), row_logits.end());
      for (int64_t l = 0; l < layers_; ++l)
        for (int64_t h = 0; h < heads_; ++h)
          for (int64_t s = 0; s < source_length_; ++s)
            attention.push_back(s < static_cast<int64_t>(rows[r].source.size())
                                    ? attention_pattern(rows[r].prefix, l, h, s)
                                    : 0.0f);
    }
    ++steps;
    rows_stepped += n;
    models::StepOutput out;
    out.logits = broken_logits ? zeros({n + 1, vocab_ - 1}) : from_vector(logits, {n, vocab_});
    if (need_attention) out.attention = from_vector(attention, {n, layers_, heads_, source_length_});
    return out;
  }

  int64_t source_vocab_size() const override { return vocab_; }
  int64_t target_vocab_size() const override { return vocab_; }
  models::SpecialIds special_ids() const override { return {kPad, kBos, kEos}; }

  const Table& table() const { return table_; }

  mutable int64_t steps = 0;         // calls to step
  mutable int64_t rows_stepped = 0;  // rows over all calls to step
  bool broken_logits = false;        // return logits of the wrong shape

 private:
  int64_t vocab_, layers_, heads_;
  Table table_;
  mutable int64_t source_length_ = 0;
};

// ---- tables ----

// Probabilities of some tokens; every other token gets 1e-6 (before normalisation).
using Distribution = std::map<int64_t, double>;

// The distribution of each listed prefix; any other prefix ends with EOS.
Table table_of(int64_t vocab, std::map<Tokens, Distribution> by_prefix, Distribution otherwise = {{kEos, 1.0}}) {
  return [=](const Tokens&, const Tokens& prefix) {
    auto found = by_prefix.find(prefix);
    const Distribution& distribution = found == by_prefix.end() ? otherwise : found->second;
    std::vector<float> logits(static_cast<size_t>(vocab), std::log(1e-6f));
    for (auto [token, p] : distribution) logits[static_cast<size_t>(token)] = static_cast<float>(std::log(p));
    return logits;
  };
}

uint64_t mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Logits drawn from a hash of (seed, source, prefix, token): pad and BOS impossible, EOS more
// likely as the prefix grows.
Table random_table(uint64_t seed, int64_t vocab) {
  return [=](const Tokens& source, const Tokens& prefix) {
    uint64_t h = mix(seed);
    for (int64_t token : source) h = mix(h ^ static_cast<uint64_t>(token));
    h = mix(h ^ 0xfeedULL);
    for (int64_t token : prefix) h = mix(h ^ static_cast<uint64_t>(token));
    std::vector<float> logits(static_cast<size_t>(vocab));
    for (int64_t v = 0; v < vocab; ++v) {
      float u = static_cast<float>(mix(h ^ static_cast<uint64_t>(v + 1) * 0x100000001b3ULL) >> 40) / 16777216.0f;
      logits[static_cast<size_t>(v)] = 4.0f * u - 2.0f;
    }
    logits[kPad] = logits[kBos] = -std::numeric_limits<float>::infinity();
    logits[kEos] += 0.7f * static_cast<float>(prefix.size()) - 0.5f;
    return logits;
  };
}

// ---- references, in double ----

double log_prob(const Table& table, const Tokens& source, const Tokens& prefix, int64_t token) {
  std::vector<float> logits = table(source, prefix);
  double max = -kInfinity, sum = 0.0;
  for (float l : logits) max = std::max(max, static_cast<double>(l));
  for (float l : logits) sum += std::exp(l - max);
  return logits[static_cast<size_t>(token)] - max - std::log(sum);
}

// Σ log p(tokens[t] | tokens[<t]), plus log p(EOS | tokens) when finished.
double sequence_log_prob(const Table& table, const Tokens& source, const Tokens& tokens, bool finished) {
  double total = 0.0;
  Tokens prefix;
  for (int64_t token : tokens) {
    total += log_prob(table, source, prefix, token);
    prefix.push_back(token);
  }
  return finished ? total + log_prob(table, source, prefix, kEos) : total;
}

struct Best {
  double score = -kInfinity;
  Tokens tokens;
};

// The highest-scoring translation of at most max_length tokens followed by EOS, by trying all.
void exhaustive_search(const Table& table, const Tokens& source, int64_t vocab, int64_t max_length,
                       Tokens& prefix, double score, Best& best) {
  double finished = score + log_prob(table, source, prefix, kEos);
  if (finished > best.score) best = {finished, prefix};
  if (static_cast<int64_t>(prefix.size()) == max_length) return;
  for (int64_t token = kEos + 1; token < vocab; ++token) {
    const double extended = score + log_prob(table, source, prefix, token);
    prefix.push_back(token);
    exhaustive_search(table, source, vocab, max_length, prefix, extended, best);
    prefix.pop_back();
  }
}

// (B, S) int64 source ids, each row padded to S.
Tensor padded(const std::vector<Tokens>& sources, int64_t length) {
  Tokens ids;
  for (const Tokens& source : sources) {
    ids.insert(ids.end(), source.begin(), source.end());
    ids.insert(ids.end(), static_cast<size_t>(length) - source.size(), kPad);
  }
  return from_vector(ids, {static_cast<int64_t>(sources.size()), length});
}

// The attention a hypothesis should carry: step t attends with the pattern of prefix tokens[<t].
void expect_attention_follows_tokens(const Hypothesis& hypothesis, const Tokens& source, int64_t layers,
                                     int64_t heads, int64_t source_length) {
  const int64_t steps = static_cast<int64_t>(hypothesis.tokens.size()) + (hypothesis.finished ? 1 : 0);
  ASSERT_EQ(hypothesis.attention.shape(), (Shape{steps, layers, heads, source_length}));
  for (int64_t t = 0; t < steps; ++t) {
    Tokens prefix(hypothesis.tokens.begin(), hypothesis.tokens.begin() + t);
    for (int64_t l = 0; l < layers; ++l)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t s = 0; s < source_length; ++s) {
          float expected = s < static_cast<int64_t>(source.size()) ? attention_pattern(prefix, l, h, s) : 0.0f;
          ASSERT_EQ(hypothesis.attention.at<float>({t, l, h, s}), expected) << "step " << t;
        }
  }
}

void expect_same(const Hypothesis& a, const Hypothesis& b) {
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.finished, b.finished);
  if (a.attention.defined() || b.attention.defined()) {
    EXPECT_TRUE(testing::all_close(a.attention, b.attention, 0.0, 0.0));
  }
}

// ---- greedy ----

TEST(Decode, GreedyFollowsTheArgmaxAndStopsAtEos) {
  // Sentence 3 decodes 3 5 EOS; sentence 4 decodes 4 EOS and must then leave the batch.
  std::map<int64_t, Table> by_source = {
      {3, table_of(8, {{{}, {{3, 0.5}, {4, 0.3}, {kEos, 0.2}}}, {{3}, {{5, 0.6}, {3, 0.4}}}, {{3, 5}, {{kEos, 0.7}, {4, 0.3}}}})},
      {4, table_of(8, {{{}, {{4, 0.9}, {kEos, 0.1}}}, {{4}, {{kEos, 0.8}, {6, 0.2}}}})}};
  Table table = [&](const Tokens& source, const Tokens& prefix) { return by_source.at(source[0])(source, prefix); };
  TableModel model(8, table);
  std::vector<Tokens> sources = {{3}, {4, 5}};
  std::vector<Hypothesis> out = models::greedy_decode(model, padded(sources, 2));

  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].tokens, (Tokens{3, 5}));
  EXPECT_EQ(out[1].tokens, (Tokens{4}));
  for (size_t b = 0; b < 2; ++b) {
    EXPECT_TRUE(out[b].finished);
    EXPECT_NEAR(out[b].score, sequence_log_prob(table, sources[b], out[b].tokens, true), 1e-5);
    EXPECT_FALSE(out[b].attention.defined());
  }
  EXPECT_EQ(model.steps, 3);
  EXPECT_EQ(model.rows_stepped, 2 + 2 + 1);  // the finished sentence is not run at step 3
}

TEST(Decode, GreedyStopsAtMaxLengthUnfinished) {
  Table table = table_of(6, {}, {{3, 0.6}, {kEos, 0.4}});  // EOS is never the argmax
  TableModel model(6, table);
  std::vector<Hypothesis> out = models::greedy_decode(model, padded({{3, 4, 5}}, 3), {.max_length = 4});
  EXPECT_EQ(out[0].tokens, (Tokens{3, 3, 3, 3}));
  EXPECT_FALSE(out[0].finished);
  EXPECT_NEAR(out[0].score, 4 * log_prob(table, {3, 4, 5}, {}, 3), 1e-5);

  // The default limit is 2·S + 10 tokens.
  out = models::greedy_decode(model, padded({{3, 4, 5}}, 3));
  EXPECT_EQ(out[0].tokens.size(), 16u);
  EXPECT_FALSE(out[0].finished);
}

TEST(Decode, EosMayFollowMaxLengthTokens) {
  // EOS comes after exactly four tokens: max_length = 4 does not count it, so this finishes.
  // Before that EOS is so unlikely that no beam ever keeps it.
  Table table = [](const Tokens&, const Tokens& prefix) {
    std::vector<float> logits(6, 0.0f);
    logits[kPad] = logits[kBos] = -std::numeric_limits<float>::infinity();
    logits[3] = prefix.size() < 4 ? 5.0f : 0.0f;
    logits[kEos] = prefix.size() < 4 ? -20.0f : 5.0f;
    return logits;
  };
  for (int64_t beam_size : {1, 3}) {
    TableModel model(6, table);
    std::vector<Hypothesis> out = models::decode(model, padded({{3}}, 1), {.beam_size = beam_size, .max_length = 4});
    EXPECT_EQ(out[0].tokens, (Tokens{3, 3, 3, 3})) << beam_size;
    EXPECT_TRUE(out[0].finished) << beam_size;
    out = models::decode(model, padded({{3}}, 1), {.beam_size = beam_size, .max_length = 3});
    EXPECT_EQ(out[0].tokens, (Tokens{3, 3, 3})) << beam_size;
    EXPECT_FALSE(out[0].finished) << beam_size;
    EXPECT_NEAR(out[0].score, sequence_log_prob(table, {3}, {3, 3, 3}, false), 1e-5);
  }
}

// ---- beam search ----

TEST(Decode, BeamPrefersAFinishedHypothesisToAnUnfinishedOne) {
  // Ending at once is unlikely (p 0.05), but it is the only hypothesis that ends within
  // max_length = 3; the likely 3 3 3 (p 0.95³) is cut off unfinished. The finished one wins.
  Table table = table_of(6, {{{}, {{kEos, 0.05}, {3, 0.95}}}}, {{3, 0.95}, {4, 0.05}});
  TableModel model(6, table);
  Hypothesis out = models::beam_search(model, padded({{3}}, 1), {.beam_size = 2, .length_penalty = 0.0f, .max_length = 3})[0];
  EXPECT_EQ(out.tokens, Tokens{});
  EXPECT_TRUE(out.finished);
  EXPECT_NEAR(out.score, log_prob(table, {3}, {}, kEos), 1e-5);
  Hypothesis greedy = models::greedy_decode(model, padded({{3}}, 1), {.max_length = 3})[0];
  EXPECT_EQ(greedy.tokens, (Tokens{3, 3, 3}));
  EXPECT_FALSE(greedy.finished);
}

TEST(Decode, BeamOfOneEqualsGreedy) {
  const std::vector<Tokens> sources = {{3, 4}, {5}, {4, 4, 3}};
  for (uint64_t seed = 0; seed < 40; ++seed)
    for (float alpha : {0.0f, 0.6f, 2.0f}) {
      TableModel model(7, random_table(seed, 7), 2, 3);
      DecodeOptions options{.beam_size = 1, .length_penalty = alpha, .max_length = 4, .need_attention = true};
      std::vector<Hypothesis> greedy = models::greedy_decode(model, padded(sources, 3), options);
      std::vector<Hypothesis> beam = models::beam_search(model, padded(sources, 3), options);
      for (size_t b = 0; b < sources.size(); ++b) expect_same(beam[b], greedy[b]);
    }
}

TEST(Decode, BeamFindsTheGardenPath) {
  // Greedy takes 3 (p 0.6) and then has only spread-out choices (≤ 0.34): total ≤ 0.204. The
  // second choice 4 (p 0.4) ends at once with p 0.9: total 0.36. Beam search must find it.
  Table table = table_of(8, {{{}, {{3, 0.6}, {4, 0.4}}},
                             {{3}, {{5, 0.34}, {6, 0.33}, {7, 0.33}}},
                             {{4}, {{kEos, 0.9}, {5, 0.1}}}});
  TableModel model(8, table);
  Hypothesis greedy = models::decode(model, padded({{3}}, 1))[0];
  Hypothesis beam = models::decode(model, padded({{3}}, 1), {.beam_size = 2, .length_penalty = 0.0f})[0];
  EXPECT_EQ(greedy.tokens, (Tokens{3, 5}));
  EXPECT_EQ(beam.tokens, (Tokens{4}));
  EXPECT_TRUE(beam.finished);
  EXPECT_NEAR(beam.score, std::log(0.4 * 0.9), 1e-4);
  EXPECT_NEAR(beam.score, sequence_log_prob(table, {3}, {4}, true), 1e-5);
  EXPECT_GT(beam.score, greedy.score);
}

TEST(Decode, BeamSearchAgainstExhaustiveSearch) {
  // With alpha = 0 and a beam wider than every step's candidates, beam search is exact search;
  // narrower beams can only do worse, and every score is the sum of its tokens' log-probabilities.
  const int64_t vocab = 6, max_length = 4;
  const std::vector<Tokens> sources = {{3}, {4, 5, 3}};
  for (uint64_t seed = 0; seed < 30; ++seed) {
    Table table = random_table(seed + 100, vocab);
    TableModel model(vocab, table);
    std::vector<Hypothesis> greedy = models::decode(model, padded(sources, 3), {.max_length = max_length});
    for (int64_t beam_size : {2, 3, 500}) {
      std::vector<Hypothesis> beam = models::decode(
          model, padded(sources, 3), {.beam_size = beam_size, .length_penalty = 0.0f, .max_length = max_length});
      for (size_t b = 0; b < sources.size(); ++b) {
        Best best;
        Tokens prefix;
        exhaustive_search(table, sources[b], vocab, max_length, prefix, 0.0, best);
        const Hypothesis& found = beam[b];
        EXPECT_TRUE(found.finished);
        EXPECT_NEAR(found.score, sequence_log_prob(table, sources[b], found.tokens, true), 1e-4);
        EXPECT_LE(found.score, best.score + 1e-4);
        if (beam_size == 500) {
          EXPECT_EQ(found.tokens, best.tokens) << "seed " << seed;
          EXPECT_GE(found.score, greedy[b].score - 1e-5);
        }
      }
    }
  }
}

TEST(Decode, BatchedEqualsAlone) {
  // Sources of different lengths, padded to S = 4 together; alone, each has no padding.
  const std::vector<Tokens> sources = {{3}, {4, 5, 3, 6}, {6, 6}, {5, 4, 3}};
  for (uint64_t seed = 0; seed < 10; ++seed)
    for (int64_t beam_size : {1, 3}) {
      TableModel model(7, random_table(seed, 7));
      DecodeOptions options{.beam_size = beam_size, .max_length = 6, .need_attention = true};
      std::vector<Hypothesis> together = models::decode(model, padded(sources, 4), options);
      ASSERT_EQ(together.size(), sources.size());
      for (size_t b = 0; b < sources.size(); ++b) {
        const auto length = static_cast<int64_t>(sources[b].size());
        Hypothesis alone = models::decode(model, padded({sources[b]}, length), options)[0];
        EXPECT_EQ(together[b].tokens, alone.tokens);
        EXPECT_FLOAT_EQ(together[b].score, alone.score);
        EXPECT_EQ(together[b].finished, alone.finished);
        expect_attention_follows_tokens(together[b], sources[b], 1, 1, 4);
        expect_attention_follows_tokens(alone, sources[b], 1, 1, length);
      }
    }
}

TEST(Decode, LengthPenaltyPrefersTheLongerHypothesis) {
  // Ending at once: p 0.45 (log −0.80, len 1). Going on: 3 4 5 EOS, p 0.55·0.9³ = 0.40 (log −0.91,
  // len 4). Raw sums prefer the short one; alpha = 1 divides the long one by (5+4)/6 = 1.5.
  Table table = table_of(8, {{{}, {{kEos, 0.45}, {3, 0.55}}},
                             {{3}, {{4, 0.9}, {kEos, 0.1}}},
                             {{3, 4}, {{5, 0.9}, {kEos, 0.1}}},
                             {{3, 4, 5}, {{kEos, 0.9}, {6, 0.1}}}});
  TableModel model(8, table);
  Hypothesis raw = models::beam_search(model, padded({{3}}, 1), {.beam_size = 2, .length_penalty = 0.0f})[0];
  EXPECT_EQ(raw.tokens, Tokens{});
  EXPECT_NEAR(raw.score, std::log(0.45), 1e-4);
  Hypothesis penalised = models::beam_search(model, padded({{3}}, 1), {.beam_size = 2, .length_penalty = 1.0f})[0];
  EXPECT_EQ(penalised.tokens, (Tokens{3, 4, 5}));
  EXPECT_TRUE(penalised.finished);
  EXPECT_NEAR(penalised.score, sequence_log_prob(table, {3}, {3, 4, 5}, true), 1e-5);  // the raw sum
}

TEST(Decode, AttentionFollowsTheBackPointers) {
  // Random tables make beams overtake and copy one another at every step; each hypothesis's
  // attention must still be, step by step, the pattern of its own prefix.
  const std::vector<Tokens> sources = {{3, 4}, {5}, {4, 6, 3}};
  for (uint64_t seed = 0; seed < 30; ++seed)
    for (int64_t beam_size : {1, 3, 5}) {
      TableModel model(8, random_table(seed + 7, 8), 2, 3);
      std::vector<Hypothesis> out = models::decode(
          model, padded(sources, 3), {.beam_size = beam_size, .max_length = 3 + static_cast<int64_t>(seed % 3), .need_attention = true});
      for (size_t b = 0; b < sources.size(); ++b) expect_attention_follows_tokens(out[b], sources[b], 2, 3, 3);
    }
}

TEST(Decode, BeamStopsWhenNoAliveBeamCanWin) {
  // Sentence 3 ends at step 1 (EOS 0.9 beats every alive beam); sentence 4 goes on one step alone.
  std::map<int64_t, Table> by_source = {{3, table_of(6, {{{}, {{kEos, 0.9}, {3, 0.1}}}})},
                                        {4, table_of(6, {{{}, {{3, 0.9}, {kEos, 0.1}}}})}};
  Table table = [&](const Tokens& source, const Tokens& prefix) { return by_source.at(source[0])(source, prefix); };
  TableModel model(6, table);
  std::vector<Hypothesis> out =
      models::beam_search(model, padded({{3}, {4}}, 1), {.beam_size = 3, .length_penalty = 0.0f, .max_length = 50});
  EXPECT_EQ(out[0].tokens, Tokens{});
  EXPECT_EQ(out[1].tokens, Tokens{3});
  EXPECT_EQ(model.steps, 2);
  // Step 1: one row per sentence. Step 2: sentence 4's two alive beams (3, and the best of the
  // unlikely tokens; its EOS candidate finished).
  EXPECT_EQ(model.rows_stepped, 2 + 2);
}

// ---- the model's position limit ----

TEST(Decode, TheDefaultLengthStopsAtTheModelsPositions) {
  // 6 positions: BOS and at most 5 tokens, though the default limit (2·3 + 10) asks for 16.
  manual_seed(3);
  models::Transformer model({.source_vocab_size = 8, .target_vocab_size = 8, .d_model = 8, .nhead = 2,
                             .num_encoder_layers = 1, .num_decoder_layers = 1, .dim_feedforward = 16,
                             .dropout = 0.0f, .max_length = 6});
  model.eval();
  for (int64_t beam_size : {1, 3}) {
    for (int64_t max_length : {0, 40}) {
      std::vector<Hypothesis> out = models::decode(model, padded({{3, 4, 5}, {6, 7}}, 3),
                                                   {.beam_size = beam_size, .max_length = max_length});
      ASSERT_EQ(out.size(), 2u);
      for (const Hypothesis& hypothesis : out) EXPECT_LE(hypothesis.tokens.size(), 5u) << beam_size;
    }
  }
  // A source longer than the position table is an error naming both lengths.
  expect_error([&] { models::decode(model, padded({{3, 4, 5, 6, 7, 3, 4}}, 7)); },
               {"greedy_decode", "sources of 7 tokens", "at most 6 positions"});
}

// ---- errors ----

TEST(Decode, RejectsBadArguments) {
  TableModel model(6, random_table(0, 6));
  Tensor src = padded({{3, 4}}, 2);
  expect_error([&] { models::beam_search(model, src, {.beam_size = 0}); }, {"beam_search", "beam_size is 0"});
  expect_error([&] { models::decode(model, src, {.beam_size = -2}); }, {"beam_size is -2"});
  expect_error([&] { models::greedy_decode(model, src, {.max_length = -1}); }, {"greedy_decode", "max_length is -1"});
  expect_error([&] { models::beam_search(model, src, {.beam_size = 2, .length_penalty = -1.0f}); }, {"length_penalty"});
  expect_error([&] { models::decode(model, from_vector({3.f, 4.f}, {1, 2})); }, {"greedy_decode", "float32", "int64"});
  expect_error([&] { models::decode(model, from_vector(Tokens{3, 4})); }, {"greedy_decode", "[2]", "(B, S)"});
  expect_error([&] { models::decode(model, Tensor(), {.beam_size = 2}); }, {"beam_search", "undefined"});
}

TEST(Decode, RejectsBadModelOutputs) {
  TableModel broken(6, random_table(0, 6));
  broken.broken_logits = true;
  expect_error([&] { models::greedy_decode(broken, padded({{3}}, 1)); }, {"greedy_decode", "logits", "[2, 5]"});
  Table nan_table = [](const Tokens&, const Tokens&) {
    std::vector<float> logits(6, 0.0f);
    logits[4] = std::numeric_limits<float>::quiet_NaN();
    return logits;
  };
  TableModel nan_model(6, nan_table);
  for (int64_t beam_size : {1, 2})
    expect_error([&] { models::decode(nan_model, padded({{3}}, 1), {.beam_size = beam_size}); }, {"NaN"});
}

}  // namespace
}  // namespace heed
