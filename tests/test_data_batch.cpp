// data batches: encoding pairs, padding and masks, the tgt_in/tgt_out shift, and the Batcher:
// every example once per epoch, seeded shuffles, max_tokens and max_rows, overlong examples.
#include <algorithm>
#include <numeric>
#include <random>

#include "heed/data/batch.h"
#include "test_util.h"

namespace heed {
namespace {

using data::Batch;
using data::Batcher;
using data::Example;
using data::Vocab;
using testing::expect_error;
using Ids = std::vector<int64_t>;

TEST(DataBatch, EncodePairsTokenizesAndMapsUnknownToUnk) {
  auto words = data::make_tokenizer("words");
  auto chars = data::make_tokenizer("chars");
  const Vocab source_vocab = Vocab::build({{"le", "chat"}});            // chat 4, le 5: equal counts, byte order
  const Vocab target_vocab = Vocab::build({{"c", "a", "t"}, {"a"}});    // a 4, c 5, t 6
  std::vector<Example> examples =
      data::encode_pairs({{"le chat", "cat"}, {"un chat", "a t"}}, *words, *chars, source_vocab, target_vocab);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0].source, (Ids{source_vocab.id("le"), source_vocab.id("chat")}));
  EXPECT_EQ(examples[0].target, (Ids{5, 4, 6}));
  EXPECT_EQ(examples[1].source, (Ids{Vocab::unk_id, source_vocab.id("chat")}));
  EXPECT_EQ(examples[1].target, (Ids{4, Vocab::unk_id, 6}));  // the space "▁" is not in the vocabulary
  EXPECT_EQ(examples[0].index, 0);
  EXPECT_EQ(examples[1].index, 1);
}

