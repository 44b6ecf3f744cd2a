#include "heed/optim/clip.h"

#include <algorithm>
#include <cmath>

#include "heed/core/autograd.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/ops/inplace.h"

namespace heed::optim {
namespace {

// Σ x² over n floats, in double.
double sum_of_squares(const float* x, int64_t n) {
  double total = 0;
#pragma omp simd reduction(+ : total)
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  return total;
}

// Σ x² over a dense tensor, accumulated in double over fixed chunks that are then added in order:
// the same result whatever the thread count.
double sum_of_squares(const Tensor& t) {
  constexpr int64_t kChunk = 16384;
  const float* x = t.data<float>();
  const int64_t n = t.numel(), chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks));
  parallel_for(0, chunks, kElementwiseGrain / kChunk, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c)
      partial[static_cast<size_t>(c)] = sum_of_squares(x + c * kChunk, std::min(kChunk, n - c * kChunk));
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

void scale_range(float* x, const float factor, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; ++i) x[i] *= factor;
}

void scale_in_place(Tensor& t, float factor) {
  if (!t.is_contiguous()) {  // a gradient set by hand may be any view
    ops::mul_(t, factor);
    return;
  }
  float* x = t.mutable_data<float>();
  parallel_for(0, t.numel(), kElementwiseGrain, [&](int64_t lo, int64_t hi) { scale_range(x, factor, lo, hi); });
}

}  // namespace

float clip_grad_norm(const std::vector<Tensor>& parameters, float max_norm) {
  HEED_CHECK(max_norm >= 0 && std::isfinite(max_norm), "clip_grad_norm", "max_norm {}; expected a finite value >= 0",
             max_norm);
  std::vector<Tensor> grads;
  for (size_t i = 0; i < parameters.size(); ++i) {
    HEED_CHECK(parameters[i].defined(), "clip_grad_norm", "parameter {} is an undefined tensor", i);
    Tensor grad = parameters[i].grad();
    if (!grad.defined()) continue;
    check_dtype(grad, Dtype::Float32, "clip_grad_norm", "gradient");
    grads.push_back(grad);
  }
  double sum = 0;
  for (const Tensor& grad : grads) sum += sum_of_squares(dense(grad));
  const float total = static_cast<float>(std::sqrt(sum));
  // PyTorch: clip_coef = max_norm / (total + 1e-6), clamped to at most 1 (a NaN stays NaN).
  const float coefficient = std::min(max_norm / (total + 1e-6f), 1.0f);
  if (coefficient != 1.0f) {
    NoGradGuard no_grad;
    for (Tensor& grad : grads) scale_in_place(grad, coefficient);
  }
  return total;
}

}  // namespace heed::optim
