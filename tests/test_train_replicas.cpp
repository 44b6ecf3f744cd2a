// train::shard_rows and train::rank_seed: how a data-parallel run splits each batch and the random
// streams among its ranks (the MPI runs themselves are tests/mpi/).
#include "heed/train/replicas.h"

#include <set>

#include "test_util.h"

namespace heed {
namespace {

TEST(TrainReplicas, ShardsAreContiguousDisjointAndBalanced) {
  for (int ranks : {1, 2, 3, 8}) {
    for (int64_t rows : {0, 1, 2, 7, 8, 33}) {
      int64_t expected_begin = 0;
      for (int rank = 0; rank < ranks; ++rank) {
        const auto [begin, end] = train::shard_rows(rows, rank, ranks);
        EXPECT_EQ(begin, expected_begin) << rows << " rows, rank " << rank << " of " << ranks;
        const int64_t size = end - begin;
        EXPECT_TRUE(size == rows / ranks || size == rows / ranks + 1) << rows << " rows, rank " << rank;
        expected_begin = end;
      }
      EXPECT_EQ(expected_begin, rows) << "the shards of " << rows << " rows over " << ranks << " ranks cover them";
    }
  }
  // The first rows % ranks shards take the extra rows: 7 over 3 is 3, 2, 2.
  EXPECT_EQ(train::shard_rows(7, 0, 3), (std::pair<int64_t, int64_t>{0, 3}));
  EXPECT_EQ(train::shard_rows(7, 2, 3), (std::pair<int64_t, int64_t>{5, 7}));
}

TEST(TrainReplicas, ShardOfABadRankIsAnError) {
  testing::expect_error([] { train::shard_rows(4, 2, 2); }, {"shard_rows", "rank 2 of 2 ranks"});
  testing::expect_error([] { train::shard_rows(4, 0, 0); }, {"shard_rows", "rank 0 of 0 ranks"});
}

TEST(TrainReplicas, RankZeroKeepsTheSeedAndOtherRanksGetTheirOwn) {
  EXPECT_EQ(train::rank_seed(5, 0), 5u);
  std::set<uint64_t> seeds;
  for (int rank = 0; rank < 16; ++rank) seeds.insert(train::rank_seed(5, rank));
  EXPECT_EQ(seeds.size(), 16u);
  EXPECT_NE(train::rank_seed(5, 1), train::rank_seed(6, 1));
  EXPECT_EQ(train::rank_seed(5, 3), train::rank_seed(5, 3));
}

}  // namespace
}  // namespace heed
