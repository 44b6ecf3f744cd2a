// Storage: one refcounted block of memory that one or more tensors view.
//
// A transpose, a slice or a reshape is a new Tensor over the same Storage. The storage also counts
// in-place writes (`version`): autograd remembers the version of every tensor it saves for
// backward and refuses to run backward on data that was overwritten since.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace heed {

class StorageImpl {
 public:
  explicit StorageImpl(std::size_t nbytes);
  ~StorageImpl();
  StorageImpl(const StorageImpl&) = delete;
  StorageImpl& operator=(const StorageImpl&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  // Atomic, so that threads which share a tensor (two models reading one table) race on nothing.
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  std::size_t nbytes_;
  std::atomic<uint64_t> version_ = 0;
};

using Storage = std::shared_ptr<StorageImpl>;

inline Storage make_storage(std::size_t nbytes) { return std::make_shared<StorageImpl>(nbytes); }

}  // namespace heed