TEST(DataBatch, MakeBatchPadsMasksAndShiftsTargets) {
  Batch batch = data::make_batch({{{5, 6, 7}, {8, 9}, 10}, {{5}, {8, 9, 10}, 3}});
  EXPECT_EQ(batch.src.shape(), (Shape{2, 3}));
  EXPECT_EQ(batch.tgt_in.shape(), (Shape{2, 4}));
  EXPECT_EQ(batch.src.dtype(), Dtype::Int64);
  EXPECT_EQ(batch.src_mask.dtype(), Dtype::Int64);
  EXPECT_EQ(batch.src.to_vector<int64_t>(), (Ids{5, 6, 7, 5, 0, 0}));
  EXPECT_EQ(batch.src_mask.to_vector<int64_t>(), (Ids{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(batch.tgt_in.to_vector<int64_t>(), (Ids{1, 8, 9, 0, 1, 8, 9, 10}));
  EXPECT_EQ(batch.tgt_out.to_vector<int64_t>(), (Ids{8, 9, 2, 0, 8, 9, 10, 2}));
  EXPECT_EQ(batch.indices, (Ids{10, 3}));
  EXPECT_EQ(batch.source_tokens, 4);
  EXPECT_EQ(batch.target_tokens, 7);
}

TEST(DataBatch, MakeBatchEdgeCases) {
  Batch batch = data::make_batch({{{}, {}, 0}});  // an empty source is one pad; an empty target is just eos
  EXPECT_EQ(batch.src.to_vector<int64_t>(), (Ids{0}));
  EXPECT_EQ(batch.src_mask.to_vector<int64_t>(), (Ids{1}));
  EXPECT_EQ(batch.tgt_in.to_vector<int64_t>(), (Ids{Vocab::bos_id}));
  EXPECT_EQ(batch.tgt_out.to_vector<int64_t>(), (Ids{Vocab::eos_id}));
  expect_error([] { data::make_batch({}); }, {"make_batch", "no examples"});
}

// n examples from a fixed seed, with source lengths 1..30 and, as in translation, target
// lengths near them (within 3).
std::vector<Example> random_examples(size_t n, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::vector<Example> examples;
  for (size_t i = 0; i < n; ++i) {
    const size_t source = 1 + rng() % 30;
    const size_t target = static_cast<size_t>(std::max<int64_t>(1, static_cast<int64_t>(source + rng() % 7) - 3));
    examples.push_back({Ids(source, 4), Ids(target, 5), static_cast<int64_t>(i)});
  }
  return examples;
}

std::vector<Ids> batch_indices(const std::vector<Batch>& batches) {
  std::vector<Ids> indices;
  for (const Batch& b : batches) indices.push_back(b.indices);
  return indices;
}

// The share of a batch list's padded (B × (S + T)) positions that are padding.
double padding_share(const std::vector<Batch>& batches) {
  int64_t padded = 0, real = 0;
  for (const Batch& b : batches) {
    padded += b.src.size(0) * (b.src.size(1) + b.tgt_in.size(1));
    real += b.source_tokens + b.target_tokens;
  }
  return static_cast<double>(padded - real) / static_cast<double>(padded);
}

TEST(DataBatch, EveryExampleOncePerEpochWithinLimits) {
  const size_t n = 300;
  const std::vector<Example> examples = random_examples(n);
  Batcher batcher(examples, {.max_tokens = 400, .max_rows = 12, .seed = 3});
  EXPECT_EQ(batcher.size(), static_cast<int64_t>(n));
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<Batch> batches = batcher.epoch(epoch);
    Ids seen;
    std::vector<Batch> unsorted;  // the same batch sizes, filled in corpus order
    for (const Batch& b : batches) {
      seen.insert(seen.end(), b.indices.begin(), b.indices.end());
      EXPECT_LE(b.src.size(0) * (b.src.size(1) + b.tgt_in.size(1)), 400);
      EXPECT_LE(b.src.size(0), 12);
      const auto first = examples.begin() + static_cast<std::ptrdiff_t>(seen.size() - b.indices.size());
      unsorted.push_back(data::make_batch({first, first + static_cast<std::ptrdiff_t>(b.indices.size())}));
    }
    std::sort(seen.begin(), seen.end());
    Ids all(n);
    std::iota(all.begin(), all.end(), 0);
    EXPECT_EQ(seen, all) << "epoch " << epoch;
    // Bucketing by length wastes less than half the padding of batches in corpus order.
    EXPECT_LT(padding_share(batches), 0.5 * padding_share(unsorted)) << padding_share(unsorted);
  }
}

TEST(DataBatch, BatchRowsMatchTheirExamples) {
  std::vector<Example> examples = random_examples(50);
  for (const Batch& b : Batcher(examples, {.max_tokens = 200, .seed = 1}).epoch(0)) {
    std::vector<int64_t> src = b.src.to_vector<int64_t>();
    const size_t S = static_cast<size_t>(b.src.size(1));
    for (size_t row = 0; row < b.indices.size(); ++row) {
      const Ids& source = examples[static_cast<size_t>(b.indices[row])].source;
      EXPECT_TRUE(std::equal(source.begin(), source.end(), src.begin() + static_cast<std::ptrdiff_t>(row * S)));
    }
  }
}

TEST(DataBatch, SameSeedSameBatchesNewEpochNewOrder) {
  const std::vector<Example> examples = random_examples(200);
  Batcher a(examples, {.max_tokens = 300, .seed = 11});
  Batcher b(examples, {.max_tokens = 300, .seed = 11});
  Batcher c(examples, {.max_tokens = 300, .seed = 12});
  EXPECT_EQ(batch_indices(a.epoch(0)), batch_indices(b.epoch(0)));
  EXPECT_EQ(batch_indices(a.epoch(5)), batch_indices(b.epoch(5)));
  EXPECT_NE(batch_indices(a.epoch(0)), batch_indices(a.epoch(1)));
  EXPECT_NE(batch_indices(a.epoch(0)), batch_indices(c.epoch(0)));
  // Examples of equal lengths change batch partners between epochs, not only the batch order.
  auto sorted_groups = [](std::vector<Ids> groups) {
    for (Ids& g : groups) std::sort(g.begin(), g.end());
    std::sort(groups.begin(), groups.end());
    return groups;
  };
  EXPECT_NE(sorted_groups(batch_indices(a.epoch(0))), sorted_groups(batch_indices(a.epoch(1))));
}

TEST(DataBatch, WithoutShuffleBatchesAreSortedByLength) {
  Batcher batcher(random_examples(100), {.max_tokens = 250, .shuffle = false});
  std::vector<Batch> batches = batcher.epoch(0);
  EXPECT_EQ(batch_indices(batches), batch_indices(batcher.epoch(4)));
  for (size_t i = 1; i < batches.size(); ++i) EXPECT_LE(batches[i - 1].src.size(1), batches[i].src.size(1));
}

TEST(DataBatch, AnOverlongExampleGetsItsOwnBatch) {
  std::vector<Example> examples = {{Ids(3, 4), Ids(2, 4), 0}, {Ids(50, 4), Ids(40, 4), 1}, {Ids(3, 4), Ids(2, 4), 2}};
  std::vector<Batch> batches = Batcher(examples, {.max_tokens = 20, .seed = 0}).epoch(0);
  ASSERT_EQ(batches.size(), 2u);
  for (const Batch& b : batches) {
    if (b.indices == Ids{1}) EXPECT_EQ(b.src.size(1) + b.tgt_in.size(1), 91);
    else EXPECT_EQ(b.indices.size(), 2u);
  }
}

TEST(DataBatch, BatcherOptionErrors) {
  expect_error([] { Batcher(random_examples(3), {.max_tokens = 0}); }, {"Batcher", "max_tokens is 0"});
  expect_error([] { Batcher(random_examples(3), {.max_rows = -1}); }, {"Batcher", "max_rows is -1"});
  EXPECT_TRUE(Batcher({}, {}).epoch(0).empty());
}

}  // namespace
}  // namespace heed
