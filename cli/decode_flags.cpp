// --beam, --length-penalty, --max-length.
#include "decode_flags.h"

#include <cmath>

#include "usage.h"

namespace heed::cli {

void DecodeFlags::add_to(CLI::App& command, const std::string& group) {
  command.add_option("--beam", beam, fmt::format("beam width (1: greedy decoding; at most {})", kMaxBeam))->capture_default_str()->group(group);
  command.add_option("--length-penalty", length_penalty, "alpha of the GNMT length penalty in beam search (0: none)")
      ->capture_default_str()->group(group);
  command.add_option("--max-length", max_length, "most tokens per translation (0: twice the source length + 10)")
      ->capture_default_str()->group(group);
}

models::DecodeOptions DecodeFlags::options() const {
  require(beam >= 1, "--beam must be at least 1 (got {})", beam);
  require(beam <= kMaxBeam, "--beam must be at most {} (got {}): a beam costs memory and time in proportion to its "
          "width, and widths beyond a few dozen rarely find better translations", kMaxBeam, beam);
  require(std::isfinite(length_penalty) && length_penalty >= 0, "--length-penalty must be >= 0 (got {})", length_penalty);
  require(max_length >= 0, "--max-length must be >= 0 (got {})", max_length);
  return {.beam_size = beam, .length_penalty = length_penalty, .max_length = max_length};
}

}  // namespace heed::cli
