// heed::AtomicFile (core/atomic_file.h): replacing a file whole, removing the temporaries of dead
// writers, errors naming the op, the file and the reason, and the HEED_FAULT_WRITE hook (a write
// that dies after N bytes, before or after the rename, or meets a full disk).
#include <unistd.h>

#include "file_test_util.h"
#include "heed/core/atomic_file.h"
#include "test_util.h"

namespace heed {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::FaultGuard;
using testing::files_in;
using testing::read_bytes;
using testing::run_in_child;
using testing::TempFolder;

// The pid of a process that has finished (and been reaped).
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(AtomicFile, WritesInPiecesAndReplacesTheTarget) {
  TempFolder folder;
  const std::string path = folder.file("a.bin");
  write_file_atomically(path, "old", "test");
  AtomicFile file(path, "test");
  file.write("new ", 4);
  file.write("contents", 8);
  EXPECT_EQ(read_bytes(path), "old");  // nothing changes before the commit
  EXPECT_EQ(files_in(folder.path()).size(), 2u);
  file.commit();
  EXPECT_EQ(read_bytes(path), "new contents");
  EXPECT_EQ(files_in(folder.path()), std::vector<std::string>{"a.bin"});
  expect_error([&] { file.write("x", 1); }, {"test", path.c_str(), "already committed"});
}

TEST(AtomicFile, AnUncommittedFileLeavesNothing) {
  TempFolder folder;
  const std::string path = folder.file("a.bin");
  {
    AtomicFile file(path, "test");
    file.write("half", 4);
  }
  EXPECT_TRUE(files_in(folder.path()).empty());
}

TEST(AtomicFile, ACommitRemovesTheTemporariesOfDeadWritersOnly) {
  TempFolder folder;
  const std::string dead = fmt::format("model.safetensors.tmp-{}-3", dead_pid());
  const std::string alive = fmt::format("model.safetensors.tmp-{}-0", ::getppid());
  for (const std::string& name : {dead, alive, std::string("notes.tmp-x-1"), std::string("data.tmp-12")})
    std::ofstream(folder.file(name)) << "leftover";
  write_file_atomically(folder.file("other.txt"), "text", "test");
  EXPECT_EQ(files_in(folder.path()), (std::vector<std::string>{"data.tmp-12", alive, "notes.tmp-x-1", "other.txt"}));
}

TEST(AtomicFile, ErrorsNameTheOpTheFileAndTheReason) {
  TempFolder folder;
  const std::string blocker = folder.file("a_file");
  write_file_atomically(blocker, "x", "test");
  const std::string under_a_file = blocker + "/model.safetensors";
  expect_error([&] { write_file_atomically(under_a_file, "x", "my_op"); },
               {"my_op: ", under_a_file.c_str(), "Not a directory"});
  expect_error([&] { write_file_atomically("/proc/heed-test", "x", "my_op"); }, {"my_op: ", "/proc/heed-test"});
  expect_error([&] { check_writable_folder(blocker, "train"); }, {"train: ", blocker.c_str(), "cannot create files"});
  expect_error([&] { check_writable_folder("/proc/self", "train"); }, {"train: ", "/proc/self", "cannot create files"});
  check_writable_folder(folder.path().string(), "train");
  EXPECT_EQ(files_in(folder.path()), std::vector<std::string>{"a_file"});
}

TEST(AtomicFile, AFullDiskFailsTheWriteAndKeepsTheOldFile) {
  TempFolder folder;
  const std::string path = folder.file("a.txt");
  write_file_atomically(path, "old", "test");
  for (size_t at : {0, 1, 5, 9}) {
    FaultGuard fault(fmt::format("enospc-after={}", at));
    expect_error([&] { write_file_atomically(path, "ten bytes!", "my_op"); },
                 {"my_op: ", path.c_str(), "writing failed: No space left on device"});
    EXPECT_EQ(read_bytes(path), "old");
    EXPECT_EQ(files_in(folder.path()), std::vector<std::string>{"a.txt"});
  }
  FaultGuard fault("enospc-after=10");  // the whole file fits
  write_file_atomically(path, "ten bytes!", "my_op");
  EXPECT_EQ(read_bytes(path), "ten bytes!");
}

TEST(AtomicFile, FaultsAimAtMatchingFilesAfterSkippingSome) {
  TempFolder folder;
  FaultGuard fault("enospc-after=0,match=b.txt,skip=1");
  write_file_atomically(folder.file("a.txt"), "a", "test");
  write_file_atomically(folder.file("b.txt"), "b", "test");  // skipped
  write_file_atomically(folder.file("a.txt"), "a", "test");
  for (int i = 0; i < 2; ++i)  // every matching file after the skipped ones, as a full disk stays full
    expect_error([&] { write_file_atomically(folder.file("b.txt"), "b2", "test"); }, {"No space left"});
  EXPECT_EQ(read_bytes(folder.file("b.txt")), "b");
  write_file_atomically(folder.file("c.txt"), "c", "test");
}

TEST(AtomicFile, MalformedFaultSpecsAreErrors) {
  TempFolder folder;
  for (const char* spec : {"abort-after", "abort-after=x", "enospc-after=-1", "explode", "abort-before-rename=3"}) {
    FaultGuard fault(spec);
    expect_error([&] { write_file_atomically(folder.file("a.txt"), "a", "test"); }, {"HEED_FAULT_WRITE", spec});
  }
}

TEST(AtomicFile, AWriterKilledAnywhereLeavesTheOldFileOrTheNewOne) {
  TempFolder folder;
  const std::string path = folder.file("a.txt");
  const std::string old_text = "the old contents", new_text = "the new contents, longer";
  write_file_atomically(path, old_text, "test");
  auto killed_at = [&](const std::string& spec) {
    return run_in_child([&] {
      set_write_fault(spec);
      AtomicFile file(path, "test");
      for (char c : new_text) file.write(&c, 1);  // one byte a write: the fault may strike between any two
      file.commit();
    });
  };
  for (size_t at = 0; at <= new_text.size(); ++at) {
    EXPECT_EQ(killed_at(fmt::format("abort-after={}", at)), kWriteFaultExitStatus) << at;
    EXPECT_EQ(read_bytes(path), old_text) << "killed after " << at << " bytes";
  }
  EXPECT_EQ(killed_at("abort-before-rename"), kWriteFaultExitStatus);
  EXPECT_EQ(read_bytes(path), old_text);
  EXPECT_EQ(files_in(folder.path()).size(), new_text.size() + 3);  // the file and each death's temporary
  EXPECT_EQ(killed_at("abort-after-rename"), kWriteFaultExitStatus);
  EXPECT_EQ(read_bytes(path), new_text);
  write_file_atomically(folder.file("b.txt"), "b", "test");  // cleans up after the dead writers
  EXPECT_EQ(files_in(folder.path()), (std::vector<std::string>{"a.txt", "b.txt"}));
}

}  // namespace
}  // namespace heed
