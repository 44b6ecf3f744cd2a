// Padded batches for training and evaluation, bucketed by length so little of each batch is padding.
//
//   std::vector<data::Example> examples = data::encode_pairs(pairs, src_tok, tgt_tok, src_vocab, tgt_vocab);
//   data::Batcher batcher(examples, {.max_tokens = 4096, .seed = 1});
//   for (const data::Batch& batch : batcher.epoch(0)) { ... }   // a fresh shuffle each epoch
//
// Batch tensors, with B rows, S the longest source and T the longest target (+1 for BOS / EOS):
//   src      (B, S)  source ids, padded with pad_id
//   tgt_in   (B, T)  bos, then the target ids, padded        (what the decoder reads)
//   tgt_out  (B, T)  the target ids, then eos, padded        (what it must predict)
//   src_mask (B, S)  int64, 1 at padding (the key-padding mask convention of nn/ and ops/)
// S is at least 1 (an empty source is one pad).
//
// The Batcher sorts the examples by (source length, target length), cuts the sorted run into
// batches whose padded size rows × (S + T) stays within max_tokens, and shuffles the order of the
// batches. Shuffling first (before the stable sort) puts examples of equal lengths in a new order
// each epoch. Epoch e draws from std::mt19937_64 seeded by std::seed_seq{seed, e} through heed's
// own Fisher–Yates, so the batches are the same on every platform and run. An example longer than
// max_tokens on its own is not dropped: it gets a batch of its own.
#pragma once

#include <cstdint>
#include <vector>

#include "heed/core/tensor.h"
#include "heed/data/tokenizer.h"
#include "heed/data/tsv.h"
#include "heed/data/vocab.h"

namespace heed::data {

struct Example {
  std::vector<int64_t> source;  // ids, no bos/eos
  std::vector<int64_t> target;  // ids, no bos/eos
  int64_t index = 0;            // position in the corpus it came from
};

std::vector<Example> encode_pairs(const std::vector<SentencePair>& pairs, const Tokenizer& source_tokenizer,
                                  const Tokenizer& target_tokenizer, const Vocab& source_vocab,
                                  const Vocab& target_vocab);

struct Batch {
  Tensor src, tgt_in, tgt_out, src_mask;
  std::vector<int64_t> indices;  // Example::index of each row
  int64_t source_tokens = 0;     // non-pad source ids
  int64_t target_tokens = 0;     // non-pad ids of tgt_out (the count a loss averages over)
};

// Pads one list of examples into a Batch (in the given order).
Batch make_batch(const std::vector<Example>& examples);

struct BatcherOptions {
  int64_t max_tokens = 4096;   // a batch holds at most this many padded (source + target) tokens
  int64_t max_rows = 0;        // and at most this many rows; 0: no limit
  bool shuffle = true;         // shuffle within length buckets and the order of batches
  uint64_t seed = 0;           // epoch e shuffles with (seed, e): the same batches every run
};

class Batcher {
 public:
  Batcher(std::vector<Example> examples, BatcherOptions options = {});
  // The batches of epoch `epoch`: every example exactly once, examples of similar lengths together.
  std::vector<Batch> epoch(int64_t epoch) const;
  int64_t size() const { return static_cast<int64_t>(examples_.size()); }

 private:
  std::vector<Example> examples_;
  BatcherOptions options_;
};

}  // namespace heed::data
