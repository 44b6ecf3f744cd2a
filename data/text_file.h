// Writing a text file so that it is never seen half-written: the contents go to a temporary file
// beside the target ("<path>.tmp-<pid>-<n>"), which is flushed and then renamed over the target.
// Used by Vocab::save, write_parallel_tsv and train_sentencepiece.
#pragma once

#include <string>
#include <string_view>

namespace heed::data {

// Replaces `path` with `contents` atomically; heed::Error prefixed with `op` and naming the path
// when creating, writing or renaming fails (the temporary file is removed then).
void write_file_atomically(const std::string& path, std::string_view contents, const char* op);

}  // namespace heed::data
