// Shared by the tests of files and faults: a fresh temporary folder, a file's bytes, a folder's
// names, int64 scalars, state dicts compared exactly, a write fault for one test, and running a piece of code in
// a forked child (to see what a crash in it leaves behind).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <heed/heed.h>

#include "heed/core/atomic_file.h"

namespace heed::testing {

// A fresh folder for one test, removed at the end.
class TempFolder {
 public:
  TempFolder()
      : path_(std::filesystem::temp_directory_path() / fmt::format("heed_files_{}_{}", ::getpid(), counter_++)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() { std::filesystem::remove_all(path_); }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The names in `folder`, sorted.
inline std::vector<std::string> files_in(const std::filesystem::path& folder) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

inline Tensor int64_scalar(int64_t value) {
  Tensor t = Tensor::empty({}, Dtype::Int64);
  *t.mutable_data<int64_t>() = value;
  return t;
}

// The same keys, dtypes, shapes and values, bit for bit.
inline void expect_same(const nn::StateDict& actual, const nn::StateDict& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [name, tensor] : expected) {
    ASSERT_TRUE(actual.contains(name)) << name;
    const Tensor& got = actual.at(name);
    EXPECT_EQ(got.dtype(), tensor.dtype()) << name;
    EXPECT_EQ(got.shape(), tensor.shape()) << name;
    if (tensor.dtype() == Dtype::Int64) EXPECT_EQ(got.to_vector<int64_t>(), tensor.to_vector<int64_t>()) << name;
    else EXPECT_EQ(got.to_vector<float>(), tensor.to_vector<float>()) << name;
  }
}

// Sets a HEED_FAULT_WRITE fault (core/atomic_file.h) for one test and removes it at the end.
struct FaultGuard {
  explicit FaultGuard(std::string_view spec) { set_write_fault(spec); }
  ~FaultGuard() { set_write_fault(""); }
  FaultGuard(const FaultGuard&) = delete;
  FaultGuard& operator=(const FaultGuard&) = delete;
};

// Runs `body` in a forked child and returns its exit status (0 when body returns, 1 when it
// throws; -signal when a signal killed it). The child must not run OpenMP code (its threads do
// not survive a fork): file writing only.
inline int run_in_child(const std::function<void()>& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    try {
      body();
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child) return -1000;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace heed::testing
