// train::write_file_atomic: temporary file, fsync, rename.
#include "heed/train/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "heed/core/error.h"

namespace heed::train {

namespace {

std::string last_error() { return std::strerror(errno); }

}  // namespace

void write_file_atomic(const std::string& path, std::string_view content) {
  static std::atomic<uint64_t> counter = 0;
  std::string temporary;
  int fd = -1;
  for (;;) {
    temporary = fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter++);
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) break;
    HEED_CHECK(errno == EEXIST, "write_file_atomic", "{}: cannot create a file there: {}", path, last_error());
  }
  try {
    const char* bytes = content.data();
    size_t left = content.size();
    while (left > 0) {
      ssize_t written = ::write(fd, bytes, left);
      if (written < 0 && errno == EINTR) continue;
      HEED_CHECK(written > 0, "write_file_atomic", "{}: writing failed: {}", path, last_error());
      bytes += written;
      left -= static_cast<size_t>(written);
    }
    HEED_CHECK(::fsync(fd) == 0, "write_file_atomic", "{}: flushing to disk failed: {}", path, last_error());
    const int closed = ::close(fd);
    fd = -1;
    HEED_CHECK(closed == 0, "write_file_atomic", "{}: closing failed: {}", path, last_error());
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    HEED_CHECK(!error, "write_file_atomic", "{}: cannot replace it with the new file: {}", path, error.message());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
}

}  // namespace heed::train
