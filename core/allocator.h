// The caching allocator behind every Storage.
//
// A training step creates and frees the same set of temporaries again and again. Asking malloc
// (and the kernel, for large blocks that come fresh from mmap and must be page-faulted in) every
// time is slow, so freed blocks are kept in per-size free lists and handed out again. Sizes are
// rounded up to a few classes per power of two, so at most 1/8 of a block goes unused. The cache
// holds at most cache_limit() bytes, and gives everything back when an allocation fails.
#pragma once

#include <cstddef>

namespace heed {

struct AllocatorStats {
  std::size_t bytes_in_use = 0;   // handed out and not yet returned
  std::size_t bytes_cached = 0;   // returned and kept for reuse
  std::size_t peak_bytes_in_use = 0;
};

// A 64-byte aligned block of at least `bytes` bytes (a cached one when one fits exactly). When the
// system has no memory left, the cached blocks are given back to it and the request tried once
// more; then heed::Error "allocate: allocating N bytes failed: out of memory". Under an
// address-space limit (ulimit -v) heed leaves 32 MiB of it to the libraries it calls.
void* allocate(std::size_t bytes);

// Returns a block from allocate(bytes) to the cache. Never throws (it runs in destructors, also
// while an exception unwinds): when the cache itself cannot grow, the block goes back to the system.
void release(void* block, std::size_t bytes) noexcept;

// Gives every cached block back to the system.
void empty_cache();

// The most bytes the cache keeps for reuse (default: a quarter of the machine's memory, MemTotal):
// a block released while the cache is full goes back to the system. Lowering the limit gives
// cached blocks back at once until the cache fits; 0 caches nothing.
void set_cache_limit(std::size_t bytes);
std::size_t cache_limit();

AllocatorStats allocator_stats();

// Bytes this process may still allocate, as far as the system tells: /proc/meminfo's MemAvailable,
// or less where an address-space limit (ulimit -v, RLIMIT_AS) leaves less room above what the
// process maps now. For refusing sizes that cannot fit before trying to allocate them.
std::size_t available_memory();

// The address space this process maps now, in bytes (/proc/self/statm), which counts against
// RLIMIT_AS.
std::size_t address_space_in_use();

}  // namespace heed
