// heed's one way of writing a file: AtomicFile, so that a file is never seen half-written.
//
//   AtomicFile file("out/model.safetensors", "nn::save");   // creates out/model.safetensors.tmp-<pid>-<n>
//   file.write(header.data(), header.size());                // ... as many writes as needed
//   file.commit();   // fsync the temporary, rename it over the target, fsync the folder
//
// Until commit() returns, whatever was at the target is untouched; a process killed at any moment
// leaves either the old file or the complete new one there. On any error the temporary is removed
// and heed::Error names the op, the file and the system's reason ("op: path: writing failed: No
// space left on device"). An AtomicFile destroyed without commit() removes its temporary. After a
// commit, temporaries that dead processes left in the same folder ("*.tmp-<pid>-<n>" whose pid is
// no longer running) are removed.
//
// Fault injection, for tests (always compiled in; one branch per write when unused): the
// environment variable HEED_FAULT_WRITE, read once at the first AtomicFile (or set_write_fault),
// makes atomic writes fail on purpose. Comma-separated:
//   abort-after=N         the process dies (_exit(kWriteFaultExitStatus)) once N bytes of the
//                         temporary are written
//   abort-before-rename   ... once the temporary is complete and fsynced, just before the rename
//   abort-after-rename    ... just after the rename (before the folder's fsync)
//   enospc-after=N        the write that would pass byte N fails with ENOSPC (a full disk)
//   match=TEXT            only files whose target path contains TEXT (default: every file)
//   skip=K                the first K matching files are written normally
// e.g. HEED_FAULT_WRITE="enospc-after=100,match=checkpoint-,skip=1" lets the first checkpoint of a
// `heed train` through and fails the second one at byte 100. A malformed value is a heed::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace heed {

// The exit status of a process stopped by an abort-* fault.
inline constexpr int kWriteFaultExitStatus = 86;

// The faults HEED_FAULT_WRITE can inject, in the order of the list above.
enum class WriteFault { None, AbortAfter, AbortBeforeRename, AbortAfterRename, EnospcAfter };

class AtomicFile {
 public:
  // Creates the temporary "<path>.tmp-<pid>-<n>" beside `path`; `op` prefixes error messages.
  AtomicFile(std::string path, std::string op);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends `size` bytes to the temporary.
  void write(const void* data, size_t size);
  // Flushes the temporary to disk, renames it over the target and flushes the folder.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temporary() const { return temporary_; }

 private:
  // Removes the temporary (on error or when destroyed uncommitted).
  void discard() noexcept;

  std::string path_, op_, temporary_;
  int fd_ = -1;
  uint64_t written_ = 0;
  WriteFault fault_ = WriteFault::None;  // what HEED_FAULT_WRITE does to this file
  uint64_t fault_bytes_ = 0;              // ... after how many bytes
};

// Replaces `path` with `contents` through an AtomicFile.
void write_file_atomically(const std::string& path, std::string_view contents, const char* op);

// Checks that files can be created in the folder `dir` (by creating and removing one); heed::Error
// prefixed with `op` naming the folder and the system's reason otherwise.
void check_writable_folder(const std::string& dir, const char* op);

// Replaces the fault HEED_FAULT_WRITE set (same syntax; "" for none), for tests that run the
// writer in a forked child. Counts of skip= start again.
void set_write_fault(std::string_view spec);

}  // namespace heed
