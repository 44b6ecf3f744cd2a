// Dropout. Element i of x (in row-major order) is kept when the uniform number at counter start + i
// of the default generator's stream is at least p (ops/dropout_mask.h draws it), where start is the
// first of numel(x) counters reserved for this call. The mask is thus a function of (seed, counter)
// alone: any thread may compute any element and the result never depends on the thread count, and
// nothing needs storing for backward: it draws the mask again from (seed, start), which costs less
// than writing a mask as large as x and reading it back.
#include "heed/ops/dropout.h"

#include "heed/core/autograd.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/core/random.h"
#include "heed/ops/dropout_mask.h"

namespace heed::ops {
namespace {

// out = in ⊙ mask for dense in and out of `shape`, the mask of counters start onwards of `seed`.
Tensor masked(const Tensor& in, const Shape& shape, uint64_t seed, uint64_t start, float p) {
  Tensor out = Tensor::empty(shape);
  const float* x = in.data<float>();
  float* y = out.mutable_data<float>();
  parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t lo, int64_t hi) {
    dropout_factors(seed, start + static_cast<uint64_t>(lo), p, y + lo, hi - lo);  // the mask, then
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) y[i] *= x[i];  // times the input
  });
  return out;
}

}  // namespace

Tensor dropout(const Tensor& x, float p, bool training) {
  check_dtype(x, Dtype::Float32, "dropout", "x");
  HEED_CHECK(p >= 0.0f && p <= 1.0f, "dropout", "p is {}; expected a probability in [0, 1]", p);
  if (!training || p == 0.0f) return x;
  const CounterRange counters = default_generator().reserve(static_cast<uint64_t>(x.numel()));
  const uint64_t seed = counters.seed, start = counters.first;
  Tensor out = masked(dense(x), x.shape(), seed, start, p);
  record("dropout", out, {x}, [seed, start, p, shape = x.shape()](const Tensor& g, NeedsGrad) {
    // dx = g ⊙ mask, the same mask drawn again
    return std::vector<Tensor>{masked(dense(g), shape, seed, start, p)};
  });
  return out;
}

}  // namespace heed::ops
