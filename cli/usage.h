// Mistakes in how `heed` was called (a missing or contradictory option, a value out of range):
// reported as "heed: error: <message>" with exit status 2, where failures while running (a
// missing file, a malformed model directory) exit with status 1.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace heed::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws UsageError(fmt::format(format, args...)) unless `condition` holds.
template <class... Args>
void require(bool condition, fmt::format_string<Args...> format, Args&&... args) {
  if (!condition) throw UsageError(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace heed::cli
