// Mistakes in how `heed` was called (a missing or contradictory option, a value out of range):
// reported as "heed: error: <message>" with exit status 2, where failures while running (a
// missing file, a malformed model directory) exit with status 1.
#pragma once

#include <filesystem>
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

// Throws UsageError "<what> <path>: no such file" (or "not a regular file") unless `path` is a
// regular file: reading a device such as /dev/zero would never end, and opening a FIFO blocks.
inline void require_regular_file(const std::string& what, const std::string& path) {
  std::error_code error;
  require(std::filesystem::is_regular_file(path, error), "{} {}: {}", what, path,
          std::filesystem::exists(path, error) ? "not a regular file" : "no such file");
}

}  // namespace heed::cli
