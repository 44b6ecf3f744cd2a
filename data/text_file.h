// Writing a text file so that it is never seen half-written: data::write_file_atomically is
// core's heed::write_file_atomically (core/atomic_file.h: a temporary file beside the target,
// fsynced, then renamed over it). Used by Vocab::save, write_parallel_tsv, train_sentencepiece and
// train/'s reports.
#pragma once

#include "heed/core/atomic_file.h"

namespace heed::data {

// write_file_atomically(path, contents, op): replaces `path` with `contents` atomically;
// heed::Error prefixed with `op` and naming the path when creating, writing or renaming fails.
using heed::write_file_atomically;

}  // namespace heed::data
