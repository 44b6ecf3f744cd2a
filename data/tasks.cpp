// The toy-task registry: task names, make_task's dispatch and option checks, the shared drawing
// of distinct examples into disjoint splits, and writing a task out as TSV files. The generators
// themselves live one family a file: symbol_tasks.cpp, dates_task.cpp, numbers_fr_task.cpp,
// grammar_fr_task.cpp.
#include "heed/data/tasks.h"

#include <filesystem>
#include <unordered_set>
#include <utility>

#include "heed/core/allocator.h"
#include "heed/core/error.h"
#include "heed/data/task_generators.h"
#include "heed/data/tsv.h"

namespace heed::data {

std::vector<std::string> task_names() {
  return {"copy", "reverse", "sort", "dates", "numbers-fr", "grammar-fr"};
}

ToyTask make_task(const std::string& name, const TaskOptions& options) {
  HEED_CHECK(options.train_size >= 0 && options.valid_size >= 0 && options.test_size >= 0, "make_task",
             "split sizes must be >= 0 (0 means the task's default); got train {}, valid {}, test {}",
             options.train_size, options.valid_size, options.test_size);
  if (name == "copy" || name == "reverse" || name == "sort") return detail::make_symbol_task(name, options);
  if (name == "dates") return detail::make_dates_task(options);
  if (name == "numbers-fr") return detail::make_numbers_fr_task(options);
  if (name == "grammar-fr") return detail::make_grammar_fr_task(options);
  throw Error(fmt::format("make_task: unknown task '{}'; the tasks are {}", name, fmt::join(task_names(), ", ")));
}

void write_task_tsv(const ToyTask& task, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  HEED_CHECK(!error, "write_task_tsv", "cannot create the directory '{}' for task '{}': {}", dir, task.name,
             error.message());
  const std::filesystem::path root(dir);
  write_parallel_tsv((root / "train.tsv").string(), task.train);
  write_parallel_tsv((root / "valid.tsv").string(), task.valid);
  write_parallel_tsv((root / "test.tsv").string(), task.test);
}

namespace detail {
namespace {

// Bytes one pair takes while the splits are drawn: the pair twice (in the drawing order, then in
// its split) and its source once more in the set of sources seen, each string with its characters.
double pair_bytes(const SentencePair& pair) {
  const auto string_bytes = [](const std::string& s) { return static_cast<double>(sizeof(std::string) + s.size() + 1); };
  const double source = string_bytes(pair.first), target = string_bytes(pair.second);
  constexpr double kSetEntry = 32;  // the set's node and bucket
  return 2 * (source + target) + source + kSetEntry;
}

// Refuses splits whose pairs would not fit in available_memory(), estimating a pair's bytes from a
// sample drawn from a copy of `random` (so the task's pairs stay those of its seed).
void check_splits_fit_in_memory(const ToyTask& task, const SplitSizes& sizes, TaskRandom random,
                                const std::function<SentencePair(TaskRandom&)>& draw) {
  constexpr int kSample = 64;
  double sample_bytes = 0;
  for (int i = 0; i < kSample; ++i) sample_bytes += pair_bytes(draw(random));
  const double bytes_per_pair = sample_bytes / kSample;
  const double total = static_cast<double>(sizes.train) + static_cast<double>(sizes.valid) + static_cast<double>(sizes.test);
  const double available = static_cast<double>(available_memory());
  HEED_CHECK(total * bytes_per_pair <= available, "make_task",
             "task '{}': train {} + valid {} + test {} pairs would take about {:.3g} GiB ({:.0f} bytes a pair), more "
             "than the {:.3g} GiB of memory available; ask for fewer",
             task.name, sizes.train, sizes.valid, sizes.test, total * bytes_per_pair / (1 << 30), bytes_per_pair,
             available / (1 << 30));
}

}  // namespace

void draw_splits(ToyTask& task, const TaskOptions& options,
                 const std::function<SentencePair(TaskRandom&)>& draw, SplitSizes defaults) {
  const SplitSizes sizes{options.train_size > 0 ? options.train_size : defaults.train,
                         options.valid_size > 0 ? options.valid_size : defaults.valid,
                         options.test_size > 0 ? options.test_size : defaults.test};
  TaskRandom random(options.seed);
  check_splits_fit_in_memory(task, sizes, random, draw);
  const int64_t total = sizes.train + sizes.valid + sizes.test;
  // Generous for any task whose space of sources is much larger than the request; a request near
  // or beyond the space's size runs out of draws and is refused instead of looping for ever.
  const int64_t max_draws = 10 * total + 10000;
  std::unordered_set<std::string> seen;
  std::vector<SentencePair> pairs;
  pairs.reserve(static_cast<size_t>(total));
  for (int64_t draws = 0; static_cast<int64_t>(pairs.size()) < total; ++draws) {
    HEED_CHECK(draws < max_draws, "make_task",
               "task '{}' gave only {} distinct source sentences in {} draws, but train {} + valid {} + test {} = "
               "{} were requested; ask for fewer",
               task.name, pairs.size(), draws, sizes.train, sizes.valid, sizes.test, total);
    SentencePair pair = draw(random);
    if (seen.insert(pair.first).second) pairs.push_back(std::move(pair));
  }
  // Sources that are easy to exhaust (the short ones) come early in the drawing order; shuffling
  // (Fisher-Yates) gives each split its fair share of them.
  for (size_t i = pairs.size() - 1; i > 0; --i) std::swap(pairs[i], pairs[random.below(i + 1)]);
  const auto begin = pairs.begin();
  const auto valid_begin = begin + sizes.train, test_begin = valid_begin + sizes.valid;
  task.train.assign(begin, valid_begin);
  task.valid.assign(valid_begin, test_begin);
  task.test.assign(test_begin, pairs.end());
}

}  // namespace detail
}  // namespace heed::data
