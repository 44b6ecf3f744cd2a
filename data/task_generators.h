// Inside data/tasks.cpp's registry: one generator per task family, each in its own file, and the
// seeded random numbers they share. Not part of the public API (heed.h does not include it).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "heed/data/tasks.h"

namespace heed::data::detail {

// Portable seeded randomness: std::mt19937_64's output sequence is fixed by the standard, the
// std::*_distribution classes are not, so tasks draw through these instead.
class TaskRandom {
 public:
  explicit TaskRandom(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, n), n > 0 (rejection sampling, no modulo bias).
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t draw;
    do draw = engine_(); while (draw >= limit);
    return draw % n;
  }
  // Uniform in [low, high].
  int64_t between(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(below(static_cast<uint64_t>(high - low) + 1));
  }
  template <class T>
  const T& pick(const std::vector<T>& items) { return items[below(items.size())]; }

 private:
  std::mt19937_64 engine_;
};

// The sizes of a task's splits when TaskOptions leaves them at 0.
struct SplitSizes {
  int64_t train = 20000, valid = 500, test = 500;
};

// Fills task.train, valid and test: calls `draw` (seeded by options.seed) until it has
// train + valid + test distinct source sentences, shuffles them and splits them, so no source
// appears twice. heed::Error if `draw` keeps repeating itself before reaching that many.
void draw_splits(ToyTask& task, const TaskOptions& options,
                 const std::function<SentencePair(TaskRandom&)>& draw, SplitSizes defaults = {});

ToyTask make_symbol_task(const std::string& name, const TaskOptions& options);  // copy, reverse, sort
ToyTask make_dates_task(const TaskOptions& options);
ToyTask make_numbers_fr_task(const TaskOptions& options);
ToyTask make_grammar_fr_task(const TaskOptions& options);

}  // namespace heed::data::detail
