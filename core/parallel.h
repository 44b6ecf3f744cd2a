// Threading: one OpenMP team runs heed's own kernels, and the OpenMP build of OpenBLAS runs its
// GEMMs on the same team. Two thread pools on one machine would take turns spinning on the same
// cores; one pool never competes with itself. Inside a parallel region (say, a loop over attention
// heads) OpenBLAS sees omp_in_parallel() and runs each GEMM on the calling thread.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>

namespace heed {

// How many threads heed's kernels and OpenBLAS use (default: OpenMP's, usually the core count).
void set_num_threads(int threads);
int num_threads();

// Runs body(lo, hi) over [begin, end) in one contiguous chunk per thread, or serially when the
// range is at most `grain` long or we are already inside a parallel region. An exception may not
// leave an OpenMP region (that is std::terminate): the first one a chunk throws is kept, the other
// chunks finish, and it is rethrown, of its own type, once the region has ended. Check inputs
// before the loop all the same: the chunks that ran have written their part of the output.
template <class Body>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const Body& body) {
  int64_t count = end - begin;
  if (count <= 0) return;
  if (count <= grain || omp_in_parallel() || omp_get_max_threads() == 1) {
    body(begin, end);
    return;
  }
  std::exception_ptr first_error;
#pragma omp parallel
  {
    int64_t threads = omp_get_num_threads();
    int64_t chunk = (count + threads - 1) / threads;
    int64_t lo = begin + chunk * omp_get_thread_num();
    int64_t hi = std::min(end, lo + chunk);
    try {
      if (lo < hi) body(lo, hi);
    } catch (...) {
#pragma omp critical(heed_parallel_for_error)
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

// Elements per thread below which splitting a memory-bound loop costs more than it gains.
constexpr int64_t kElementwiseGrain = 32768;

}  // namespace heed
