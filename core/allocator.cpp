#include "heed/core/allocator.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "heed/core/error.h"

namespace heed {
namespace {

constexpr std::size_t kAlignment = 64;

// Rounds up to a multiple of 64 below 4 KiB, else to one of 8 steps per power of two.
std::size_t size_class(std::size_t bytes) {
  if (bytes <= 4096) return (bytes + kAlignment - 1) / kAlignment * kAlignment + (bytes == 0) * kAlignment;
  std::size_t power = std::bit_floor(bytes);
  std::size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // size class -> blocks
  AllocatorStats stats;
};

Cache& cache() {
  static Cache* instance = new Cache;  // never destroyed: storages may be released at exit
  return *instance;
}

// A fresh block from the system; when the system has none, the cached blocks go back to it and
// the request is tried once more.
void* allocate_fresh(std::size_t size, std::size_t bytes) {
  void* block = std::aligned_alloc(kAlignment, size);
  if (block != nullptr) return block;
  empty_cache();
  block = std::aligned_alloc(kAlignment, size);
  if (block != nullptr) return block;
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  c.stats.bytes_in_use -= size;
  throw Error(fmt::format("allocate: allocating {} bytes failed: out of memory ({:.1f} MiB held by tensors)", bytes,
                          static_cast<double>(c.stats.bytes_in_use) / (1 << 20)));
}

}  // namespace

void* allocate(std::size_t bytes) {
  std::size_t size = size_class(bytes);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    c.stats.bytes_in_use += size;
    c.stats.peak_bytes_in_use = std::max(c.stats.peak_bytes_in_use, c.stats.bytes_in_use);
    auto found = c.free_blocks.find(size);
    if (found != c.free_blocks.end() && !found->second.empty()) {
      void* block = found->second.back();
      found->second.pop_back();
      c.stats.bytes_cached -= size;
      return block;
    }
  }
  return allocate_fresh(size, bytes);
}

void release(void* block, std::size_t bytes) noexcept {
  if (block == nullptr) return;
  std::size_t size = size_class(bytes);
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  c.stats.bytes_in_use -= size;
  try {
    c.free_blocks[size].push_back(block);
    c.stats.bytes_cached += size;
  } catch (const std::bad_alloc&) {
    std::free(block);  // the free list cannot grow: memory has run out, so give the block back
  }
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* block : blocks) std::free(block);
  c.free_blocks.clear();
  c.stats.bytes_cached = 0;
}

namespace {

// MemAvailable of /proc/meminfo in bytes; the largest size_t when it cannot be read.
std::size_t memory_available_to_all() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::size_t kib = 0;
  while (meminfo >> key >> kib)
    if (key == "MemAvailable:") return kib * 1024;
    else meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  return std::numeric_limits<std::size_t>::max();
}

// RLIMIT_AS minus the address space this process maps now; the largest size_t without a limit.
std::size_t address_space_left() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<std::size_t>::max();
  const std::size_t mapped = address_space_in_use();
  return limit.rlim_cur > mapped ? limit.rlim_cur - mapped : 0;
}

}  // namespace

std::size_t address_space_in_use() {
  std::size_t pages = 0;
  std::ifstream("/proc/self/statm") >> pages;  // the first field: the address space's size in pages
  return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::size_t available_memory() { return std::min(memory_available_to_all(), address_space_left()); }

AllocatorStats allocator_stats() {
  std::lock_guard lock(cache().mutex);
  return cache().stats;
}

}  // namespace heed
