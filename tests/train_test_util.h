// Shared by the train/ tests: a small reversal corpus ("a c b" -> "b c a"), tiny translators
// built on it, untrained, so tests stay fast, and two training observers.
#pragma once

#include <atomic>
#include <random>
#include <string>
#include <vector>

#include "heed/core/random.h"
#include "heed/train/model_config.h"
#include "heed/train/text_side.h"
#include "heed/train/trainer.h"
#include "heed/train/translator.h"

namespace heed::testing {

// `count` pairs of 1..max_length symbols from {a..f}, target reversed; the same every call.
inline std::vector<data::SentencePair> reversal_pairs(size_t count, int max_length = 5, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::vector<data::SentencePair> pairs;
  for (size_t i = 0; i < count; ++i) {
    const int length = 1 + static_cast<int>(rng() % static_cast<unsigned>(max_length));
    std::vector<std::string> symbols;
    for (int j = 0; j < length; ++j) symbols.push_back(std::string(1, static_cast<char>('a' + rng() % 6)));
    std::string source, target;
    for (int j = 0; j < length; ++j) {
      source += (j ? " " : "") + symbols[static_cast<size_t>(j)];
      target += (j ? " " : "") + symbols[static_cast<size_t>(length - 1 - j)];
    }
    pairs.emplace_back(source, target);
  }
  return pairs;
}

inline models::LSTMSeq2SeqConfig tiny_lstm(int64_t source_vocab, int64_t target_vocab) {
  return {.source_vocab_size = source_vocab, .target_vocab_size = target_vocab, .embedding_size = 16,
          .hidden_size = 32, .num_layers = 1, .bidirectional_encoder = true,
          .attention = models::RnnAttentionKind::Additive, .input_feeding = true, .dropout = 0.0f, .special = {}};
}

inline models::TransformerConfig tiny_transformer(int64_t source_vocab, int64_t target_vocab) {
  return {.source_vocab_size = source_vocab, .target_vocab_size = target_vocab, .d_model = 16, .nhead = 2,
          .num_encoder_layers = 1, .num_decoder_layers = 2, .dim_feedforward = 32, .dropout = 0.0f};
}

// A translator for `pairs` (words on both sides), its model from `make_config(source, target vocab sizes)`.
template <class MakeConfig>
train::Translator tiny_translator(const std::vector<data::SentencePair>& pairs, MakeConfig make_config,
                                  uint64_t seed = 3) {
  train::TextSide source = train::build_text_side(train::sources_of(pairs), {.tokenizer = "words"});
  train::TextSide target = train::build_text_side(train::targets_of(pairs), {.tokenizer = "words"});
  manual_seed(seed);
  train::ModelConfig config = make_config(source.vocab.size(), target.vocab.size());
  return train::Translator(train::make_model(config), std::move(source), std::move(target));
}

// The loss of every update (each running record, the updates since the last one, is one update).
struct LossLog : train::TrainObserver {
  std::vector<double> losses;
  void on_step(const train::StepRecord& running) override { losses.push_back(running.loss); }
};

// Sets `flag` after update `at`, as a signal handler would.
struct StopAt : train::TrainObserver {
  std::atomic<bool>& flag;
  int64_t at;
  StopAt(std::atomic<bool>& f, int64_t a) : flag(f), at(a) {}
  void on_step(const train::StepRecord& running) override {
    if (running.step == at) flag = true;
  }
};

}  // namespace heed::testing
