// Writing a whole text file so that readers never see half of it: the bytes go to a temporary
// file beside the target, are flushed to disk, and the temporary is renamed over the target.
//
//   train::write_file_atomic("out/training.svg", svg);
//
// Used for everything a training run writes besides the weights (which nn::save writes the same
// way): SVG plots, metrics.csv, config.json.
#pragma once

#include <string>
#include <string_view>

namespace heed::train {

// On error (a folder that does not exist, a full disk, ...) throws heed::Error naming the file,
// and whatever was at `path` is left as it was.
void write_file_atomic(const std::string& path, std::string_view content);

}  // namespace heed::train
