// docs/examples/train_reverse.cpp: the train room from C++, as docs/heed-command.md shows it: build the
// vocabularies, a Transformer and a Translator, train with progress lines, save, score with beam search.
// With no argument it runs 1000 updates on the task's default sizes; the test suite passes 20 (updates,
// and validation and test sentences).
#include <heed/heed.h>
#include <heed/data/tasks.h>
#include <heed/train/model_config.h>
#include <heed/train/model_dir.h>
#include <heed/train/progress.h>
#include <heed/train/trainer.h>

#include <string>

using namespace heed;

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::stoll(argv[1]) : 1000;
  const int64_t held_out = argc > 1 ? steps : 0;  // 0: the task's default sizes
  data::ToyTask task = data::make_task("reverse", {.valid_size = held_out, .test_size = held_out});
  train::TextSide source = train::build_text_side(train::sources_of(task.train), {.tokenizer = "words"});
  train::TextSide target = train::build_text_side(train::targets_of(task.train), {.tokenizer = "words"});
  manual_seed(1);
  auto model = train::make_model(models::TransformerConfig{
      .source_vocab_size = source.vocab.size(), .target_vocab_size = target.vocab.size(), .d_model = 64});
  train::Translator translator(model, source, target);

  train::Trainer trainer(translator, {.steps = steps, .lr = 1e-3f});
  train::ProgressPrinter progress;
  trainer.add_observer(progress);
  train::TrainHistory history = trainer.fit(task.train, task.valid);

  train::save_model_dir(translator, "runs/reverse");
  train::EvalScores scores = translator.evaluate(task.test, {.beam_size = 4});
  fmt::print("{} updates: exact_match={:.2f} bleu={:.2f}\n", history.steps.back().step, scores.exact_match, scores.bleu);
  return !history.steps.empty() && history.steps.back().step == steps && scores.count == static_cast<int64_t>(task.test.size()) ? 0 : 1;
}
