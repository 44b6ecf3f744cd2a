// train::shard_rows and train::rank_seed: how a data-parallel run splits batches and random streams.
#include "heed/train/replicas.h"

#include <algorithm>

#include "heed/core/error.h"
#include "heed/core/random.h"

namespace heed::train {

std::pair<int64_t, int64_t> shard_rows(int64_t rows, int rank, int ranks) {
  HEED_CHECK(ranks >= 1 && rank >= 0 && rank < ranks && rows >= 0, "shard_rows",
             "rank {} of {} ranks, {} rows: expected 0 <= rank < ranks and rows >= 0", rank, ranks, rows);
  // The first rows % ranks shards get one row more.
  const int64_t base = rows / ranks, extra = rows % ranks;
  auto begin = [&](int64_t r) { return r * base + std::min(r, extra); };
  return {begin(rank), begin(rank + 1)};
}

uint64_t rank_seed(uint64_t seed, int rank) {
  return rank == 0 ? seed : random_bits(seed, 0xd157'0000'0000ULL + static_cast<uint64_t>(rank));
}

}  // namespace heed::train
