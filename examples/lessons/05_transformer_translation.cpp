// Lesson 5: train a small Transformer on a toy task, then translate with it.
//
// The task "reverse" maps a sequence of symbols to the same symbols backwards ("c a f" -> "f a c").
// Text becomes token ids through a vocabulary per side (train::TextSide); the model is an
// encoder-decoder Transformer; train::Trainer runs the loop of lesson 3 over padded batches with
// warmup, label smoothing and clipping, and validates; train::Translator decodes greedily, one
// token at a time, feeding each predicted token back in. Nothing here looks at the answer.
//
//   ./build/bin/lesson_05_transformer_translation        (600 updates: 1 to 3 minutes on 2 cores)
//   ./build/bin/lesson_05_transformer_translation 20     (20 updates: the mechanics, no learning)
//
// The `heed train` command does all this with options; examples/transformer_copy.cpp writes out the
// loop by hand. Code to open: models/transformer.cpp, train/trainer.cpp, models/decode.cpp.
#include <cstdio>
#include <cstdlib>

#include <heed/heed.h>

using namespace heed;

int main(int argc, char** argv) {
  const int64_t updates = argc > 1 ? std::atoll(argv[1]) : 600;
  data::ToyTask task = data::make_task("reverse", {.seed = 1, .train_size = 4000, .valid_size = 200, .test_size = 200});
  fmt::print("{} training pairs, e.g. \"{}\" -> \"{}\"\n", task.train.size(), task.train[0].first,
             task.train[0].second);

  // Each side's tokenizer and vocabulary, built from the training sentences only.
  train::TextSide source = train::build_text_side(train::sources_of(task.train), {.tokenizer = "words"});
  train::TextSide target = train::build_text_side(train::targets_of(task.train), {.tokenizer = "words"});

  // A small pre-norm Transformer: 2 + 2 layers of width 64.
  manual_seed(1);
  auto model = std::make_shared<models::Transformer>(models::TransformerConfig{
      .source_vocab_size = source.vocab.size(), .target_vocab_size = target.vocab.size(), .d_model = 64,
      .nhead = 4, .num_encoder_layers = 2, .num_decoder_layers = 2, .dim_feedforward = 128, .dropout = 0.1f});
  fmt::print("{} parameters\n", model->parameter_count());
  train::Translator translator(model, std::move(source), std::move(target));

  // The training loop: batches of up to 2048 tokens, AdamW, warmup then 1/√step decay.
  train::Trainer trainer(translator, {.steps = updates, .lr = 2e-3f, .warmup = std::max<int64_t>(1, updates / 10),
                                      .log_every = std::max<int64_t>(1, updates / 6), .eval_sentences = 100});
  train::TrainHistory history = trainer.fit(task.train, task.valid);
  for (const train::StepRecord& s : history.steps) fmt::print("step {:4}  loss {:.3f}\n", s.step, s.loss);
  const train::ValidationRecord& last = history.validations.back();
  fmt::print("validation: loss {:.3f}, exact match {:.1f}%\n", last.loss, 100 * last.exact_match);

  // Translate held-out sequences the model never saw.
  std::vector<std::string> sentences;
  for (size_t i = 0; i < 4; ++i) sentences.push_back(task.test[i].first);
  std::vector<train::Translation> out = translator.translate(sentences, {});
  for (size_t i = 0; i < out.size(); ++i)
    fmt::print("  {:<22} -> {:<22} (expected {})\n", sentences[i], out[i].text, task.test[i].second);
  const train::EvalScores scores = translator.evaluate(task.test, {});
  fmt::print("test: exact match {:.1f}% of {} sequences\n", 100 * scores.exact_match, scores.count);
  return 0;
}
