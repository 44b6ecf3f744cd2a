// AtomicFile: temporary file, write, fsync, rename, fsync the folder; and the HEED_FAULT_WRITE hook.
#include "heed/core/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>

#include "heed/core/error.h"

namespace heed {

namespace {

namespace fs = std::filesystem;

std::string system_error_text(int error) { return std::error_code(error, std::generic_category()).message(); }

// ---- the fault hook ----

struct FaultSpec {
  WriteFault kind = WriteFault::None;
  uint64_t bytes = 0;    // abort-after=N, enospc-after=N
  std::string match;     // only targets containing this
  int64_t skip = 0;      // matching files let through first
  std::string error;     // why the spec is malformed ("" if it is not)
};

uint64_t parse_count(std::string_view key, std::string_view value, std::string_view spec) {
  uint64_t n = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
  HEED_CHECK(error == std::errc() && end == value.data() + value.size() && !value.empty(), "HEED_FAULT_WRITE",
             "'{}' in \"{}\" needs a count >= 0, got '{}'", key, spec, value);
  return n;
}

FaultSpec parse_fault(std::string_view spec) {
  FaultSpec fault;
  for (size_t start = 0; start < spec.size();) {
    const size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string_view item = spec.substr(start, comma - start);
    start = comma + 1;
    const size_t equals = item.find('=');
    const std::string_view key = item.substr(0, equals);
    const std::string_view value = equals == std::string_view::npos ? std::string_view() : item.substr(equals + 1);
    if (key == "abort-after" || key == "enospc-after") {
      fault.kind = key == "abort-after" ? WriteFault::AbortAfter : WriteFault::EnospcAfter;
      fault.bytes = parse_count(key, value, spec);
    } else if (key == "abort-before-rename" && equals == std::string_view::npos) {
      fault.kind = WriteFault::AbortBeforeRename;
    } else if (key == "abort-after-rename" && equals == std::string_view::npos) {
      fault.kind = WriteFault::AbortAfterRename;
    } else if (key == "match") {
      fault.match = value;
    } else if (key == "skip") {
      fault.skip = static_cast<int64_t>(parse_count(key, value, spec));
    } else {
      throw Error(fmt::format("HEED_FAULT_WRITE: unknown item '{}' in \"{}\"; expected abort-after=N, "
                              "abort-before-rename, abort-after-rename, enospc-after=N, match=TEXT or skip=K",
                              item, spec));
    }
  }
  return fault;
}

FaultSpec fault_from(std::string_view spec) {
  try {
    return parse_fault(spec);
  } catch (const Error& e) {
    return {.kind = WriteFault::None, .bytes = 0, .match = {}, .skip = 0, .error = e.what()};
  }
}

std::mutex fault_mutex;
std::optional<FaultSpec> current_fault;  // guarded by fault_mutex; read from the environment on first use

// The fault aimed at this target, if any (counting it against skip=).
FaultSpec fault_for(const std::string& path) {
  std::lock_guard lock(fault_mutex);
  if (!current_fault) {
    const char* spec = std::getenv("HEED_FAULT_WRITE");
    current_fault = fault_from(spec != nullptr ? spec : "");
  }
  if (!current_fault->error.empty()) throw Error(current_fault->error);
  if (current_fault->kind == WriteFault::None || path.find(current_fault->match) == std::string::npos) return {};
  if (current_fault->skip > 0) {
    --current_fault->skip;
    return {};
  }
  return *current_fault;
}

// Dies as a killed process would: no destructors, no flushing, no cleanup.
[[noreturn]] void die() { ::_exit(kWriteFaultExitStatus); }

// ---- temporaries ----

constexpr std::string_view kTemporaryMark = ".tmp-";

// Opens a new file "<path>.tmp-<pid>-<n>" that nobody else is writing and sets `name` to it; -1
// with errno set when the system refuses.
int open_temporary(const std::string& path, std::string& name) {
  static std::atomic<uint64_t> counter = 0;
  for (;;) {
    name = fmt::format("{}{}{}-{}", path, kTemporaryMark, ::getpid(), counter++);
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
}

// The pid in a name "<anything>.tmp-<pid>-<n>", or 0 if the name is not of that form.
pid_t temporary_owner(std::string_view name) {
  const size_t mark = name.rfind(kTemporaryMark);
  if (mark == std::string_view::npos) return 0;
  const std::string_view rest = name.substr(mark + kTemporaryMark.size());
  pid_t pid = 0;
  uint64_t n = 0;
  const char* end = rest.data() + rest.size();
  const auto [dash, pid_error] = std::from_chars(rest.data(), end, pid);
  if (pid_error != std::errc() || dash == end || *dash != '-' || pid <= 0) return 0;
  const auto [last, n_error] = std::from_chars(dash + 1, end, n);
  return n_error == std::errc() && last == end && dash + 1 != end ? pid : 0;
}

// Removes the temporaries in `folder` whose writing process is no longer running.
void remove_stale_temporaries(const fs::path& folder) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    const pid_t owner = temporary_owner(entry.path().filename().native());
    if (owner == 0 || owner == ::getpid() || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;  // another process may be cleaning it up too
    fs::remove(entry.path(), ignored);
  }
}

fs::path folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string op) : path_(std::move(path)), op_(std::move(op)) {
  const FaultSpec fault = fault_for(path_);
  fault_ = fault.kind;
  fault_bytes_ = fault.bytes;
  fd_ = open_temporary(path_, temporary_);
  if (fd_ < 0) {
    const int error = errno;
    throw Error(fmt::format("{}: {}: cannot create the temporary file '{}': {}", op_, path_, temporary_,
                            system_error_text(error)));
  }
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
  temporary_.clear();
}

void AtomicFile::write(const void* data, size_t size) {
  HEED_CHECK(fd_ >= 0, op_, "{}: writing to a file that is already committed or failed", path_);
  const char* bytes = static_cast<const char*>(data);
  // What the fault lets through before it strikes.
  const bool aborts = fault_ == WriteFault::AbortAfter && written_ + size >= fault_bytes_;
  const bool fills = fault_ == WriteFault::EnospcAfter && written_ + size > fault_bytes_;
  size_t left = aborts || fills ? static_cast<size_t>(std::max(fault_bytes_, written_) - written_) : size;
  while (left > 0) {
    const ssize_t done = ::write(fd_, bytes, left);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) {
      const int error = done < 0 ? errno : EIO;
      discard();
      throw Error(fmt::format("{}: {}: writing failed: {}", op_, path_, system_error_text(error)));
    }
    bytes += done;
    left -= static_cast<size_t>(done);
    written_ += static_cast<uint64_t>(done);
  }
  if (aborts) die();
  if (fills) {
    discard();
    throw Error(fmt::format("{}: {}: writing failed: {}", op_, path_, system_error_text(ENOSPC)));
  }
}

