// cross_entropy: log-softmax, negative log-likelihood and label smoothing in one fused pass.
//
// For one row x (C logits) with target t, let m = max x and s = Σ_c exp(x_c − m). Then
//   −log p_c = log s − (x_c − m)
//   loss     = (1 − ε)·(−log p_t) + ε·mean_c(−log p_c)
//            = log s − (1 − ε)·(x_t − m) − ε·mean_c(x_c − m)
// so one sweep for m and one for s and Σ(x_c − m) give the loss without storing any probability
// (exp is exp_approx, ops/vector_math.h, so the sweeps vectorise).
// The forward saves m and log s per row; backward rebuilds p_c = exp((x_c − m) − log s) and
//   d x_c = (p_c − q_c) · g_row,   q = (1 − ε)·onehot(t) + ε/C,
// where g_row is the row's share of the output gradient (g / count for Mean).
#include "heed/ops/loss.h"

#include <cmath>
#include <limits>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/ops/vector_math.h"

namespace heed::ops {
namespace {


// Checks that every target is a class in [0, classes) or ignore_index; returns how many are not
// ignored (the count Mean divides by).
int64_t count_targets(const Tensor& targets, int64_t classes, int64_t ignore_index) {
  const int64_t* target = targets.data<int64_t>();
  int64_t count = 0;
  for (int64_t i = 0; i < targets.numel(); ++i) {
    if (target[i] == ignore_index) continue;
    HEED_CHECK(target[i] >= 0 && target[i] < classes, "cross_entropy",
               "target {} at position {} is out of range for {} classes; expected a class in [0, {}) "
               "or ignore_index ({})",
               target[i], unravel_index(i, targets.shape()), classes, classes, ignore_index);
    ++count;
  }
  return count;
}

// The per-target losses reduced as asked (summed in double).
Tensor reduce(const Tensor& losses, Reduction reduction, int64_t count) {
  if (reduction == Reduction::None) return losses;
  const float* loss = losses.data<float>();
  double total = 0.0;
  for (int64_t i = 0; i < losses.numel(); ++i) total += loss[i];
  if (reduction == Reduction::Mean) total = count > 0 ? total / static_cast<double>(count) : 0.0;
  return scalar_tensor(static_cast<float>(total));
}

// What the forward keeps per row for backward: the max logit m and log s, s = Σ exp(x − m).
struct RowStats {
  Tensor max, log_sum;  // (rows)
};

int64_t rows_per_thread(int64_t classes) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(classes, 1));
}

// The fused forward over dense x (rows, C): each row's loss (0 where ignored) into `losses`.
RowStats row_losses(const Tensor& x, const Tensor& targets, float eps, int64_t ignore, Tensor& losses) {
  const int64_t rows = losses.numel(), classes = x.size(-1);
  RowStats stats{Tensor::empty({rows}), Tensor::empty({rows})};
  const float* in = x.data<float>();
  const int64_t* target = targets.data<int64_t>();
  float *loss = losses.mutable_data<float>(), *m = stats.max.mutable_data<float>(),
        *log_sum = stats.log_sum.mutable_data<float>();
  parallel_for(0, rows, rows_per_thread(classes), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      if (target[row] == ignore) {  // padding: no loss, and backward skips the row
        loss[row] = m[row] = log_sum[row] = 0.0f;
        continue;
      }
      const float* xr = in + row * classes;
      float max = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : max)
      for (int64_t c = 0; c < classes; ++c) max = std::max(max, xr[c]);
      float sum = 0.0f, shifted_sum = 0.0f;
#pragma omp simd reduction(+ : sum, shifted_sum)
      for (int64_t c = 0; c < classes; ++c) {
        const float shifted = xr[c] - max;
        sum += exp_approx(shifted);
        shifted_sum += shifted;
      }
      m[row] = max;
      log_sum[row] = std::log(sum);
      // log s − (1 − ε)·(x_t − m) − ε·mean_c(x_c − m)
      loss[row] = log_sum[row] - (1.0f - eps) * (xr[target[row]] - max) -
                  eps * shifted_sum / static_cast<float>(classes);
    }
  });
  return stats;
}

