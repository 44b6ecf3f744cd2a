// train::Translator: batched decoding in source-length order, and scoring against references.
#include "heed/train/translator.h"

#include <algorithm>
#include <numeric>

#include "heed/core/autograd.h"
#include "heed/core/error.h"
#include "heed/data/batch.h"
#include "heed/data/metrics.h"
#include "heed/ops/shape.h"
#include "heed/train/eval_mode.h"

namespace heed::train {

namespace {

std::vector<std::string> tokens_of(const data::Vocab& vocab, const std::vector<int64_t>& ids) {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) tokens.push_back(vocab.token(id));
  return tokens;
}

}  // namespace

Translator::Translator(std::shared_ptr<models::Seq2Seq> model, TextSide source, TextSide target)
    : model_(std::move(model)), source_(std::move(source)), target_(std::move(target)) {
  HEED_CHECK(model_ != nullptr, "Translator", "no model");
  HEED_CHECK(source_.tokenizer && target_.tokenizer, "Translator", "a text side has no tokenizer");
  HEED_CHECK(model_->source_vocab_size() == source_.vocab.size(), "Translator",
             "the model reads {} source ids but the source vocabulary has {} tokens",
             model_->source_vocab_size(), source_.vocab.size());
  HEED_CHECK(model_->target_vocab_size() == target_.vocab.size(), "Translator",
             "the model writes {} target ids but the target vocabulary has {} tokens",
             model_->target_vocab_size(), target_.vocab.size());
  const models::SpecialIds special = model_->special_ids();
  HEED_CHECK(special.pad == data::Vocab::pad_id && special.bos == data::Vocab::bos_id &&
                 special.eos == data::Vocab::eos_id,
             "Translator", "the model's special ids (pad {}, bos {}, eos {}) differ from the vocabulary's ({}, {}, {})",
             special.pad, special.bos, special.eos, data::Vocab::pad_id, data::Vocab::bos_id, data::Vocab::eos_id);
}

std::vector<data::Example> Translator::encode(const std::vector<data::SentencePair>& pairs) const {
  return data::encode_pairs(pairs, *source_.tokenizer, *target_.tokenizer, source_.vocab, target_.vocab);
}

std::vector<Translation> Translator::translate(const std::vector<std::string>& texts,
                                               const models::DecodeOptions& decode,
                                               const TranslateOptions& options) const {
  HEED_CHECK(options.max_tokens > 0 && options.max_rows > 0, "Translator::translate",
             "max_tokens ({}) and max_rows ({}) must be positive", options.max_tokens, options.max_rows);
  std::vector<Translation> out(texts.size());
  std::vector<data::Example> examples;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<int64_t> ids = source_.encode(texts[i]);
    if (ids.empty()) continue;  // nothing to translate: an empty translation
    examples.push_back({.source = std::move(ids), .target = {}, .index = static_cast<int64_t>(i)});
  }
  std::stable_sort(examples.begin(), examples.end(),
                   [](const data::Example& a, const data::Example& b) { return a.source.size() < b.source.size(); });

  EvalModeGuard eval_mode(*model_);
  NoGradGuard no_grad;
  size_t begin = 0;
  while (begin < examples.size()) {
    // Sorted by length, so the last row of a batch is its longest. The default length limit
    // depends on the batch's width: then only sentences of one length share a batch, so that a
    // translation never depends on the sentences translated with it.
    size_t end = begin + 1;
    while (end < examples.size() && static_cast<int64_t>(end - begin) < options.max_rows &&
           static_cast<int64_t>((end - begin + 1) * examples[end].source.size()) <= options.max_tokens &&
           (decode.max_length > 0 || examples[end].source.size() == examples[begin].source.size()))
      ++end;
    std::vector<data::Example> rows(examples.begin() + static_cast<std::ptrdiff_t>(begin),
                                    examples.begin() + static_cast<std::ptrdiff_t>(end));
    const data::Batch batch = data::make_batch(rows);
    const std::vector<models::Hypothesis> hypotheses = models::decode(*model_, batch.src, decode);
    const std::vector<int64_t> src = batch.src.to_vector<int64_t>();
    const int64_t width = batch.src.size(1);
    for (size_t r = 0; r < rows.size(); ++r) {
      Translation& translation = out[static_cast<size_t>(rows[r].index)];
      const models::Hypothesis& hypothesis = hypotheses[r];
      std::vector<int64_t> source_ids;
      for (int64_t s = 0; s < width; ++s) {
        int64_t id = src[r * static_cast<size_t>(width) + static_cast<size_t>(s)];
        if (id != data::Vocab::pad_id) source_ids.push_back(id);
      }
      translation.source_tokens = tokens_of(source_.vocab, source_ids);
      translation.tokens = tokens_of(target_.vocab, hypothesis.tokens);
      translation.text = target_.decode(hypothesis.tokens);
      translation.score = hypothesis.score;
      translation.finished = hypothesis.finished;
      if (decode.need_attention && hypothesis.attention.defined())  // (steps, L, H, S) -> S unpadded
        translation.attention = ops::contiguous(
            ops::slice(hypothesis.attention, 3, 0, static_cast<int64_t>(source_ids.size())));
    }
    begin = end;
  }
  return out;
}

EvalScores Translator::evaluate(const std::vector<data::SentencePair>& pairs, const models::DecodeOptions& decode,
                                const TranslateOptions& options) const {
  HEED_CHECK(!pairs.empty(), "Translator::evaluate", "no sentence pairs to score");
  std::vector<std::string> sources;
  sources.reserve(pairs.size());
  for (const auto& [source, target] : pairs) sources.push_back(source);
  models::DecodeOptions without_attention = decode;
  without_attention.need_attention = false;
  const std::vector<Translation> translations = translate(sources, without_attention, options);

  std::vector<data::Tokens> hypotheses, references;
  for (size_t i = 0; i < pairs.size(); ++i) {
    hypotheses.push_back(target_.metric_tokens(translations[i].text));
    references.push_back(target_.metric_tokens(pairs[i].second));
  }
  return {.exact_match = data::exact_match(hypotheses, references),
          .bleu = data::corpus_bleu(hypotheses, references),
          .token_accuracy = data::token_accuracy(hypotheses, references),
          .count = static_cast<int64_t>(pairs.size())};
}

}  // namespace heed::train
