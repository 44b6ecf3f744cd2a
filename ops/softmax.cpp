// Softmax and log-softmax. A dense input is viewed as (outer, n, inner) with n the softmax dim;
// each of the outer·inner slices x[o, :, i] (n elements, `inner` apart in memory) is handled by
// one call of a slice kernel, in one fused pass over data that stays in cache:
//   softmax:      m = max x,  s = Σ exp(x − m),  y = exp(x − m) / s
//   log_softmax:  m = max x,  s = Σ exp(x − m),  y = (x − m) − log s
// Subtracting the max keeps every exp in (0, 1], so nothing overflows. Along the last dim
// (inner = 1) the kernels receive the stride as the compile-time constant 1, so their loops
// vectorise (exp included: exp_approx, ops/vector_math.h); other dims pass their stride at run time.
#include "heed/ops/softmax.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "heed/core/autograd.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/ops/vector_math.h"

namespace heed::ops {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();
using UnitStride = std::integral_constant<int64_t, 1>;

struct Slices {
  int64_t outer = 1, n = 1, inner = 1;
};

Slices slices_of(const Shape& shape, int64_t dim) {
  Slices s;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    (d < dim ? s.outer : d == dim ? s.n : s.inner) *= shape[d];
  return s;
}

// Calls kernel(start, stride) for every slice, in parallel: its elements sit at start + r·stride.
template <class Kernel>
void for_each_slice(const Slices& s, const Kernel& kernel) {
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(s.n, 1));
  if (s.inner == 1) {
    parallel_for(0, s.outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) kernel(o * s.n, UnitStride{});
    });
  } else {
    parallel_for(0, s.outer * s.inner, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t slice = lo; slice < hi; ++slice)
        kernel(slice / s.inner * s.n * s.inner + slice % s.inner, s.inner);
    });
  }
}

template <class Stride>
float slice_max(const float* x, int64_t n, Stride stride) {
  float m = kMinusInf;
#pragma omp simd reduction(max : m)
  for (int64_t r = 0; r < n; ++r) m = std::max(m, x[r * stride]);
  return m;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  check_dtype(x, Dtype::Float32, "softmax", "x");
  const Slices s = slices_of(x.shape(), wrap_dim(dim, x.dim(), "softmax"));
  const Tensor input = dense(x);
  Tensor out = Tensor::empty(x.shape());
  const float* in = input.data<float>();
  float* y_out = out.mutable_data<float>();
  for_each_slice(s, [&](int64_t start, auto stride) {
    const float* xs = in + start;
    float* ys = y_out + start;
    const float m = slice_max(xs, s.n, stride);
    if (m == kMinusInf) {  // every entry −∞ (a fully masked row): no probability anywhere
      for (int64_t r = 0; r < s.n; ++r) ys[r * stride] = 0.0f;
      return;
    }
    float total = 0.0f;
#pragma omp simd reduction(+ : total)
    for (int64_t r = 0; r < s.n; ++r) {
      ys[r * stride] = exp_approx(xs[r * stride] - m);
      total += ys[r * stride];
    }
    const float scale = 1.0f / total;
#pragma omp simd
    for (int64_t r = 0; r < s.n; ++r) ys[r * stride] *= scale;
  });
  record("softmax", out, {x}, [s, saved_y = SavedTensor(out)](const Tensor& g, NeedsGrad) {
    // dx = y ⊙ (g − Σ g⊙y)
    const Tensor grad = dense(g);
    Tensor dx = Tensor::empty(grad.shape());
    const float *gy = grad.data<float>(), *y = saved_y.get().data<float>();
    float* d = dx.mutable_data<float>();
    for_each_slice(s, [&](int64_t start, auto stride) {
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int64_t r = 0; r < s.n; ++r) dot += gy[start + r * stride] * y[start + r * stride];
#pragma omp simd
      for (int64_t r = 0; r < s.n; ++r) {
        const int64_t i = start + r * stride;
        d[i] = y[i] * (gy[i] - dot);
      }
    });
    return std::vector<Tensor>{dx};
  });
  return out;
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  check_dtype(x, Dtype::Float32, "log_softmax", "x");
  const Slices s = slices_of(x.shape(), wrap_dim(dim, x.dim(), "log_softmax"));
  const Tensor input = dense(x);
  Tensor out = Tensor::empty(x.shape());
  const float* in = input.data<float>();
  float* y_out = out.mutable_data<float>();
  for_each_slice(s, [&](int64_t start, auto stride) {
    const float* xs = in + start;
    float* ys = y_out + start;
    const float m = slice_max(xs, s.n, stride);
    if (m == kMinusInf) {  // every entry −∞: log 0 everywhere
      for (int64_t r = 0; r < s.n; ++r) ys[r * stride] = kMinusInf;
      return;
    }
    float total = 0.0f;
#pragma omp simd reduction(+ : total)
    for (int64_t r = 0; r < s.n; ++r) total += exp_approx(xs[r * stride] - m);
    const float log_total = std::log(total);
#pragma omp simd
    for (int64_t r = 0; r < s.n; ++r) ys[r * stride] = (xs[r * stride] - m) - log_total;
  });
  record("log_softmax", out, {x}, [s, saved_y = SavedTensor(out)](const Tensor& g, NeedsGrad) {
    // dx = g − exp(y) · Σ g
    const Tensor grad = dense(g);
    Tensor dx = Tensor::empty(grad.shape());
    const float *gy = grad.data<float>(), *y = saved_y.get().data<float>();
    float* d = dx.mutable_data<float>();
    for_each_slice(s, [&](int64_t start, auto stride) {
      float total = 0.0f;
#pragma omp simd reduction(+ : total)
      for (int64_t r = 0; r < s.n; ++r) total += gy[start + r * stride];
#pragma omp simd
      for (int64_t r = 0; r < s.n; ++r) {
        const int64_t i = start + r * stride;
        d[i] = gy[i] - exp_approx(y[i]) * total;
      }
    });
    return std::vector<Tensor>{dx};
  });
  return out;
}

}  // namespace heed::ops