// d logits = (softmax − q) · g_row with q = (1 − ε)·onehot(target) + ε/C; 0 for ignored rows.
// g_row is g[row] for None, g for Sum and g / count for Mean.
Tensor logits_gradient(const Tensor& x, const Tensor& targets, const RowStats& stats, float eps,
                       int64_t ignore, const Tensor& g, Reduction reduction, int64_t count) {
  const int64_t rows = targets.numel(), classes = x.size(-1);
  Tensor dx = Tensor::empty(x.shape());
  const float *in = x.data<float>(), *max = stats.max.data<float>(), *log_sum = stats.log_sum.data<float>();
  const float* gy = g.data<float>();
  const int64_t* target = targets.data<int64_t>();
  float* d = dx.mutable_data<float>();
  float shared_scale = 0.0f;  // g_row for Mean and Sum
  if (reduction == Reduction::Sum) shared_scale = gy[0];
  if (reduction == Reduction::Mean && count > 0) shared_scale = gy[0] / static_cast<float>(count);
  const float uniform = eps / static_cast<float>(classes);
  parallel_for(0, rows, rows_per_thread(classes), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      float* dr = d + row * classes;
      if (target[row] == ignore) {
        std::fill(dr, dr + classes, 0.0f);
        continue;
      }
      const float* xr = in + row * classes;
      const float scale = reduction == Reduction::None ? gy[row] : shared_scale;
      const float m = max[row], log_s = log_sum[row];
#pragma omp simd
      for (int64_t c = 0; c < classes; ++c) dr[c] = (exp_approx((xr[c] - m) - log_s) - uniform) * scale;
      dr[target[row]] -= (1.0f - eps) * scale;
    }
  });
  return dx;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, CrossEntropyOptions options) {
  check_dtype(logits, Dtype::Float32, "cross_entropy", "logits");
  check_dtype(targets, Dtype::Int64, "cross_entropy", "targets");
  HEED_CHECK(logits.dim() >= 1, "cross_entropy",
             "logits are {}; expected (..., C) with the classes last", logits.shape());
  const Shape leading(logits.shape().begin(), logits.shape().end() - 1);
  HEED_CHECK(targets.shape() == leading, "cross_entropy",
             "logits are {} and targets {}; expected targets of shape {} (the logits' shape without "
             "the class dim)",
             logits.shape(), targets.shape(), leading);
  const float eps = options.label_smoothing;
  HEED_CHECK(eps >= 0.0f && eps <= 1.0f, "cross_entropy",
             "label_smoothing is {}; expected a value in [0, 1]", eps);
  const int64_t ignore = options.ignore_index;
  const Tensor x = dense(logits), t = dense(targets);
  const int64_t count = count_targets(t, logits.size(-1), ignore);
  Tensor losses = Tensor::empty(leading);
  const RowStats stats = row_losses(x, t, eps, ignore, losses);
  Tensor out = reduce(losses, options.reduction, count);
  record("cross_entropy", out, {logits},
         [saved_x = SavedTensor(x), saved_t = SavedTensor(t), saved_max = SavedTensor(stats.max),
          saved_log_sum = SavedTensor(stats.log_sum), eps, ignore, count,
          reduction = options.reduction](const Tensor& g, NeedsGrad) {
           // d logits = (softmax − q) · g_row,  q = (1 − ε)·onehot(target) + ε/C;  0 for ignored rows
           const RowStats saved_stats{saved_max.get(), saved_log_sum.get()};
           return std::vector<Tensor>{logits_gradient(saved_x.get(), saved_t.get(), saved_stats, eps,
                                                      ignore, dense(g), reduction, count)};
         });
  return out;
}

}  // namespace heed::ops
