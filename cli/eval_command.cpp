// heed eval: a saved model's scores on a TSV test set, as one line
//   exact_match=98.20 bleu=97.31 token_accuracy=99.50
// all three percentages (0..100) with two decimals.
#include "commands.h"
#include "decode_flags.h"
#include "heed/data/tsv.h"
#include "load_model.h"
#include "usage.h"

namespace heed::cli {

namespace {

struct EvalFlags {
  std::string model_dir, test_file;
  bool skip_bad_lines = false;
  DecodeFlags decode;
};

int run_eval(const EvalFlags& f) {
  const models::DecodeOptions decode = f.decode.options();
  require_regular_file("--test", f.test_file);
  const train::Translator translator = load_model(f.model_dir);
  const data::ParallelCorpus corpus = data::read_parallel_tsv(f.test_file, {.skip_bad_lines = f.skip_bad_lines});
  require(!corpus.pairs.empty(), "--test {}: no sentence pairs in the file", f.test_file);
  if (corpus.skipped > 0) fmt::print(stderr, "heed: skipped {} bad line(s) of {}\n", corpus.skipped, f.test_file);
  const train::EvalScores scores = translator.evaluate(corpus.pairs, decode);
  fmt::print("exact_match={:.2f} bleu={:.2f} token_accuracy={:.2f}\n", 100 * scores.exact_match, scores.bleu,
             100 * scores.token_accuracy);
  return 0;
}

}  // namespace

Runner add_eval_command(CLI::App& command) {
  auto f = std::make_shared<EvalFlags>();
  command.footer("Prints exact_match=... bleu=... token_accuracy=..., all percentages.");
  command.add_option("--model", f->model_dir, "a model directory written by heed train")->required();
  command.add_option("--test", f->test_file, "test pairs, source<TAB>target a line")->required();
  command.add_flag("--skip-bad-lines", f->skip_bad_lines, "skip malformed lines instead of stopping");
  f->decode.add_to(command);
  return [f] { return run_eval(*f); };
}

}  // namespace heed::cli
