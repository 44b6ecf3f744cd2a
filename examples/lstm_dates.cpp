// An LSTM encoder-decoder with additive (Bahdanau) attention learns to read dates written in many
// human ways ("Wednesday, March 3, 2021", "3.3.2021", "3rd of March 2021") and write them as ISO
// 8601 ("2021-03-03"), character by character. This one uses heed's training loop (train::Trainer)
// and translator; examples/transformer_copy.cpp writes the loop out instead.
//
//   ./build/bin/lstm_dates              (800 updates, about a minute on 2 cores)
//   ./build/bin/lstm_dates 50           (a quick look)
//
// It prints progress and the held-out score, translates a few dates of its own, and draws the
// attention of the first one in lstm_dates_attention.svg: each output character looks at the
// part of the input it copies or converts.
#include <cstdio>
#include <cstdlib>

#include <heed/heed.h>

using namespace heed;

int main(int argc, char** argv) {
  const int64_t updates = argc > 1 ? std::atoll(argv[1]) : 800;
  data::ToyTask task = data::make_task("dates", {.seed = 1});

  // Characters in, characters out: each side gets its tokenizer and a vocabulary from the data.
  train::TextSide source = train::build_text_side(train::sources_of(task.train), {.tokenizer = "chars"});
  train::TextSide target = train::build_text_side(train::targets_of(task.train), {.tokenizer = "chars"});
  manual_seed(1);
  auto model = std::make_shared<models::LSTMSeq2Seq>(models::LSTMSeq2SeqConfig{
      .source_vocab_size = source.vocab.size(),
      .target_vocab_size = target.vocab.size(),
      .embedding_size = 64,
      .hidden_size = 128,
      .attention = models::RnnAttentionKind::Additive});
  std::printf("%s\n", model->to_string().c_str());
  train::Translator translator(model, std::move(source), std::move(target));

  train::Trainer trainer(translator, {.steps = updates, .max_tokens = 2048, .lr = 3e-3f, .warmup = 100,
                                      .eval_every = updates / 4});
  train::ProgressPrinter progress;
  trainer.add_observer(progress);
  trainer.fit(task.train, task.valid);

  train::EvalScores scores = translator.evaluate(task.test);
  std::printf("held-out exact match %.1f%% of %lld dates\n", 100 * scores.exact_match,
              static_cast<long long>(scores.count));

  std::vector<std::string> dates = {"Saturday, November 21, 2026", "21.11.2026", "1st of April 1999", "july 4 1976"};
  std::vector<train::Translation> translations = translator.translate(dates, {.need_attention = true});
  for (size_t i = 0; i < dates.size(); ++i) std::printf("  %-30s -> %s\n", dates[i].c_str(), translations[i].text.c_str());
  data::write_file_atomically("lstm_dates_attention.svg", train::heatmap_svg(train::attention_heatmap(translations[0])),
                              "lstm_dates");
  std::printf("attention of the first date: lstm_dates_attention.svg\n");
  return 0;
}
