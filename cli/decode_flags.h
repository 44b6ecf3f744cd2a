// The decoding options that train, translate and eval share: --beam, --length-penalty, --max-length.
#pragma once

#include <CLI/CLI.hpp>

#include "heed/models/decode.h"

namespace heed::cli {

// The widest beam --beam accepts.
inline constexpr int64_t kMaxBeam = 100;

struct DecodeFlags {
  int64_t beam = 1;
  float length_penalty = 1.0f;
  int64_t max_length = 0;

  void add_to(CLI::App& command, const std::string& group = "Decoding");
  // The options, after checking their ranges (UsageError naming the flag).
  models::DecodeOptions options() const;
};

}  // namespace heed::cli
