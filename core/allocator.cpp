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
#include <optional>
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

// A field of /proc/meminfo ("MemTotal:", "MemAvailable:") in bytes; the largest size_t when it
// cannot be read.
std::size_t meminfo_bytes(const std::string& field) {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::size_t kib = 0;
  while (meminfo >> key >> kib)
    if (key == field) return kib * 1024;
    else meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  return std::numeric_limits<std::size_t>::max();
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // size class -> blocks
  AllocatorStats stats;
  std::size_t limit = meminfo_bytes("MemTotal:") / 4;  // the most bytes kept for reuse
};

// Gives cached blocks back to the system until at most `keep` bytes stay cached. The caller holds
// the cache's mutex.
void free_cached_blocks(Cache& c, std::size_t keep) {
  for (auto& [size, blocks] : c.free_blocks)
    while (!blocks.empty() && c.stats.bytes_cached > keep) {
      std::free(blocks.back());
      blocks.pop_back();
      c.stats.bytes_cached -= size;
    }
}

Cache& cache() {
  static Cache* instance = new Cache;  // never destroyed: storages may be released at exit
  return *instance;
}

// The address-space limit (RLIMIT_AS, ulimit -v) in bytes; nullopt without one.
std::optional<std::size_t> address_space_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<std::size_t>(limit.rlim_cur);
}

// The limit minus the address space this process maps now; the largest size_t without a limit.
std::size_t address_space_left() {
  const std::optional<std::size_t> limit = address_space_limit();
  if (!limit) return std::numeric_limits<std::size_t>::max();
  const std::size_t mapped = address_space_in_use();
  return *limit > mapped ? *limit - mapped : 0;
}

// Address space kept free under a limit (ulimit -v) for the libraries heed calls: OpenBLAS takes
// workspace inside a threaded GEMM, and where its malloc fails it ends the process itself.
constexpr std::size_t kRoomForLibraries = std::size_t{32} << 20;

// A fresh block from the system, or nullptr; under an address-space limit, only while
// kRoomForLibraries stays free beside it.
void* system_block(std::size_t size) {
  if (address_space_left() < size + kRoomForLibraries) return nullptr;
  return std::aligned_alloc(kAlignment, size);
}

// A fresh block from the system; when the system has none, the cached blocks go back to it and
// the request is tried once more.
void* allocate_fresh(std::size_t size, std::size_t bytes) {
  void* block = system_block(size);
  if (block != nullptr) return block;
  empty_cache();
  block = system_block(size);
  if (block != nullptr) return block;
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  c.stats.bytes_in_use -= size;
  constexpr double kMiB = 1 << 20;
  const std::optional<std::size_t> limit = address_space_limit();
  throw Error(fmt::format("allocate: allocating {} bytes failed: out of memory ({:.1f} MiB held by tensors{})", bytes,
                          static_cast<double>(c.stats.bytes_in_use) / kMiB,
                          limit ? fmt::format("; the address-space limit, ulimit -v, is {:.0f} MiB, {:.0f} MiB of it "
                                              "mapped", static_cast<double>(*limit) / kMiB,
                                              static_cast<double>(address_space_in_use()) / kMiB)
                                : ""));
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
  if (c.stats.bytes_cached + size > c.limit) {
    std::free(block);  // the cache is full: this block goes back to the system
    return;
  }
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
  free_cached_blocks(c, 0);
  c.free_blocks.clear();
}

void set_cache_limit(std::size_t bytes) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  c.limit = bytes;
  free_cached_blocks(c, bytes);
}

std::size_t cache_limit() {
  std::lock_guard lock(cache().mutex);
  return cache().limit;
}

std::size_t address_space_in_use() {
  std::size_t pages = 0;
  std::ifstream("/proc/self/statm") >> pages;  // the first field: the address space's size in pages
  return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::size_t available_memory() { return std::min(meminfo_bytes("MemAvailable:"), address_space_left()); }

AllocatorStats allocator_stats() {
  std::lock_guard lock(cache().mutex);
  return cache().stats;
}

}  // namespace heed
