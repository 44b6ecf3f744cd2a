// write_file_atomically: a temporary file beside the target, flushed, then renamed over it.
#include "heed/data/text_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <system_error>

#include "heed/core/error.h"

namespace heed::data {
namespace {

std::string system_error_text() { return std::error_code(errno, std::generic_category()).message(); }

// A new file beside `path` that nobody else is writing: "<path>.tmp-<pid>-<n>".
std::pair<int, std::string> create_temporary(const std::string& path, const char* op) {
  static std::atomic<uint64_t> counter = 0;
  for (;;) {
    std::string name = fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter++);
    int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return {fd, name};
    HEED_CHECK(errno == EEXIST, op, "{}: cannot create the temporary file '{}': {}", path, name, system_error_text());
  }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents, const char* op) {
  auto [fd, temporary] = create_temporary(path, op);
  try {
    while (!contents.empty()) {
      const ssize_t written = ::write(fd, contents.data(), contents.size());
      if (written < 0 && errno == EINTR) continue;
      HEED_CHECK(written > 0, op, "{}: writing failed: {}", path, system_error_text());
      contents.remove_prefix(static_cast<size_t>(written));
    }
    HEED_CHECK(::fsync(fd) == 0, op, "{}: flushing to disk failed: {}", path, system_error_text());
    const int closed = ::close(fd);
    fd = -1;
    HEED_CHECK(closed == 0, op, "{}: closing the file failed: {}", path, system_error_text());
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    HEED_CHECK(!error, op, "{}: cannot replace it with the new file: {}", path, error.message());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
}

}  // namespace heed::data
