// heed tasks (the built-in toy tasks: tokenizers, train / valid / test sizes, an example) and heed task NAME
// --out DIR (a task's splits as DIR/train.tsv, valid.tsv, test.tsv).
#include "commands.h"
#include "heed/data/tasks.h"
#include "usage.h"

namespace heed::cli {

namespace {

struct TaskFlags {
  std::string name, out;
  int64_t seed = 1, train_size = 0, valid_size = 0, test_size = 0;
};

int run_tasks() {
  for (const std::string& name : data::task_names()) {
    const data::ToyTask task = data::make_task(name);
    fmt::print("{:<11} {:>5} -> {:<5}  {:>5} / {} / {} pairs   e.g. {}  ->  {}\n", name, task.source_tokenizer,
               task.target_tokenizer, task.train.size(), task.valid.size(), task.test.size(), task.train.front().first,
               task.train.front().second);
  }
  return 0;
}

int run_task(const TaskFlags& f) {
  require(f.seed >= 0, "--seed must be >= 0 (got {})", f.seed);
  require(f.train_size >= 0 && f.valid_size >= 0 && f.test_size >= 0,
          "--train-size, --valid-size and --test-size must be >= 0");
  const data::ToyTask task = data::make_task(f.name, {.seed = static_cast<uint64_t>(f.seed), .train_size = f.train_size,
                                                      .valid_size = f.valid_size, .test_size = f.test_size});
  data::write_task_tsv(task, f.out);
  fmt::print("wrote {}/train.tsv ({} pairs), valid.tsv ({}), test.tsv ({})\n", f.out, task.train.size(),
             task.valid.size(), task.test.size());
  return 0;
}

}  // namespace

Runner add_tasks_command(CLI::App& /*command*/) { return run_tasks; }

Runner add_task_command(CLI::App& command) {
  auto f = std::make_shared<TaskFlags>();
  command.add_option("name", f->name, "the task (see heed tasks)")->required();
  command.add_option("--out", f->out, "the directory to write the TSV files into")->required();
  command.add_option("--seed", f->seed, "seed of the data")->capture_default_str();
  command.add_option("--train-size", f->train_size, "training pairs (0: the task's default)");
  command.add_option("--valid-size", f->valid_size, "validation pairs (0: default)");
  command.add_option("--test-size", f->test_size, "test pairs (0: default)");
  return [f] { return run_task(*f); };
}

}  // namespace heed::cli
