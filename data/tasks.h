// Built-in toy translation tasks, generated from a seed: the same seed gives the same data, and
// the train, valid and test splits never share a source sentence.
//
//   data::ToyTask task = data::make_task("numbers-fr", {.seed = 1});
//   task.train[0]               // {"71", "soixante et onze"}
//   data::write_task_tsv(task, "out/")   // out/train.tsv, out/valid.tsv, out/test.tsv
//
// The tasks:
//   copy        symbol sequences (10 symbols, lengths 1..10) copied      words tokenizer
//   reverse     the same, reversed                                         words
//   sort        the same, sorted                                           words
//   dates       a date in many human formats -> ISO 8601 (YYYY-MM-DD)      chars
//   numbers-fr  an integer below a million -> its French words             chars -> words
//   grammar-fr  English sentences of a small grammar -> French; the held-out
//               splits use word combinations never seen in training       words
#pragma once

#include <string>
#include <vector>

#include "heed/data/tsv.h"

namespace heed::data {

struct TaskOptions {
  uint64_t seed = 1;
  int64_t train_size = 0;  // 0: the task's default size
  int64_t valid_size = 0;
  int64_t test_size = 0;
};

struct ToyTask {
  std::string name;
  std::string source_tokenizer;  // "words" or "chars": the kind that suits the task (data/tokenizer.h)
  std::string target_tokenizer;
  std::vector<SentencePair> train, valid, test;
};

// The task names, in the order above.
std::vector<std::string> task_names();
// heed::Error listing the task names for an unknown name.
ToyTask make_task(const std::string& name, const TaskOptions& options = {});
// Writes dir/train.tsv, dir/valid.tsv and dir/test.tsv (creating dir).
void write_task_tsv(const ToyTask& task, const std::string& dir);

// The tasks' building blocks, public so tests and users can check them:
// the French words of 0 <= n < 1 000 000 (1990 spelling reform not applied: "vingt et un",
// "quatre-vingts", "soixante-dix", "deux cents", "deux cent un", "mille", "deux mille").
std::string french_number(int64_t n);

}  // namespace heed::data
