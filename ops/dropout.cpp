// Dropout. Element i of x (in row-major order) is kept when the uniform number at counter start + i
// of the default generator's stream is at least p (ops/dropout_mask.h draws it), where start is the
// first of numel(x) counters reserved for this call. The mask is thus a function of (seed, counter)
// alone: any thread may compute any element and the result never depends on the thread count. One
// pass writes the mask (1/(1 − p) where kept, 0 elsewhere) and the output; backward multiplies by
// the saved mask.
#include "heed/ops/dropout.h"

#include "heed/core/autograd.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/core/random.h"
#include "heed/ops/dropout_mask.h"
#include "heed/ops/elementwise.h"

namespace heed::ops {

Tensor dropout(const Tensor& x, float p, bool training) {
  check_dtype(x, Dtype::Float32, "dropout", "x");
  HEED_CHECK(p >= 0.0f && p <= 1.0f, "dropout", "p is {}; expected a probability in [0, 1]", p);
  if (!training || p == 0.0f) return x;
  const Tensor input = dense(x);
  Tensor mask = Tensor::empty(x.shape()), out = Tensor::empty(x.shape());
  const float* in = input.data<float>();
  float *m = mask.mutable_data<float>(), *y = out.mutable_data<float>();
  Generator& generator = default_generator();
  const uint64_t seed = generator.seed(), start = generator.reserve(static_cast<uint64_t>(x.numel()));
  parallel_for(0, x.numel(), kElementwiseGrain, [&](int64_t lo, int64_t hi) {
    dropout_factors(seed, start + static_cast<uint64_t>(lo), p, m + lo, hi - lo);
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) y[i] = in[i] * m[i];
  });
  record("dropout", out, {x}, [saved_mask = SavedTensor(mask)](const Tensor& g, NeedsGrad) {
    // dx = g ⊙ mask
    return std::vector<Tensor>{mul(g, saved_mask.get())};
  });
  return out;
}

}  // namespace heed::ops