void AtomicFile::commit() {
  HEED_CHECK(fd_ >= 0, op_, "{}: committing a file that is already committed or failed", path_);
  auto fail = [&](const char* what, int error) {
    discard();
    throw Error(fmt::format("{}: {}: {}: {}", op_, path_, what, system_error_text(error)));
  };
  if (::fsync(fd_) != 0) fail("flushing to disk failed", errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail("closing the file failed", errno);
  if (fault_ == WriteFault::AbortBeforeRename) die();
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) fail("cannot replace it with the new file", errno);
  temporary_.clear();
  if (fault_ == WriteFault::AbortAfterRename) die();
  // The rename is durable once the folder is flushed (some file systems cannot: EINVAL).
  const fs::path folder = folder_of(path_);
  const int folder_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder_fd >= 0) {
    const int synced = ::fsync(folder_fd) == 0 ? 0 : errno;
    ::close(folder_fd);
    HEED_CHECK(synced == 0 || synced == EINVAL, op_, "{}: flushing its folder to disk failed: {}", path_,
               system_error_text(synced));
  }
  remove_stale_temporaries(folder);
}

void write_file_atomically(const std::string& path, std::string_view contents, const char* op) {
  AtomicFile file(path, op);
  file.write(contents.data(), contents.size());
  file.commit();
}

void check_writable_folder(const std::string& dir, const char* op) {
  std::string name;
  const int fd = open_temporary((fs::path(dir) / ".heed-write-check").string(), name);
  const int error = errno;
  HEED_CHECK(fd >= 0, op, "{}: cannot create files in this folder: {}", dir, system_error_text(error));
  ::close(fd);
  ::unlink(name.c_str());
}

void set_write_fault(std::string_view spec) {
  std::lock_guard lock(fault_mutex);
  current_fault = fault_from(spec);
}

}  // namespace heed
