#include "heed/core/parallel.h"

#include "heed/core/blas.h"
#include "heed/core/error.h"

namespace heed {

void set_num_threads(int threads) {
  HEED_CHECK(threads >= 1, "set_num_threads", "{} threads; expected at least 1", threads);
  omp_set_num_threads(threads);
  blas::set_num_threads(threads);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace heed
